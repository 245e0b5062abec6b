/**
 * The `distsim` command, as a function of its arguments and its output streams (so tests call
 * it without a process). Node-only: it reads files and writes to the terminal, so it lives
 * apart from the engine, which runs in a browser too.
 */
import { readFileSync } from "node:fs";
import { parseArgs } from "node:util";
import * as distsim from "../index.js";
import { catalogCommand } from "./catalogCommand.js";
import { ExitCode } from "./exitCodes.js";
import { initCommand } from "./initCommand.js";
import { type CommandIO, runCommand } from "./runCommand.js";

export { ExitCode } from "./exitCodes.js";

const USAGE = `distsim - discrete-event simulation of distributed systems

Usage:
  distsim run <model.ts|model.js> [--seed N] [--until SECONDS]
              [--json out.json] [--csv out.csv] [--report out.html] [--trace out.jsonl]
      Build the model (its default export, or "build": ({ seed, params }) => Simulation),
      run it, and print a summary. --until defaults to the model's exported "until", else
      the run ends when only daemon events remain. --seed defaults to 1. --json writes the
      summary, every entity's counters and metrics, and every recorded series (probes,
      sinks); --csv writes the same as one tidy table (entity,type,metric,time,value);
      --report writes an HTML page charting the series, with the entities as a table;
      --trace writes every trace record (messages sent, delivered, dropped; calls settled;
      processes started and ended; timers; state changes), one JSON object per line.
  distsim init [dir] [--force]
      Create a project in dir (default: the current folder): package.json depending on this
      distsim, tsconfig.json, model.ts (a model for distsim run), model.test.ts, README.md.
      Refuses a folder that is not empty unless --force.
  distsim catalog [list]                          list the component catalog by layer
  distsim catalog show <Name>                     one entry, as Markdown
  distsim catalog graph [--layer L] [--group G]   the dependency graph, as Mermaid
  distsim catalog check                           validate the whole graph
  distsim --help        show this help
  distsim --version     print the version

Exit codes: 0 ok, 2 usage, 3 the model failed (the seed reproduces it), 4 not a valid model.
Library: import { Simulation, Entity } from "distsim" (see README.md and docs/using-distsim.md).
`;

function packageVersion(): string {
  const manifest = JSON.parse(
    readFileSync(new URL("../../package.json", import.meta.url), "utf8"),
  ) as { version: string };
  return manifest.version;
}

function usageError(io: CommandIO, message: string): number {
  io.err(`distsim: ${message}\n\n${USAGE}`);
  return ExitCode.usage;
}

export async function main(argv: readonly string[], io: CommandIO): Promise<number> {
  let parsed: ReturnType<typeof parseArgs>;
  try {
    parsed = parseArgs({
      args: [...argv],
      options: {
        help: { type: "boolean", short: "h" },
        version: { type: "boolean", short: "v" },
        seed: { type: "string" },
        until: { type: "string" },
        json: { type: "string" },
        csv: { type: "string" },
        report: { type: "string" },
        trace: { type: "string" },
        layer: { type: "string" },
        group: { type: "string" },
        force: { type: "boolean" },
      },
      allowPositionals: true,
    });
  } catch (error) {
    return usageError(io, (error as Error).message);
  }
  const { values, positionals } = parsed;
  if (values.version) {
    io.out(`${packageVersion()}\n`);
    return ExitCode.ok;
  }
  const command = positionals[0];
  if (values.help || command === undefined) {
    io.out(USAGE);
    return ExitCode.ok;
  }
  if (command === "catalog") {
    return catalogCommand(
      {
        action: positionals[1] ?? "list",
        ...(positionals[2] === undefined ? {} : { name: positionals[2] }),
        ...(typeof values.layer === "string" ? { layer: values.layer } : {}),
        ...(typeof values.group === "string" ? { group: values.group } : {}),
        exportedComponents: exportedComponentNames(),
      },
      io,
    );
  }
  if (command === "init") {
    if (positionals.length > 2) return usageError(io, "init takes at most one folder");
    return initCommand({ dir: positionals[1] ?? ".", force: values.force === true }, io);
  }
  if (command !== "run") return usageError(io, `unknown command "${command}"`);
  const file = positionals[1];
  if (file === undefined || positionals.length > 2) {
    return usageError(io, "run takes exactly one model file");
  }
  const seed = values.seed === undefined ? 1 : Number(values.seed);
  if (!Number.isSafeInteger(seed) || seed < 0) {
    return usageError(io, `--seed must be an integer >= 0; given ${String(values.seed)}`);
  }
  let until: number | undefined;
  if (values.until !== undefined) {
    until = Number(values.until);
    if (!(until >= 0) || !Number.isFinite(until)) {
      return usageError(
        io,
        `--until must be a number of seconds >= 0; given ${String(values.until)}`,
      );
    }
  }
  const json = typeof values.json === "string" ? values.json : undefined;
  const csv = typeof values.csv === "string" ? values.csv : undefined;
  const report = typeof values.report === "string" ? values.report : undefined;
  const trace = typeof values.trace === "string" ? values.trace : undefined;
  return runCommand(
    {
      file,
      seed,
      ...(until === undefined ? {} : { until }),
      ...(json === undefined ? {} : { json }),
      ...(csv === undefined ? {} : { csv }),
      ...(report === undefined ? {} : { report }),
      ...(trace === undefined ? {} : { trace }),
    },
    io,
  );
}

/** Classes the package exports that carry a catalog entry or are entities (components). */
export function exportedComponentNames(): string[] {
  return Object.entries(distsim)
    .filter(
      ([name, value]) =>
        typeof value === "function" &&
        value.prototype instanceof distsim.Entity &&
        name !== "Entity",
    )
    .map(([name]) => name);
}
