import { readFileSync } from "node:fs";
import { Command, CommanderError } from "commander";
import { LabError, closestName } from "../core/index.js";
import { COMMAND_MODULES } from "./commands/registry.js";
import { reportError } from "./util.js";

export function packageVersion(): string {
  const pkg = JSON.parse(readFileSync(new URL("../../package.json", import.meta.url), "utf8")) as { version: string };
  return pkg.version;
}

/** The command each commander error was raised by (recorded by every command's exit override). */
const raisedBy = new WeakMap<CommanderError, Command>();

function hardened(cmd: Command): Command {
  return cmd
    .exitOverride((error: CommanderError) => {
      raisedBy.set(error, cmd);
      throw error;
    })
    .configureOutput({ writeErr: () => undefined })
    .showSuggestionAfterError(false);
}

export function buildProgram(): Command {
  const program = new Command();
  program
    .name("strategy-lab")
    .description("Research environment for high-frequency trading strategies: ingest and validate tick data, rebuild order books, backtest, optimize and report.")
    .version(packageVersion(), "-v, --version");
  hardened(program);
  for (const register of COMMAND_MODULES) register(program);
  // Every subcommand inherits the error handling: errors become one line with a hint.
  const harden = (cmd: Command): void => {
    hardened(cmd);
    cmd.commands.forEach(harden);
  };
  program.commands.forEach(harden);
  return program;
}

/** `strategy-lab notebooks run`: the words that name `cmd`, never the values given to it. */
export function commandPath(cmd: Command): string {
  const names: string[] = [];
  for (let c: Command | null = cmd; c; c = c.parent) names.unshift(c.name());
  return names.join(" ");
}

/** The option flags `cmd` accepts (long and short), help included. */
function optionFlags(cmd: Command): { long: string[]; all: string[] } {
  const long = [...cmd.options.map((o) => o.long).filter((f): f is string => f !== undefined), "--help"];
  const short = [...cmd.options.map((o) => o.short).filter((f): f is string => f !== undefined), "-h"];
  return { long, all: [...long, ...short] };
}

/** The first word among the command's leftover arguments that is an option it does not know. */
function firstUnknownOption(cmd: Command): string | undefined {
  const { all } = optionFlags(cmd);
  return cmd.args.map((a) => a.replace(/=.*$/, "")).find((a) => /^--?[A-Za-z]/.test(a) && !all.includes(a));
}

function unknownOptionError(cmd: Command, option: string): LabError {
  const path = commandPath(cmd);
  // "--name=value": the value is the user's, only the name is repeated.
  const name = option.replace(/=.*$/, "");
  const guess = name.startsWith("--") ? closestName(name, optionFlags(cmd).long) : undefined;
  const help = `${path} --help`;
  return new LabError({
    code: "UNKNOWN_OPTION",
    message: `unknown option ${name} for ${path}`,
    hint: guess ? `did you mean ${guess}? Run ${help} for its options` : `run ${help} for its options`,
    context: { option: name, command: path },
  });
}

/** The option whose flags commander quotes in its message ('--out <file>'). */
function quotedOption(cmd: Command, message: string): { flags: string; description: string } | undefined {
  const flags = /'([^']+)'/.exec(message)?.[1];
  if (!flags) return undefined;
  const option = cmd.options.find((o) => o.flags === flags);
  return { flags, description: option?.description ?? "" };
}

/** Converts commander's own errors into LabErrors whose hints name the command, never its values. */
function translateCommanderError(error: CommanderError, cmd: Command): LabError | undefined {
  const path = commandPath(cmd);
  const help = `${path} --help`;
  const usage = `usage: ${path} ${cmd.usage()}`;
  switch (error.code) {
    case "commander.unknownCommand": {
      const name = /'([^']+)'/.exec(error.message)?.[1] ?? "?";
      const names = cmd.commands.flatMap((c) => [c.name(), ...c.aliases()]);
      const guess = closestName(name, names);
      const top = cmd.parent === null;
      const rest = top ? `Run ${help} for all commands` : `Run ${help} for its commands (${cmd.commands.map((c) => c.name()).join(", ")})`;
      return new LabError({ code: "UNKNOWN_COMMAND", message: top ? `unknown command "${name}"` : `unknown command "${name}" for ${path}`, hint: guess ? `did you mean "${guess}"? ${rest}` : rest.charAt(0).toLowerCase() + rest.slice(1), context: { command: name, parent: path } });
    }
    case "commander.unknownOption": {
      const option = /'([^']+)'/.exec(error.message)?.[1] ?? firstUnknownOption(cmd) ?? "?";
      return unknownOptionError(cmd, option);
    }
    case "commander.missingMandatoryOptionValue": {
      // A mistyped required option is both unknown and missing: the typo is the one to report.
      const typo = firstUnknownOption(cmd);
      if (typo) return unknownOptionError(cmd, typo);
      const option = quotedOption(cmd, error.message);
      const flags = option?.flags ?? "a required option";
      // Words without an option name before them (`backtest file.parquet`) are not option values.
      const stray = cmd.args.length - cmd.registeredArguments.length;
      const strayNote = stray > 0 ? ` (${stray} argument${stray === 1 ? "" : "s"} given without an option name before ${stray === 1 ? "it" : "them"})` : "";
      return new LabError({ code: "MISSING_OPTION", message: `${path} needs ${flags}${strayNote}`, hint: `${option?.description ? `${flags}: ${option.description}; ` : ""}run ${help} for its options`, context: { option: flags.split(/[ ,]/)[0], command: path } });
    }
    case "commander.optionMissingArgument": {
      const option = quotedOption(cmd, error.message);
      const flags = option?.flags ?? "an option";
      const name = flags.split(/[ ,]/)[0]!;
      return new LabError({ code: "BAD_ARGUMENTS", message: `option ${name} of ${path} needs a value (${flags})`, hint: `${option?.description ? `${name}: ${option.description}; ` : ""}run ${help} for its options`, context: { option: name, command: path } });
    }
    case "commander.missingArgument": {
      const name = /'([^']+)'/.exec(error.message)?.[1] ?? "argument";
      return new LabError({ code: "BAD_ARGUMENTS", message: `${path} needs its <${name}> argument`, hint: `${usage}; run ${help} for details`, context: { argument: name, command: path } });
    }
    case "commander.excessArguments": {
      const expected = cmd.registeredArguments.length;
      const extra = cmd.args.length - expected;
      const takes = expected === 0 ? "takes no arguments" : `takes ${expected} (${cmd.registeredArguments.map((a) => `<${a.name()}>`).join(" ")})`;
      // A data file given bare to a command that reads one with --data.
      const dataHint = cmd.options.some((o) => o.long === "--data") ? "a data file goes after --data; " : "";
      return new LabError({ code: "BAD_ARGUMENTS", message: `too many arguments for ${path}: it ${takes}, got ${extra} more`, hint: `${dataHint}${usage}; options take their values as --name value; run ${help} for details`, context: { command: path, extra } });
    }
    case "commander.invalidArgument":
      return new LabError({ code: "BAD_ARGUMENTS", message: error.message.replace(/^error: /, ""), hint: `run ${help} for the accepted values`, context: { command: path } });
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
      const cmd = raisedBy.get(error) ?? program;
      if (error.code === "commander.helpDisplayed" || error.code === "commander.version") return 0;
      // A command that only groups others (`strategy-lab notebooks`) shows its help.
      if (error.code === "commander.help") {
        process.stdout.write(cmd.helpInformation());
        return 0;
      }
      const lab = translateCommanderError(error, cmd);
      return reportError(lab ?? new LabError({ code: "BAD_ARGUMENTS", message: error.message.replace(/^error: /, ""), hint: `run ${commandPath(cmd)} --help` }));
    }
    return reportError(error);
  }
}
