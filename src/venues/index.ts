/**
 * venues: one folder per venue or vendor format, each behind its own index.ts: its readers, its
 * book synchronisation or reconciliation, verification against its own reference, and the
 * formats, content detectors and L3 venue rules it registers into the data and book layers'
 * registries (importing this module registers them all). `lab.venues.<venue>.*` is their home;
 * adding a venue is adding a folder (docs/architecture.md, "How to add a venue").
 */
export * as tardis from "./tardis/index.js";
export * as hftbacktest from "./hftbacktest/index.js";
export * as databento from "./databento/index.js";
export * as lobster from "./lobster/index.js";
export * as binance from "./binance/index.js";
