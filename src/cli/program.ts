/**
 * The `distsim` command, as a function of its arguments and its output streams (so tests call
 * it without a process). Node-only: it reads files and writes to the terminal, so it lives
 * apart from the engine, which runs in a browser too.
 */
import { readFileSync } from "node:fs";
import { parseArgs } from "node:util";
import * as distsim from "../index.js";
import { type Params, parseGrid, parseParams } from "../sweep/grid.js";
import { catalogCommand } from "./catalogCommand.js";
import { checkCommand } from "./checkCommand.js";
import { checkHistoryCommand, MODEL_NAMES } from "./checkHistoryCommand.js";
import { ExitCode } from "./exitCodes.js";
import { initCommand } from "./initCommand.js";
import { type CommandIO, runCommand } from "./runCommand.js";
import { sweepCommand, workerCommand } from "./sweepCommand.js";

export { ExitCode } from "./exitCodes.js";

const USAGE = `distsim - discrete-event simulation of distributed systems

Usage:
  distsim run <model.ts|model.js> [--seed N] [--until SECONDS] [--warmup SECONDS]
              [--param KEY=VALUE]... [--json out.json] [--csv out.csv] [--report out.html] [--trace out.jsonl]
              [--faults schedule.json] [--progress-every SECONDS] [--quiet] [--max-heap-mb MB]
      Build the model (its default export, or "build": ({ seed, params }) => Simulation),
      run it, and print a summary. --until defaults to the model's exported "until", else
      the run ends when only daemon events remain. --seed defaults to 1. --warmup resets
      every statistic that many seconds in (it needs a horizon). --param (repeat
      it) fills the builder's params: numbers become numbers, true/false booleans, anything
      else a string (--param rate=200 --param region=eu). --json writes the run (seed,
      params, whether it finished), the summary, every entity's counters and metrics, and
      every recorded series (probes, sinks); --csv writes the same as one tidy table
      (entity,type,metric,time,value); --report writes an HTML page charting the series,
      with the entities as a table; --trace writes every trace record (messages sent,
      delivered, dropped; calls settled; processes started and ended; timers; state
      changes), one JSON object per line: large (100 to 150 bytes a record, tens of millions
      of records for a long run), so trace short runs. --faults applies a fault schedule
      (JSON: { "faults": [{ "kind", "targets", "at", "for", "params" }] }, docs/faults/faults.md)
      to the model, checked against it before the run (a bad one is a usage error), and
      prints what each fault did after the summary; --json adds it as "faults" (one row a
      fault), --csv as rows of type fault (faults[i].kind, faults[i].effects.messagesDropped,
      ...); --report shades each fault on every chart.
      Progress goes to stderr: a line redrawn in place on a terminal, else a line every
      --progress-every seconds of wall time (default 10); --quiet shows none. A run stops
      with exit code 3 if the model fails, a runaway guard trips (a queue past the
      simulation's limits.maxQueueLength, pending events past limits.maxPendingEvents) or
      the JavaScript heap passes --max-heap-mb (default: 3/4 of Node's heap limit); Ctrl-C
      stops it with exit code 130. Either way the summary, --json, --csv and --report are
      still written with what ran, marked PARTIAL.
  distsim sweep <model.ts|model.js> --grid NAME=VALUES... [--replications N] [--seed ROOT]
              [--until SECONDS] [--workers N | --inline | --redis URL [--queue NAME]]
              [--json out.json] [--report out.html] [--stop-on-failure] [--quiet]
      Run the model at every point of the grid, each with N replications (default 1; their
      seeds derive from the root seed, default 1), and print each figure's mean and its 95%
      confidence interval per point. --grid (repeat it) is NAME=FROM..TO:STEP (a range;
      step default 1) or NAME=A,B,C (numbers, true/false, strings). What is measured: the
      model file's "measure" export ({ sim, summary, params, seed }) => { name: number },
      else every entity's numeric metrics. Runs go to worker threads (--workers, default
      the cores), --inline runs them in this process, --redis enqueues them as BullMQ jobs
      for "distsim worker" processes on any machine (the model's path must resolve there).
      The result is the same bytes on every backend (--json). --report writes an HTML page:
      each figure against each numeric parameter with its confidence band, and a table.
      Failed runs are listed with their seed and parameters (exit code 3); the sweep goes
      on unless --stop-on-failure.
  distsim worker --redis URL [--queue NAME] [--threads T] [--concurrency N]
                 [--lock-seconds S] [--stalled-check-seconds S] [--quiet]
      Run the sweep jobs enqueued on that Redis (queue default "distsim-sweep") on T
      worker threads (default the cores), N jobs in hand (default T; more pays for runs
      of a few milliseconds), until Ctrl-C or SIGTERM. A worker that
      dies loses nothing: after --lock-seconds (default 30) another worker's check for
      stalled jobs (every --stalled-check-seconds, default 30) runs its jobs again.
  distsim init [dir] [--force] [--distsim SPEC]
      Create a project in dir (default: the current folder): package.json depending on this
      distsim (the tarball or folder it runs from, or the registry version it was installed
      from; --distsim sets the dependency: a path or an npm spec), tsconfig.json, model.ts (a
      model for distsim run), model.test.ts, README.md. Refuses a folder that is not empty
      unless --force.
  distsim catalog [list] [--implemented]          list the component catalog by layer
                                                  (--implemented: distsim's components only)
  distsim catalog show <Name>                     one entry, as Markdown (near names if none)
  distsim catalog graph [--layer L] [--group G]   the dependency graph, as Mermaid; --group:
                                                  the entries of one group (the family an
                                                  entry is installed with, as catalog show
                                                  names it; an unknown one lists them all)
  distsim catalog check                           validate the whole graph
  distsim check-history <history.edn|history.json> --model register|kv|set|queue|counter
              [--budget SECONDS] [--json out.json]
      Check a history for linearizability against a model: Jepsen's EDN history lines
      ({:process 0, :type :invoke, :f :cas, :value [1 2]}; :info is indeterminate; kv
      operations carry :key or a [key value] value), or JSON for a .json file. Prints the
      verdict and, for a violation, the operation that cannot be placed with a timeline of
      the shortest failing prefix; --json writes the verdict with the failure's data.
      Exit code 0 linearizable, 1 not linearizable, 3 the budget ran out first (no
      verdict), 2 bad input.
  distsim check <model.ts|model.js> [--seeds N | --seed S] [--workers N | --inline | --redis URL [--queue NAME]]
              [--json out.json] [--stop-on-failure] [--quiet] [--shrink [--shrink-runs N]]
  distsim check <model.ts|model.js> --replay scenario.json
      Explore the model's seeds (0 to N-1, default 100; --seed S checks that one): each
      runs with the fault schedule drawn from its seed and the model's invariants, a
      safety phase with the faults, then (with a liveness export) every fault healed and
      progress required. The file exports its builder (default or "build"), "safety"
      seconds (else "until"), and optionally "faults" ((seed) => schedule, e.g.
      randomFaultSchedule), "checks" ((sim, seed) => registers always/eventually) and
      "liveness" ({ within, progress: (sim) => number }). Prints pass and fail counts, each
      failing seed's first violation, and the failures grouped by invariant and by the fault
      kinds started before it broke; --json writes them with each failing seed's fault schedule
      (the same bytes on every backend). Backends as for sweep (a --redis check's jobs are
      run by "distsim worker"). --shrink then shrinks the first failing seed of each group in
      this process (at most --shrink-runs runs each, default 500; an optional "shrinkable"
      export names the params it may lower: { name: { initial, min, integer? } }) and prints
      the smallest scenario as JSON and as a vitest test to paste (--json adds "shrunk").
      --replay runs a stored scenario once and prints its verdict. Exit code 0 every seed
      (or the scenario) passed, 1 a violation was found, 2 bad input or usage.
  distsim --help        show this help
  distsim --version     print the version

Exit codes: 0 ok, 1 a check found a violation, 2 usage, 3 the model failed (the seed
reproduces it) or a check had no verdict, 4 not a valid model, 130 interrupted (Ctrl-C).
Library: import { Simulation, Entity } from "distsim" (see README.md and docs/using-distsim.md).
`;

function packageVersion(): string {
  const manifest = JSON.parse(
    readFileSync(new URL("../../package.json", import.meta.url), "utf8"),
  ) as { version: string };
  return manifest.version;
}

/** The error and where to look, not the whole usage, which would bury the error. */
function usageError(io: CommandIO, message: string): number {
  io.err(`distsim: ${message}\n(run distsim --help for the usage)\n`);
  return ExitCode.usage;
}

/** Options that take a value, as parseArgs is told below. */
const VALUE_OPTIONS = new Set([
  "seed",
  "until",
  "warmup",
  "json",
  "csv",
  "report",
  "trace",
  "faults",
  "param",
  "progress-every",
  "max-heap-mb",
  "layer",
  "group",
  "distsim",
  "model",
  "budget",
  "seeds",
  "grid",
  "replications",
  "workers",
  "redis",
  "queue",
  "concurrency",
  "threads",
  "lock-seconds",
  "stalled-check-seconds",
  "shrink-runs",
  "replay",
]);

/** A negative number as a value (`--seed -3`), which parseArgs would take for an option. */
const NEGATIVE_NUMBER = /^-(\d|\.\d|Infinity)/;

/**
 * `--seed -3` as `--seed=-3`, so a negative value reaches distsim's own check ("--seed must be
 * an integer >= 0") instead of parseArgs's "argument is ambiguous"; a value option with no
 * value (at the end, or followed by another option) is reported here, in distsim's words.
 */
function joinOptionValues(argv: readonly string[]): string[] | string {
  const joined: string[] = [];
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i]!;
    if (arg === "--") {
      joined.push(...argv.slice(i));
      break;
    }
    const name = arg.startsWith("--") ? arg.slice(2) : null;
    if (name === null || !VALUE_OPTIONS.has(name)) {
      joined.push(arg);
      continue;
    }
    const value = argv[i + 1];
    if (value === undefined || (value.startsWith("-") && !NEGATIVE_NUMBER.test(value))) {
      return `${arg} needs a value (${arg} VALUE)`;
    }
    joined.push(`${arg}=${value}`);
    i++;
  }
  return joined;
}

export async function main(argv: readonly string[], io: CommandIO): Promise<number> {
  const args = joinOptionValues(argv);
  if (typeof args === "string") return usageError(io, args);
  let parsed: ReturnType<typeof parseArgs>;
  try {
    parsed = parseArgs({
      args,
      options: {
        help: { type: "boolean", short: "h" },
        version: { type: "boolean", short: "v" },
        seed: { type: "string" },
        until: { type: "string" },
        warmup: { type: "string" },
        json: { type: "string" },
        csv: { type: "string" },
        report: { type: "string" },
        trace: { type: "string" },
        faults: { type: "string" },
        param: { type: "string", multiple: true },
        "progress-every": { type: "string" },
        quiet: { type: "boolean", short: "q" },
        "max-heap-mb": { type: "string" },
        implemented: { type: "boolean" },
        layer: { type: "string" },
        group: { type: "string" },
        force: { type: "boolean" },
        distsim: { type: "string" },
        model: { type: "string" },
        budget: { type: "string" },
        seeds: { type: "string" },
        grid: { type: "string", multiple: true },
        replications: { type: "string" },
        workers: { type: "string" },
        inline: { type: "boolean" },
        redis: { type: "string" },
        queue: { type: "string" },
        "stop-on-failure": { type: "boolean" },
        concurrency: { type: "string" },
        threads: { type: "string" },
        "lock-seconds": { type: "string" },
        "stalled-check-seconds": { type: "string" },
        shrink: { type: "boolean" },
        "shrink-runs": { type: "string" },
        replay: { type: "string" },
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
        implemented: values.implemented === true,
        exportedComponents: exportedComponentNames(),
      },
      io,
    );
  }
  if (command === "init") {
    if (positionals.length > 2) return usageError(io, "init takes at most one folder");
    return initCommand(
      {
        dir: positionals[1] ?? ".",
        force: values.force === true,
        ...(typeof values.distsim === "string" ? { distsim: values.distsim } : {}),
      },
      io,
    );
  }
  if (command === "check-history") {
    const file = positionals[1];
    if (file === undefined || positionals.length > 2) {
      return usageError(io, "check-history takes exactly one history file");
    }
    if (typeof values.model !== "string") {
      return usageError(io, `check-history needs --model (${MODEL_NAMES.join(", ")})`);
    }
    let budget: number | undefined;
    if (values.budget !== undefined) {
      budget = Number(values.budget);
      if (!(budget > 0) || !Number.isFinite(budget)) {
        return usageError(
          io,
          `--budget must be a number of seconds > 0; given ${String(values.budget)}`,
        );
      }
    }
    return checkHistoryCommand(
      {
        file,
        model: values.model,
        ...(budget === undefined ? {} : { budget }),
        ...(typeof values.json === "string" ? { json: values.json } : {}),
      },
      io,
    );
  }
  if (command === "worker") {
    if (typeof values.redis !== "string") return usageError(io, "worker needs --redis URL");
    const numbers = countOptions(
      values,
      ["concurrency", "threads"],
      ["lock-seconds", "stalled-check-seconds"],
    );
    if (typeof numbers === "string") return usageError(io, numbers);
    return workerCommand(
      {
        redis: values.redis,
        ...(typeof values.queue === "string" ? { queue: values.queue } : {}),
        ...(numbers.concurrency === undefined ? {} : { concurrency: numbers.concurrency }),
        ...(numbers.threads === undefined ? {} : { threads: numbers.threads }),
        ...(numbers["lock-seconds"] === undefined ? {} : { lockSeconds: numbers["lock-seconds"] }),
        ...(numbers["stalled-check-seconds"] === undefined
          ? {}
          : { stalledCheckSeconds: numbers["stalled-check-seconds"] }),
        ...(values.quiet === true ? { quiet: true } : {}),
      },
      io,
    );
  }
  if (command === "sweep") return sweepFromArgs(positionals, values, io);
  if (command === "check") return checkFromArgs(positionals, values, io);
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
  let warmup: number | undefined;
  if (values.warmup !== undefined) {
    warmup = Number(values.warmup);
    if (!(warmup >= 0) || !Number.isFinite(warmup)) {
      return usageError(
        io,
        `--warmup must be a number of seconds >= 0; given ${String(values.warmup)}`,
      );
    }
  }
  const params = paramsFromOptions(values.param);
  if (typeof params === "string") return usageError(io, params);
  let progressEverySeconds: number | undefined;
  if (values["progress-every"] !== undefined) {
    progressEverySeconds = Number(values["progress-every"]);
    if (!(progressEverySeconds > 0) || !Number.isFinite(progressEverySeconds)) {
      return usageError(
        io,
        `--progress-every must be a number of seconds > 0; given ${String(values["progress-every"])}`,
      );
    }
  }
  let maxHeapMB: number | undefined;
  if (values["max-heap-mb"] !== undefined) {
    maxHeapMB = Number(values["max-heap-mb"]);
    if (!(maxHeapMB > 0) || !Number.isFinite(maxHeapMB)) {
      return usageError(
        io,
        `--max-heap-mb must be a number of megabytes > 0; given ${String(values["max-heap-mb"])}`,
      );
    }
  }
  const json = typeof values.json === "string" ? values.json : undefined;
  const csv = typeof values.csv === "string" ? values.csv : undefined;
  const report = typeof values.report === "string" ? values.report : undefined;
  const trace = typeof values.trace === "string" ? values.trace : undefined;
  const faults = typeof values.faults === "string" ? values.faults : undefined;
  return runCommand(
    {
      file,
      seed,
      ...(until === undefined ? {} : { until }),
      ...(warmup === undefined ? {} : { warmup }),
      params,
      ...(json === undefined ? {} : { json }),
      ...(csv === undefined ? {} : { csv }),
      ...(report === undefined ? {} : { report }),
      ...(trace === undefined ? {} : { trace }),
      ...(faults === undefined ? {} : { faults }),
      ...(progressEverySeconds === undefined ? {} : { progressEverySeconds }),
      ...(values.quiet === true ? { quiet: true } : {}),
      ...(maxHeapMB === undefined ? {} : { maxHeapMB }),
    },
    io,
  );
}

/**
 * `--param key=value` options as the model's params, read by the sweep grid's own parser so
 * `run` and `sweep` agree on names and values; a bad pair comes back as its problem's text.
 */
function paramsFromOptions(
  pairs: readonly (string | boolean)[] | string | boolean | undefined,
): Params | string {
  const list = pairs === undefined ? [] : Array.isArray(pairs) ? pairs : [pairs];
  try {
    // Named after the command the user ran: the parser is the sweep's, the mistake is run's.
    return parseParams(list.map(String), "run");
  } catch (error) {
    if (error instanceof distsim.ConfigError) return error.message;
    throw error;
  }
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

type ParsedValues = ReturnType<typeof parseArgs>["values"];

/**
 * Integer options (>= 1) and seconds options (> 0) as numbers, or the first bad one's
 * problem as text.
 */
function countOptions(
  values: ParsedValues,
  integers: readonly string[],
  seconds: readonly string[] = [],
): Record<string, number | undefined> | string {
  const read: Record<string, number | undefined> = {};
  for (const name of [...integers, ...seconds]) {
    const given = values[name];
    if (given === undefined) continue;
    const value = Number(given);
    const isInteger = integers.includes(name);
    const ok = isInteger
      ? Number.isSafeInteger(value) && value >= 1
      : value > 0 && Number.isFinite(value);
    if (!ok) {
      return `--${name} must be ${isInteger ? "an integer >= 1" : "a number of seconds > 0"}; given ${String(given)}`;
    }
    read[name] = value;
  }
  return read;
}

async function sweepFromArgs(
  positionals: readonly string[],
  values: ParsedValues,
  io: CommandIO,
): Promise<number> {
  const file = positionals[1];
  if (file === undefined || positionals.length > 2) {
    return usageError(io, "sweep takes exactly one model file");
  }
  const counts = countOptions(values, ["replications", "workers"]);
  if (typeof counts === "string") return usageError(io, counts);
  const rootSeed = values.seed === undefined ? 1 : Number(values.seed);
  if (!Number.isSafeInteger(rootSeed) || rootSeed < 0) {
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
  const backends = [
    values.inline === true,
    values.redis !== undefined,
    values.workers !== undefined,
  ];
  if (backends.filter(Boolean).length > 1) {
    return usageError(io, "give one of --workers, --inline and --redis");
  }
  const grid = values.grid === undefined ? [] : (values.grid as string[]).map(String);
  // A bad grid is a usage error, found before any model is loaded or run.
  try {
    parseGrid(grid);
  } catch (error) {
    return usageError(io, (error as Error).message);
  }
  return sweepCommand(
    {
      file,
      grid,
      replications: counts.replications ?? 1,
      rootSeed,
      ...(until === undefined ? {} : { until }),
      ...(counts.workers === undefined ? {} : { workers: counts.workers }),
      ...(values.inline === true ? { inline: true } : {}),
      ...(typeof values.redis === "string" ? { redis: values.redis } : {}),
      ...(typeof values.queue === "string" ? { queue: values.queue } : {}),
      ...(typeof values.json === "string" ? { json: values.json } : {}),
      ...(typeof values.report === "string" ? { report: values.report } : {}),
      ...(values["stop-on-failure"] === true ? { stopOnFailure: true } : {}),
      ...(values.quiet === true ? { quiet: true } : {}),
    },
    io,
  );
}

async function checkFromArgs(
  positionals: readonly string[],
  values: ParsedValues,
  io: CommandIO,
): Promise<number> {
  const file = positionals[1];
  if (file === undefined || positionals.length > 2) {
    return usageError(io, "check takes exactly one model file");
  }
  const counts = countOptions(values, ["seeds", "workers", "shrink-runs"]);
  if (typeof counts === "string") return usageError(io, counts);
  if (counts["shrink-runs"] !== undefined && values.shrink !== true) {
    return usageError(io, "--shrink-runs goes with --shrink");
  }
  if (typeof values.replay === "string") {
    const exploring = [
      "seeds",
      "seed",
      "workers",
      "inline",
      "redis",
      "queue",
      "shrink",
      "stop-on-failure",
    ].filter((name) => values[name] !== undefined);
    if (exploring.length > 0) {
      const named = exploring.map((name) => `--${name}`).join(", ");
      return usageError(io, `--replay runs one stored scenario in this process; drop ${named}`);
    }
    return checkCommand({ file, seeds: 1, replay: values.replay }, io);
  }
  let seed: number | undefined;
  if (values.seed !== undefined) {
    if (values.seeds !== undefined) return usageError(io, "give one of --seeds and --seed");
    seed = Number(values.seed);
    if (!Number.isSafeInteger(seed) || seed < 0) {
      return usageError(io, `--seed must be an integer >= 0; given ${String(values.seed)}`);
    }
  }
  const backends = [
    values.inline === true,
    values.redis !== undefined,
    values.workers !== undefined,
  ];
  if (backends.filter(Boolean).length > 1) {
    return usageError(io, "give one of --workers, --inline and --redis");
  }
  return checkCommand(
    {
      file,
      seeds: counts.seeds ?? 100,
      ...(seed === undefined ? {} : { seed }),
      ...(counts.workers === undefined ? {} : { workers: counts.workers }),
      ...(values.inline === true ? { inline: true } : {}),
      ...(typeof values.redis === "string" ? { redis: values.redis } : {}),
      ...(typeof values.queue === "string" ? { queue: values.queue } : {}),
      ...(typeof values.json === "string" ? { json: values.json } : {}),
      ...(values["stop-on-failure"] === true ? { stopOnFailure: true } : {}),
      ...(values.quiet === true ? { quiet: true } : {}),
      ...(values.shrink === true ? { shrink: true } : {}),
      ...(counts["shrink-runs"] === undefined ? {} : { shrinkRuns: counts["shrink-runs"] }),
    },
    io,
  );
}
