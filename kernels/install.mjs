// Installs the "Strategy Lab (TypeScript)" kernelspec into the project-local Jupyter folder
// (<root>/.jupyter), never into the user's or the system's Jupyter state, and fixes one tslab
// behaviour for headless runs. Used by scripts/setup.mjs; safe to run repeatedly.
import { readFileSync, writeFileSync, mkdirSync, existsSync } from "node:fs";
import { join, dirname } from "node:path";
import { createRequire } from "node:module";

export const KERNEL_NAME = "strategy-lab";

export function installKernel(root) {
  const template = JSON.parse(readFileSync(join(root, "kernels", KERNEL_NAME, "kernel.json"), "utf8"));
  const binary = join(root, "node_modules", ".bin", "tslab");
  if (!existsSync(binary)) throw new Error(`tslab is not installed at ${binary}; run npm install first`);
  template.argv = template.argv.map((a) => (a === "{TSLAB_BINARY}" ? binary : a));
  const target = join(root, ".jupyter", "share", "jupyter", "kernels", KERNEL_NAME);
  mkdirSync(target, { recursive: true });
  const text = JSON.stringify(template, null, 2) + "\n";
  const file = join(target, "kernel.json");
  const changed = !existsSync(file) || readFileSync(file, "utf8") !== text;
  if (changed) writeFileSync(file, text);
  for (const d of ["data", "config", "runtime"]) mkdirSync(join(root, ".jupyter", d), { recursive: true });
  return { file, changed };
}

const ORIGINAL = "this.execQueue.reset(200);";
// tslab cancels every cell that arrives within 200 ms after a failing one, even when the client
// asked to continue (stop_on_error false, as nbclient does with allow_errors). Honour the flag:
// reset the queue at once when the client does not want to stop, keep tslab's behaviour otherwise.
const PATCHED = "if (req && req.stop_on_error === false) { this.execQueue.reset(); } else { this.execQueue.reset(200); } /* strategy-lab: honour stop_on_error */";

export function patchTslab(root) {
  const require = createRequire(join(root, "package.json"));
  const file = join(dirname(require.resolve("tslab/package.json")), "dist", "jupyter.js");
  const source = readFileSync(file, "utf8");
  if (source.includes(PATCHED)) return { file, changed: false };
  if (!source.includes(ORIGINAL)) throw new Error(`cannot patch ${file}: expected code not found (tslab version changed?)`);
  writeFileSync(file, source.replace(ORIGINAL, PATCHED));
  return { file, changed: true };
}
