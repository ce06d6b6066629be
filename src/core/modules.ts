import { existsSync } from "node:fs";
import { fileURLToPath, pathToFileURL } from "node:url";
import { LabError } from "./errors.js";

/**
 * URL of a compiled module beside the module at `moduleUrl` (its `import.meta.url`), e.g. a worker
 * script: next to it when running from dist/, else the same path under dist/ when running from
 * TypeScript sources (tests, notebooks on sources). Worker threads run compiled JavaScript only.
 */
export function compiledModuleUrlFrom(moduleUrl: string, file: string, what: string): URL {
  const here = new URL(`./${file}`, moduleUrl);
  const path = fileURLToPath(here);
  if (existsSync(path)) return here;
  const fromSources = path.replace(/([\\/])src([\\/])([^\\/]+)([\\/])([^\\/]+)$/, "$1dist$2$3$4$5");
  if (fromSources !== path && existsSync(fromSources)) return pathToFileURL(fromSources);
  throw new LabError({ code: "WORKER_NOT_BUILT", message: `${what} is missing: ${path}`, hint: "build the package first: npm run build (workers run compiled JavaScript from dist/)", context: { file: path } });
}
