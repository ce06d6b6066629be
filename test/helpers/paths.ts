import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

export const ROOT = join(dirname(fileURLToPath(import.meta.url)), "..", "..");
export const SHARED_DATA = join(ROOT, "..", "shared", "data", "real");
/** Git-ignored folder for test artefacts (screenshots, exported pages, temp notebooks). */
export const TEST_OUTPUT = join(ROOT, "test-output");
export const CLI = join(ROOT, "dist", "cli", "main.js");
