import type { Command } from "commander";
import { relative, resolve, join } from "node:path";
import { LabError } from "../../core/index.js";
import { formatFailures, runNotebooks } from "../notebook-runner.js";
import { cliProgress, output, parseIntegerOption, type GlobalOptions } from "../util.js";

interface RunOptions extends GlobalOptions {
  html?: string;
  timeout?: string;
  skipUnchanged?: boolean;
}

export function register(program: Command): void {
  const notebooks = program.command("notebooks").description("execute notebooks headless and export HTML");
  notebooks
    .command("run")
    .description("execute notebooks (files or folders) on the Strategy Lab kernel; report failing cells")
    .argument("[paths...]", "notebooks or folders", ["notebooks"])
    .option("--html <dir>", "write executed notebooks, HTML pages and index.html here")
    .option("--timeout <seconds>", "per-cell timeout", "600")
    .option("--skip-unchanged", "reuse earlier results of notebooks whose source, the package and data are unchanged (needs --html)")
    .option("--json", "print results as JSON")
    .option("-q, --quiet", "no progress output")
    .action(async (paths: string[], options: RunOptions) => {
      const timeoutSeconds = parseIntegerOption(options.timeout ?? "600", "--timeout");
      const progress = options.json ? undefined : cliProgress(options);
      const results = await runNotebooks(paths, {
        timeoutSeconds,
        skipUnchanged: Boolean(options.skipUnchanged),
        ...(options.html ? { htmlDir: options.html } : {}),
        ...(progress ? { progress } : {}),
        onResult: (r) => {
          if (!options.json && !r.ok) process.stderr.write(formatFailures(r) + "\n\n");
        },
      });
      const failed = results.filter((r) => !r.ok);
      output(results, options.json, () => {
        const lines = results.map((r) => `${r.ok ? "ok    " : "FAILED"} ${relative(process.cwd(), r.notebook)} (${r.cells} cells, ${r.seconds.toFixed(1)} s)${r.html ? ` -> ${relative(process.cwd(), r.html)}` : ""}`);
        if (options.html) lines.push(`index: ${relative(process.cwd(), join(resolve(options.html), "index.html"))}`);
        return lines.join("\n");
      });
      if (failed.length > 0) {
        throw new LabError({ code: "NOTEBOOK_FAILED", message: `${failed.length} of ${results.length} notebooks had failing cells: ${failed.map((r) => relative(process.cwd(), r.notebook)).join(", ")}`, hint: "the failing cells and errors are printed above; fix them and rerun" });
      }
    });
}
