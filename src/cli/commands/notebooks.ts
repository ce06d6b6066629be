import type { Command } from "commander";

export function register(program: Command): void {
  program.command("notebooks").description("execute notebooks headless and export HTML");
}
