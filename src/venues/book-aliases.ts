/**
 * `lab.book` as the package exports it: the book layer, plus the venue books' former names in it,
 * kept as deprecated aliases of their home under `lab.venues` for one version.
 */
import "./index.js";

export * from "../book/index.js";
