import { readFileSync } from "node:fs";
import { Command, CommanderError } from "commander";
import { LabError, closestName } from "../core/index.js";
import { COMMAND_MODULES } from "./commands/registry.js";
import { reportError } from "./util.js";

export function packageVersion(): string {
  const pkg = JSON.parse(readFileSync(new URL("../../package.json", import.meta.url), "utf8")) as { version: string };
  return pkg.version;
}

export function buildProgram(): Command {
  const program = new Command();
  program
    .name("strategy-lab")
    .description("Research environment for high-frequency trading strategies: ingest and validate tick data, rebuild order books, backtest, optimize and report.")
    .version(packageVersion(), "-v, --version")
    .showSuggestionAfterError(false)
    .exitOverride()
    .configureOutput({ writeErr: () => undefined });
  for (const register of COMMAND_MODULES) register(program);
  // Every subcommand inherits the error handling: errors become one line with a hint.
  const harden = (cmd: Command): void => {
    cmd.exitOverride().configureOutput({ writeErr: () => undefined }).showSuggestionAfterError(false);
    cmd.commands.forEach(harden);
  };
  program.commands.forEach(harden);
  return program;
}

function commandNames(cmd: Command): string[] {
  return cmd.commands.map((c) => c.name());
}

/** Converts commander's own errors into LabErrors with hints. */
function translateCommanderError(error: CommanderError, argv: readonly string[], program: Command): LabError | undefined {
  const where = argv.filter((a) => !a.startsWith("-")).join(" ");
  switch (error.code) {
    case "commander.unknownCommand": {
      const name = /'([^']+)'/.exec(error.message)?.[1] ?? where;
      const guess = closestName(name, commandNames(program));
      return new LabError({ code: "UNKNOWN_COMMAND", message: `unknown command "${name}"`, hint: guess ? `did you mean "${guess}"? Run strategy-lab --help for all commands` : "run strategy-lab --help for all commands", context: { command: name } });
    }
    case "commander.unknownOption": {
      const opt = /'([^']+)'/.exec(error.message)?.[1] ?? "?";
      return new LabError({ code: "UNKNOWN_OPTION", message: `unknown option ${opt}`, hint: `run strategy-lab ${where} --help for the options of this command`, context: { option: opt } });
    }
    case "commander.missingArgument":
    case "commander.optionMissingArgument":
    case "commander.missingMandatoryOptionValue":
    case "commander.invalidArgument":
    case "commander.excessArguments":
      return new LabError({ code: "BAD_ARGUMENTS", message: error.message.replace(/^error: /, ""), hint: `run strategy-lab ${where} --help for usage` });
    default:
      return undefined;
  }
}

/** Runs the CLI; returns the exit code. Never throws and never prints a stack trace. */
export async function runCli(argv: readonly string[]): Promise<number> {
  const program = buildProgram();
  if (argv.length === 0) {
    process.stdout.write(program.helpInformation());
    return 0;
  }
  try {
    await program.parseAsync([...argv], { from: "user" });
    return typeof process.exitCode === "number" ? process.exitCode : 0;
  } catch (error) {
    if (error instanceof CommanderError) {
      if (error.code === "commander.helpDisplayed" || error.code === "commander.version" || error.code === "commander.help") return 0;
      const lab = translateCommanderError(error, argv, program);
      return reportError(lab ?? new LabError({ code: "BAD_ARGUMENTS", message: error.message.replace(/^error: /, ""), hint: "run strategy-lab --help" }));
    }
    return reportError(error);
  }
}
