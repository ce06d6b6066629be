// Installs the "Strategy Lab (TypeScript)" kernelspec and the project's Jupyter Notebook settings
// into the project-local Jupyter folder (<root>/.jupyter), never into the user's or the system's
// Jupyter state, and patches tslab: headless runs continue after an error when asked to, and the
// kernel hook (kernels/tslab-hook.cjs) renders errors and rich values. Used by scripts/setup.mjs;
// safe to run repeatedly.
import { readFileSync, writeFileSync, mkdirSync, existsSync } from "node:fs";
import { join, dirname, resolve } from "node:path";
import { spawnSync } from "node:child_process";
import { createRequire } from "node:module";

export const KERNEL_NAME = "strategy-lab";

export function installKernel(root) {
  const template = JSON.parse(readFileSync(join(root, "kernels", KERNEL_NAME, "kernel.json"), "utf8"));
  const binary = join(root, "node_modules", ".bin", "tslab");
  if (!existsSync(binary)) throw new Error(`tslab is not installed at ${binary}; run npm install first`);
  template.argv = template.argv.map((a) => (a === "{TSLAB_BINARY}" ? binary : a));
  for (const [k, v] of Object.entries(template.env ?? {})) if (v === "{KERNEL_HOOK}") template.env[k] = join(root, "kernels", "tslab-hook.cjs");
  const target = join(root, ".jupyter", "share", "jupyter", "kernels", KERNEL_NAME);
  mkdirSync(target, { recursive: true });
  const text = JSON.stringify(template, null, 2) + "\n";
  const file = join(target, "kernel.json");
  const changed = !existsSync(file) || readFileSync(file, "utf8") !== text;
  if (changed) writeFileSync(file, text);
  for (const d of ["data", "config", "runtime"]) mkdirSync(join(root, ".jupyter", d), { recursive: true });
  const config = writeJupyterConfig(root);
  return { file, changed: changed || config.changed };
}

/**
 * The Notebook server's settings (`.jupyter/config/jupyter_notebook_config.py`, read because
 * JUPYTER_CONFIG_DIR points there): the project folder as its root, so paths in the README
 * (`notebooks/03-backtest.ipynb`) are the paths in the file browser; 127.0.0.1 only; no browser
 * opened; and root allowed when the server runs as root (containers, CI), which Jupyter refuses by
 * default. The server still requires its token. Command-line options override these.
 *
 * After each save, a tracked notebook whose content git sees as unchanged (outputs are dropped by
 * the strip-outputs filter, see installGitFilter) gets its index entry refreshed (`git add` of an
 * unchanged file stages nothing): git lists a file whose size differs from the index's record as
 * modified without running the filter, so a notebook that was only run would show in `git status`.
 */
export function writeJupyterConfig(root) {
  const file = join(root, ".jupyter", "config", "jupyter_notebook_config.py");
  const text = [
    "# Settings of the Strategy Lab notebook server, written by kernels/install.mjs (npm run setup,",
    "# npm run notebook): edits are overwritten. Pass options to `npm run notebook -- ...` instead.",
    "import os",
    `PROJECT = ${JSON.stringify(root)}`,
    "c.NotebookApp.notebook_dir = PROJECT",
    'c.NotebookApp.ip = "127.0.0.1"',
    "c.NotebookApp.open_browser = False",
    "c.NotebookApp.allow_root = hasattr(os, \"getuid\") and os.getuid() == 0",
    "",
    "def _refresh_git_index(os_path=None, **_):",
    "    import subprocess",
    "    try:",
    "        rel = os.path.relpath(os_path or \"\", PROJECT)",
    "        if not rel.endswith(\".ipynb\") or rel.startswith(\"..\"):",
    "            return",
    "        git = lambda *a: subprocess.run([\"git\", \"-C\", PROJECT, *a], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, timeout=60).returncode",
    "        if git(\"ls-files\", \"--error-unmatch\", \"--\", rel) == 0 and git(\"diff\", \"--quiet\", \"--\", rel) == 0:",
    "            git(\"add\", \"--\", rel)",
    "    except Exception:",
    "        pass",
    "",
    "c.FileContentsManager.post_save_hook = _refresh_git_index",
    "",
  ].join("\n");
  mkdirSync(dirname(file), { recursive: true });
  const changed = !existsSync(file) || readFileSync(file, "utf8") !== text;
  if (changed) writeFileSync(file, text);
  return { file, changed };
}

// Each patch replaces one exact piece of tslab 1.0.x; a patched file is recognized and left alone.
const PATCHES = [
  {
    // tslab cancels every cell that arrives within 200 ms after a failing one, even when the client
    // asked to continue (stop_on_error false, as nbclient does with allow_errors). Honour the flag:
    // reset the queue at once when the client does not want to stop, keep tslab's behaviour otherwise.
    what: "keep running cells after an error when the client asks to continue",
    file: "jupyter.js",
    original: "this.execQueue.reset(200);",
    patched: "if (req && req.stop_on_error === false) { this.execQueue.reset(); } else { this.execQueue.reset(200); } /* strategy-lab: honour stop_on_error */",
  },
  {
    // The executor reports through the console object it is given: `log(value)` for a cell's last
    // value, `error(e)` for an exception, `error(format, ...)` for compile diagnostics. The hook named
    // by the kernelspec's env (kernels/tslab-hook.cjs) wraps that object to send values that
    // implement the display protocol, and errors, as HTML display data. Without the variable (tslab
    // started by another kernelspec) or if the hook fails to load, tslab keeps its own behaviour.
    what: "render errors and rich values through kernels/tslab-hook.cjs",
    file: "main.js",
    original: "const executor = (0, executor_1.createExecutor)(process.cwd(), convs, {\n        log: console.log,\n        error: console.error,\n    });",
    patched:
      "const executor = (0, executor_1.createExecutor)(process.cwd(), convs, /* strategy-lab: kernel hook */ ((c) => { const hook = process.env.STRATEGY_LAB_KERNEL_HOOK; if (!hook) return c; try { return require(hook).kernelConsole(c, jupyter_1); } catch (e) { console.error(\"strategy-lab: kernel hook not loaded:\", e); return c; } })({\n        log: console.log,\n        error: console.error,\n    }));",
  },
];

/** Applies the tslab patches that are missing; throws naming the file if tslab's code changed. */
export function patchTslab(root) {
  const require = createRequire(join(root, "package.json"));
  const dist = join(dirname(require.resolve("tslab/package.json")), "dist");
  const applied = [];
  for (const patch of PATCHES) {
    const file = join(dist, patch.file);
    const source = readFileSync(file, "utf8");
    if (source.includes(patch.patched)) continue;
    if (!source.includes(patch.original)) throw new Error(`cannot patch ${file}: expected code not found (tslab version changed?)`);
    writeFileSync(file, source.replace(patch.original, patch.patched));
    applied.push(patch.what);
  }
  return { dir: dist, changed: applied.length > 0, applied };
}

/**
 * Sets the git clean filter named in .gitattributes (`notebooks/*.ipynb filter=strip-outputs`) in
 * the repository's own config: notebooks run in Jupyter keep their outputs in the working file,
 * and git stores them without (scripts/strip-notebook-outputs.mjs). Nothing happens outside a git
 * checkout or when git is missing.
 */
export function installGitFilter(root) {
  const command = "node scripts/strip-notebook-outputs.mjs %f";
  const git = (...args) => spawnSync("git", ["-C", root, ...args], { encoding: "utf8" });
  const inside = git("rev-parse", "--show-toplevel");
  if (inside.status !== 0 || resolve(inside.stdout.trim()) !== resolve(root)) return { changed: false, configured: false };
  if (git("config", "--local", "--get", "filter.strip-outputs.clean").stdout.trim() === command) return { changed: false, configured: true };
  const set = git("config", "--local", "filter.strip-outputs.clean", command);
  return { changed: set.status === 0, configured: set.status === 0 };
}
