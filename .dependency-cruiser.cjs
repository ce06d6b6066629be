/**
 * Layer rules (docs/architecture.md, "Layers"): imports point down the layer order only, always
 * through the other layer's index (or its internal.ts, for what the package does not export); no
 * import cycles. `npm test` runs this
 * (test/architecture/layers.test.ts); `npx depcruise src` shows every violation with the import.
 */
const ALLOWED = {
  core: [],
  data: ["core"],
  book: ["core", "data"],
  venues: ["core", "data", "book"],
  stats: ["core"],
  engine: ["core", "data", "book", "venues", "stats"],
  strategy: ["core", "data", "book", "venues", "engine"],
  store: ["core"],
  optimize: ["core", "data", "book", "venues", "stats", "engine", "strategy", "store"],
  report: ["core", "data", "book", "venues", "stats", "engine", "strategy", "store", "optimize"],
  live: ["core", "data", "book", "venues", "stats", "engine", "strategy", "report"],
  runs: ["core", "data", "book", "venues", "stats", "engine", "strategy", "store", "optimize", "report", "live"],
  server: ["core", "data", "book", "venues", "stats", "engine", "strategy", "store", "optimize", "report", "runs", "live"],
  cli: ["core", "data", "book", "venues", "stats", "engine", "strategy", "store", "optimize", "report", "runs", "server", "live"],
};
const LAYERS = Object.keys(ALLOWED);

module.exports = {
  forbidden: [
    {
      name: "no-circular",
      severity: "error",
      comment: "An import cycle: break it by moving the shared part down (a type into its own module, or into the lower file).",
      from: { path: "^src/" },
      to: { circular: true },
    },
    {
      name: "no-venue-below",
      severity: "error",
      comment: "src/data and src/book are venue-free: a venue registers its formats, detectors and book rules into their registries from src/venues/<venue>/ (docs/architecture.md, \"How to add a venue\").",
      from: { path: "^src/(data|book)/" },
      to: { path: "^src/venues/" },
    },
    ...LAYERS.map((layer) => ({
      name: `layer-${layer}`,
      severity: "error",
      comment: `src/${layer} may import only ${ALLOWED[layer].length ? ALLOWED[layer].join(", ") : "nothing else"} (docs/architecture.md, "Layers").`,
      from: { path: `^src/${layer}/` },
      to: { path: `^src/(${LAYERS.filter((l) => l !== layer && !ALLOWED[layer].includes(l)).join("|")})/` },
    })),
    {
      name: "through-index",
      severity: "error",
      comment: "Another layer is imported through its index.ts (its public face) or its internal.ts (what other layers use but the package does not export), never another file inside it.",
      from: { path: "^src/([^/]+)/" },
      to: { path: "^src/[^/]+/.+", pathNot: ["^src/$1/", "^src/[^/]+/(index|internal)\\.ts$"] },
    },
    {
      name: "layer-entry",
      severity: "error",
      comment: "src/index.ts (the package entry) imports the layers through their index.ts (lab.data and lab.book through src/venues/*-aliases.ts, which add the venues' deprecated former names).",
      from: { path: "^src/index\\.ts$" },
      to: { path: "^src/[^/]+/.+", pathNot: ["^src/[^/]+/index\\.ts$", "^src/venues/(data|book)-aliases\\.ts$"] },
    },
  ],
  options: {
    doNotFollow: { path: "node_modules" },
    exclude: { path: "^src/server/dashboard/" },
    tsConfig: { fileName: "tsconfig.json" },
    tsPreCompilationDeps: true,
    enhancedResolveOptions: { extensions: [".ts", ".js"] },
  },
};
