// Runs every bench/<area>.bench.mjs in its own process (so peak RSS is per area) against dist/.
// Usage: npm run bench [-- area ...]
import { readdirSync } from "node:fs";
import { spawnSync } from "node:child_process";
import { fileURLToPath } from "node:url";
import { dirname, join } from "node:path";
import { largePageEnv } from "./large-pages.mjs";

const root = join(dirname(fileURLToPath(import.meta.url)), "..");
const wanted = process.argv.slice(2);
const files = readdirSync(join(root, "bench")).filter((f) => f.endsWith(".bench.mjs")).filter((f) => wanted.length === 0 || wanted.includes(f.replace(".bench.mjs", ""))).sort();
let failed = 0;
for (const file of files) {
  console.log(`\n== bench ${file}`);
  const r = spawnSync(process.execPath, ["--expose-gc", join(root, "bench", file)], { stdio: "inherit", cwd: root, env: largePageEnv(process.env) });
  if (r.status !== 0) {
    failed++;
    console.error(`bench ${file} failed with exit code ${r.status}`);
  }
}
process.exit(failed ? 1 : 0);
