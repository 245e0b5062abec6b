/**
 * The `distsim` command, as a function of its arguments (so tests call it without a process). Node-only (it reads files and writes to the terminal), so it lives
 * apart from the engine, which runs in a browser too. Subcommands arrive with their issues
 * (run, catalog, sweep); today it answers --help and --version.
 */
import { readFileSync } from "node:fs";
import { parseArgs } from "node:util";

const USAGE = `distsim - discrete-event simulation of distributed systems

Usage:
  distsim --help        show this help
  distsim --version     print the version

Library: import { Simulation, Entity } from "distsim" (see README.md).
`;

/** Exit codes, one per kind of failure, so scripts can tell them apart. */
export const ExitCode = { ok: 0, usage: 2 } as const;

function packageVersion(): string {
  const manifest = JSON.parse(
    readFileSync(new URL("../../package.json", import.meta.url), "utf8"),
  ) as { version: string };
  return manifest.version;
}

export function main(argv: readonly string[], out: (text: string) => void): number {
  let parsed: ReturnType<typeof parseArgs>;
  try {
    parsed = parseArgs({
      args: [...argv],
      options: {
        help: { type: "boolean", short: "h" },
        version: { type: "boolean", short: "v" },
      },
      allowPositionals: true,
    });
  } catch (error) {
    out(`distsim: ${(error as Error).message}\n\n${USAGE}`);
    return ExitCode.usage;
  }
  if (parsed.values.version) {
    out(`${packageVersion()}\n`);
    return ExitCode.ok;
  }
  if (parsed.values.help || parsed.positionals.length === 0) {
    out(USAGE);
    return ExitCode.ok;
  }
  out(`distsim: unknown command "${parsed.positionals[0]}"\n\n${USAGE}`);
  return ExitCode.usage;
}
