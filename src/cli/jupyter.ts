/** Where the project's Jupyter lives: project-local folders only, Debian's python3 with nbclient. */
import { existsSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

export const KERNEL_NAME = "strategy-lab";

/** The package root (folder with package.json), from dist/cli/. */
export function packageRoot(): string {
  return join(dirname(fileURLToPath(import.meta.url)), "..", "..");
}

/** Debian's interpreter has Jupyter; another python3 may come first on PATH without it. */
export function jupyterPython(): string {
  return process.env.STRATEGY_LAB_PYTHON ?? (existsSync("/usr/bin/python3") ? "/usr/bin/python3" : "python3");
}

/** Environment pointing Jupyter at `<root>/.jupyter` only, never at user or system state. */
export function jupyterEnv(root: string = packageRoot(), base: NodeJS.ProcessEnv = process.env): NodeJS.ProcessEnv {
  const dir = join(root, ".jupyter");
  return {
    ...base,
    JUPYTER_PATH: join(dir, "share", "jupyter"),
    JUPYTER_DATA_DIR: join(dir, "data"),
    JUPYTER_CONFIG_DIR: join(dir, "config"),
    JUPYTER_RUNTIME_DIR: join(dir, "runtime"),
    JUPYTER_PLATFORM_DIRS: "1",
    PYDEVD_DISABLE_FILE_VALIDATION: "1",
  };
}

export function kernelInstalled(root: string = packageRoot()): boolean {
  return existsSync(join(root, ".jupyter", "share", "jupyter", "kernels", KERNEL_NAME, "kernel.json"));
}
