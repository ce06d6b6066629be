/**
 * hftbacktest: its normalized event files (.npz/.npy, 1.x and 2.x layouts), read as TickBatches
 * and written back. Importing this registers the `hftbacktest` format and its detector.
 */
import "./formats.js";
export {
  readHftbacktest as read,
  parseHftbacktest as parse,
  writeHftbacktest as write,
  hftbacktestRecords as records,
  splitByExchangeOrder,
  parseNpy,
  npyImage,
  HFT_EVENT as EVENT,
  HFT_FLAG as FLAG,
  type HftbacktestReadOptions as ReadOptions,
  type NpyArray,
} from "./npz.js";
