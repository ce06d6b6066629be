// Builds dist/ once if it is missing, so CLI and notebook tests can run from a plain `npx vitest`.
// (`npm test` runs scripts/setup.mjs first, which builds and installs the kernel.)
import { existsSync } from "node:fs";
import { execFileSync } from "node:child_process";
import { join } from "node:path";

export default function setup(): void {
  const root = join(__dirname, "..", "..");
  if (!existsSync(join(root, "dist", "index.js"))) {
    execFileSync(process.execPath, [join(root, "node_modules", "typescript", "bin", "tsc"), "-p", "tsconfig.json"], { cwd: root, stdio: "inherit" });
  }
}
