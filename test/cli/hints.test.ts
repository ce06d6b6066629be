/**
 * Command-line mistakes: each is one stderr line `error CODE: message (hint: ...)` whose hint
 * names the command (`strategy-lab <command> --help`), suggests the closest option or command,
 * and never repeats the values given on the command line.
 */
import { spawn } from "node:child_process";
import { beforeAll, describe, expect, it } from "vitest";
import { CLI, ROOT } from "../helpers/paths.js";

interface Run {
  code: number | null;
  stdout: string;
  stderr: string;
}

const VALUES = ["/path/file.npz", "hftbacktest", "0.1", "0.001", "skewedMarketMaker", '{"spread":2}'];

/** Every command line below, started together (each is a separate process: startup dominates). */
const CASES: string[][] = [
  ["backtest", ...VALUES, "--frobnicate"],
  ["backtest", "--strategy", "imbalance", "--data", "generated", "--latncy", "5us"],
  ["validate", "data/tardis-csv-samples/bitmex_trades_XBTUSD.csv", "--on-bad-row=quarantine"],
  ["backtest", "--stratgy", "imbalance"],
  ["notebooks", "run", "notebooks/x.ipynb", "--timeuot", "30"],
  ["backtest", "--data", "generated", "--strategy"],
  ["report", "results.json"],
  ["optimize", "--strategy", "imbalance", ...VALUES],
  ["validate", "--json"],
  ["backtest", "--strategy", "imbalance", "--data", "generated", "ticks.parquet", "more"],
  ["stats", "a.csv", "b.csv"],
  ["backtset", "--strategy", "imbalance"],
  ["notebooks", "rnu", "notebooks/x.ipynb"],
  ["zzzzzzzz"],
  ["notebooks"],
];

const runs = new Map<string, Run>();

function start(args: string[]): Promise<void> {
  return new Promise((done, fail) => {
    const child = spawn(process.execPath, [CLI, ...args], { cwd: ROOT, stdio: ["ignore", "pipe", "pipe"] });
    let stdout = "";
    let stderr = "";
    child.stdout.setEncoding("utf8").on("data", (c: string) => (stdout += c));
    child.stderr.setEncoding("utf8").on("data", (c: string) => (stderr += c));
    child.on("error", fail);
    child.on("close", (code) => {
      runs.set(JSON.stringify(args), { code, stdout, stderr });
      done();
    });
  });
}

beforeAll(async () => {
  await Promise.all(CASES.map(start));
}, 120_000);

function cli(...args: string[]): Run {
  const r = runs.get(JSON.stringify(args));
  if (!r) throw new Error(`not among CASES: ${args.join(" ")}`);
  return r;
}

/** The CLI's result for `args`: checks the one-line error shape and returns its parts. */
function mistake(code: string, args: string[], values: string[]): { message: string; hint: string } {
  const r = cli(...args);
  expect(r.code).not.toBe(0);
  expect(r.stdout).toBe("");
  const lines = r.stderr.split("\n").filter((l) => l !== "");
  expect(lines).toHaveLength(1);
  const match = new RegExp(`^error ${code}: (.+) \\(hint: (.+)\\)$`).exec(lines[0]!);
  expect(match, lines[0]).not.toBeNull();
  const [, message, hint] = match!;
  for (const value of values) expect(hint, `hint repeats "${value}"`).not.toContain(value);
  return { message: message!, hint: hint! };
}

describe("CLI hints name the command, never its values", () => {
  it("unknown option among positional values: the command's help, not the values", () => {
    const e = mistake("UNKNOWN_OPTION", ["backtest", ...VALUES, "--frobnicate"], VALUES);
    expect(e.message).toBe("unknown option --frobnicate for strategy-lab backtest");
    expect(e.hint).toBe("run strategy-lab backtest --help for its options");
    // The message does not repeat them either.
    for (const v of VALUES) expect(e.message).not.toContain(v);
  });

  it("unknown option close to a known one: did you mean", () => {
    const e = mistake("UNKNOWN_OPTION", ["backtest", "--strategy", "imbalance", "--data", "generated", "--latncy", "5us"], ["imbalance", "generated", "5us"]);
    expect(e.message).toBe("unknown option --latncy for strategy-lab backtest");
    expect(e.hint).toBe("did you mean --latency? Run strategy-lab backtest --help for its options");
    const v = mistake("UNKNOWN_OPTION", ["validate", "data/tardis-csv-samples/bitmex_trades_XBTUSD.csv", "--on-bad-row=quarantine"], ["bitmex", "quarantine"]);
    expect(v.message).toBe("unknown option --on-bad-row for strategy-lab validate");
    expect(v.hint).toBe("did you mean --on-bad-rows? Run strategy-lab validate --help for its options");
  });

  it("a mistyped required option is reported as the typo, not as missing", () => {
    const e = mistake("UNKNOWN_OPTION", ["backtest", "--stratgy", "imbalance"], ["imbalance"]);
    expect(e.hint).toBe("did you mean --strategy? Run strategy-lab backtest --help for its options");
  });

  it("unknown option of a subcommand names the whole command path", () => {
    const e = mistake("UNKNOWN_OPTION", ["notebooks", "run", "notebooks/x.ipynb", "--timeuot", "30"], ["notebooks/x.ipynb", "30"]);
    expect(e.message).toBe("unknown option --timeuot for strategy-lab notebooks run");
    expect(e.hint).toBe("did you mean --timeout? Run strategy-lab notebooks run --help for its options");
  });

  it("an option without its value", () => {
    const e = mistake("BAD_ARGUMENTS", ["backtest", "--data", "generated", "--strategy"], ["generated"]);
    expect(e.message).toBe("option --strategy of strategy-lab backtest needs a value (--strategy <name>)");
    expect(e.hint).toMatch(/^--strategy: strategy name \(.*imbalance.*\); run strategy-lab backtest --help for its options$/);
  });

  it("a required option not given (words without an option name before them are counted, not repeated)", () => {
    const e = mistake("MISSING_OPTION", ["report", "results.json"], ["results.json"]);
    expect(e.message).toBe("strategy-lab report needs --out <file>");
    expect(e.hint).toBe("--out <file>: HTML file to write; run strategy-lab report --help for its options");
    const b = mistake("MISSING_OPTION", ["optimize", "--strategy", "imbalance", ...VALUES], ["imbalance", ...VALUES]);
    expect(b.message).toBe(`strategy-lab optimize needs --data <path> (${VALUES.length} arguments given without an option name before them)`);
    expect(b.hint).toContain("; run strategy-lab optimize --help for its options");
  });

  it("a missing argument", () => {
    const e = mistake("BAD_ARGUMENTS", ["validate", "--json"], []);
    expect(e.message).toBe("strategy-lab validate needs its <path> argument");
    expect(e.hint).toBe("usage: strategy-lab validate [options] <path>; run strategy-lab validate --help for details");
  });

  it("too many arguments", () => {
    const e = mistake("BAD_ARGUMENTS", ["backtest", "--strategy", "imbalance", "--data", "generated", "ticks.parquet", "more"], ["imbalance", "generated", "ticks.parquet", "more"]);
    expect(e.message).toBe("too many arguments for strategy-lab backtest: it takes no arguments, got 2 more");
    expect(e.hint).toBe("a data file goes after --data; usage: strategy-lab backtest [options]; options take their values as --name value; run strategy-lab backtest --help for details");
    const s = mistake("BAD_ARGUMENTS", ["stats", "a.csv", "b.csv"], ["a.csv", "b.csv"]);
    expect(s.message).toBe("too many arguments for strategy-lab stats: it takes 1 (<returns>), got 1 more");
    expect(s.hint).toBe("usage: strategy-lab stats [options] <returns>; options take their values as --name value; run strategy-lab stats --help for details");
  });

  it("unknown commands: did you mean, at the top and under a command group", () => {
    const top = mistake("UNKNOWN_COMMAND", ["backtset", "--strategy", "imbalance"], ["imbalance"]);
    expect(top.message).toBe('unknown command "backtset"');
    expect(top.hint).toBe('did you mean "backtest"? Run strategy-lab --help for all commands');
    const sub = mistake("UNKNOWN_COMMAND", ["notebooks", "rnu", "notebooks/x.ipynb"], ["notebooks/x.ipynb"]);
    expect(sub.message).toBe('unknown command "rnu" for strategy-lab notebooks');
    expect(sub.hint).toBe('did you mean "run"? Run strategy-lab notebooks --help for its commands (run)');
    const none = mistake("UNKNOWN_COMMAND", ["zzzzzzzz"], []);
    expect(none.hint).toBe("run strategy-lab --help for all commands");
  });

  it("a command group alone prints its help", () => {
    const r = cli("notebooks");
    expect(r.code).toBe(0);
    expect(r.stderr).toBe("");
    expect(r.stdout).toMatch(/^Usage: strategy-lab notebooks \[options\] \[command\]/);
    expect(r.stdout).toMatch(/\n {2}run \[options\]/);
  });
});
