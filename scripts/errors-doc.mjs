// Writes docs/errors.md from the error catalogue (src/core/error-codes.ts), as built in dist/.
// Run after `npm run build`: `npm run docs:errors`.
import { existsSync, writeFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";

const root = join(dirname(fileURLToPath(import.meta.url)), "..");
const built = join(root, "dist", "core", "error-codes.js");
if (!existsSync(built)) {
  process.stderr.write(`error: ${built} is missing; run npm run build first\n`);
  process.exit(1);
}
const { errorCatalogueMarkdown, ERROR_CODE_NAMES } = await import(pathToFileURL(built).href);
const out = join(root, "docs", "errors.md");
writeFileSync(out, errorCatalogueMarkdown());
process.stdout.write(`wrote ${out} (${ERROR_CODE_NAMES.length} codes)\n`);
