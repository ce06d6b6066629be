/**
 * Every CLI command group registers itself here. One line per module; each module exports
 * `register(program: Command): void` and owns its commands' options and output.
 */
import type { Command } from "commander";
import { register as registerNotebooks } from "./notebooks.js";
import { register as registerDbn } from "./dbn.js";
import { register as registerBacktest } from "./backtest.js";
import { register as registerData } from "./data.js";
import { register as registerBook } from "./book.js";
import { register as registerOptimize } from "./optimize.js";
import { register as registerStats } from "./stats.js";
import { register as registerRuns } from "./runs.js";
import { register as registerWorker } from "./worker.js";
import { register as registerServe } from "./serve.js";
import { register as registerReplayServer } from "./replay-server.js";
import { register as registerLive } from "./live.js";

export const COMMAND_MODULES: ReadonlyArray<(program: Command) => void> = [
  registerNotebooks,
  registerDbn,
  registerBacktest,
  registerData,
  registerBook,
  registerOptimize,
  registerStats,
  registerRuns,
  registerWorker,
  registerServe,
  registerReplayServer,
  registerLive,
];
