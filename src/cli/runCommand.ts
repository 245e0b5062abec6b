/**
 * `distsim run model.ts [--seed N] [--until SECONDS] [--param K=V]... [--json F] [--csv F]
 * [--report F] [--trace F] [--faults F] [--progress-every S] [--quiet] [--max-heap-mb MB]`:
 * runs a user's model file and prints a summary table.
 *
 * A model file (TypeScript or JavaScript) exports its builder as the default export or as
 * `build`: `(context: { seed, params }) => Simulation`, and may export `until` (seconds) as its
 * default horizon. TypeScript is loaded through tsx, so no build step is needed.
 *
 * The run goes in slices of events, which changes nothing in it (same events, same trace):
 * between slices the command shows progress, checks the JavaScript heap against its limit,
 * and lets Ctrl-C in. A model that fails (a runaway guard included) is reported as the engine
 * reports it (entity, simulated time, cause) with the seed that reproduces it, and exit code
 * 3; Ctrl-C stops the run with exit code 130. Either way the summary, --json, --csv and
 * --report are still written, marked PARTIAL, with what ran so far. A file that is not a
 * model gets exit code 4.
 */
import { readFileSync, writeFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { getHeapStatistics } from "node:v8";
import type { EntitySummary } from "../core/entity.js";
import type { ModelBuilder } from "../core/model.js";
import type { RunSummary, Simulation } from "../core/simulation.js";
import { groupDigits, RunawayError } from "../errors/errors.js";
import { FaultSchedule } from "../faults/schedule.js";
import { parseFaultSchedule } from "../faults/spec.js";
import { type RunInfo, runRecordCsv, runRecordJson } from "../metrics/export.js";
import { installGeneratorLocator } from "../node/generatorLocator.js";
import { faultBands } from "../report/faultBands.js";
import { formatDuration as formatSpan } from "../report/format.js";
import { reportFromRun } from "../report/fromRun.js";
import { watchCrashes } from "../report/watchCrashes.js";
import { writeReport } from "../report/writeReport.js";
import { loadModelFile } from "../sweep/node/modelFile.js";
import { ExitCode } from "./exitCodes.js";
import { formatRunReport, type RunReport, toRunReport } from "./runReport.js";
import { type TraceFileSize, writeTraceFile } from "./traceFile.js";

/** A model parameter from `--param key=value`. */
export type ParamValue = string | number | boolean;

export interface RunCommandOptions {
  file: string;
  seed: number;
  until?: number;
  /**
   * Seconds of warm-up from the start: every statistic is reset then, so the numbers cover
   * (warmup, until]. Needs a horizon (`until`, given or the model's).
   */
  warmup?: number;
  /** Handed to the model's builder as `params`. Default none. */
  params?: Readonly<Record<string, ParamValue>>;
  json?: string;
  /** Writes every number of the run as one tidy CSV here. */
  csv?: string;
  /** Writes a self-contained HTML report (probes as charts, entities as a table) here. */
  report?: string;
  /** Writes the trace stream here, one JSON object per line (also when the model fails). */
  trace?: string;
  /**
   * Applies the fault schedule in this JSON file (docs/faults/faults.md) to the model, checked
   * against it before the run; prints what each fault did after the summary.
   */
  faults?: string;
  /** Wall seconds between progress lines when stderr is not a terminal. Default 10. */
  progressEverySeconds?: number;
  /** No progress at all (neither the terminal line nor the periodic lines). */
  quiet?: boolean;
  /**
   * Stops the run (as a failure, with a `RunawayError`) when the JavaScript heap in use passes
   * this many megabytes. Default: three quarters of V8's heap limit, which leaves room to write
   * the partial outputs.
   */
  maxHeapMB?: number;
  /** @internal Events per slice of the run loop (tests vary it: slicing changes nothing). */
  sliceEvents?: number;
}

export interface CommandIO {
  out(text: string): void;
  err(text: string): void;
  /** Whether stderr is a terminal: progress is one line redrawn in place, else a line every few seconds. */
  isTTY: boolean;
  /** Wall clock in milliseconds. Default `performance.now()`; tests pass a fake one. */
  now?: () => number;
  /** Bytes of JavaScript heap in use. Default V8's `used_heap_size`; tests pass a fake one. */
  heapUsed?: () => number;
  /**
   * Stops the run after its current slice when aborted, as Ctrl-C does. Default: the command
   * listens for SIGINT itself while the model runs (a second Ctrl-C ends the process at once).
   */
  interrupt?: AbortSignal;
}

/**
 * Events per slice of the run loop. Small enough that a slice takes a fraction of a second
 * (so progress, the heap check and Ctrl-C are prompt), large enough that what happens
 * between slices costs nothing measurable.
 */
const SLICE_EVENTS = 100_000;
/** Wall seconds between redraws of the progress line on a terminal. */
const TERMINAL_REFRESH_SECONDS = 0.25;
/** Fraction of V8's heap limit at which a run stops by default (see `maxHeapMB`). */
const DEFAULT_HEAP_FRACTION = 0.75;

async function loadModel(file: string): Promise<{ build: ModelBuilder; until?: number } | string> {
  // A model file for `distsim run` is one for `distsim sweep` too: one loader for both.
  return loadModelFile(file);
}

function isSimulation(value: unknown): value is Simulation {
  return (
    typeof value === "object" &&
    value !== null &&
    typeof (value as Simulation).run === "function" &&
    typeof (value as Simulation).seed === "number"
  );
}

export async function runCommand(options: RunCommandOptions, io: CommandIO): Promise<number> {
  installGeneratorLocator();
  const loaded = await loadModel(options.file);
  if (typeof loaded === "string") {
    io.err(`distsim run: ${loaded}\n`);
    return ExitCode.invalidModel;
  }
  const params = options.params ?? {};
  let sim: unknown;
  try {
    sim = loaded.build({ seed: options.seed, params });
  } catch (error) {
    io.err(`distsim run: building the model failed: ${(error as Error).message}\n`);
    return ExitCode.invalidModel;
  }
  if (!isSimulation(sim)) {
    io.err(`distsim run: the builder in ${options.file} did not return a Simulation\n`);
    return ExitCode.invalidModel;
  }
  const until = options.until ?? loaded.until;
  if (options.warmup !== undefined && (until === undefined || options.warmup > until)) {
    io.err(
      until === undefined
        ? `distsim run: --warmup needs a horizon: give --until (the model exports no "until")\n`
        : `distsim run: --warmup ${options.warmup} ends after the run's horizon, until=${until}s\n`,
    );
    return ExitCode.usage;
  }
  let faults: FaultSchedule | null = null;
  if (options.faults !== undefined) {
    const applied = applyFaultFile(sim, options.faults);
    if (typeof applied === "string") {
      io.err(`distsim run: ${applied}\n`);
      return ExitCode.usage;
    }
    faults = applied;
  }
  // Crashes and recoveries of the model's entities, drawn on the report's charts.
  const crashes = options.report === undefined ? null : watchCrashes(sim);
  let finishTrace: (() => TraceFileSize) | null = null;
  if (options.trace !== undefined) {
    try {
      finishTrace = writeTraceFile(sim, options.trace);
    } catch (error) {
      io.err(`distsim run: cannot write the trace: ${(error as Error).message}\n`);
      return ExitCode.usage;
    }
  }
  let outcome: RunOutcome;
  let traceSize: TraceFileSize | undefined;
  try {
    outcome = await runInSlices(sim, until, options, io);
  } finally {
    traceSize = finishTrace?.();
  }

  const stopReason =
    outcome.stopped === null
      ? undefined
      : outcome.stopped === "interrupted"
        ? "interrupted (Ctrl-C)"
        : `failed: ${outcome.error?.message ?? "unknown error"}`;
  const run: RunInfo = {
    finished: outcome.stopped === null,
    ...(outcome.stopped === null ? {} : { stopped: outcome.stopped, stopReason }),
    ...(outcome.error === null ? {} : { error: outcome.error.message }),
    ...(until === undefined ? {} : { until }),
    params,
  };
  if (outcome.error !== null) {
    const error = outcome.error;
    io.err(
      `distsim run: the model failed: ${error.message}${causeLines(error)}\n  seed ${options.seed} reproduces it: ${reproducingCommand(options, params)}\n`,
    );
  } else if (outcome.stopped === "interrupted") {
    io.err(`distsim run: interrupted at t=${sim.now}s; writing what ran so far\n`);
  }
  const report: RunReport = toRunReport(
    options.file,
    sim,
    outcome.summary,
    run,
    faults === null ? {} : { faults: faults.rows() },
  );
  io.out(formatRunReport(report));
  if (faults !== null) io.out(`\nFaults (${options.faults}):\n${faults.table()}`);
  if (options.json !== undefined) {
    writeFileSync(options.json, runRecordJson(report));
    io.out(`\nwrote ${options.json}\n`);
  }
  if (options.csv !== undefined) {
    writeFileSync(options.csv, runRecordCsv(report));
    io.out(`\nwrote ${options.csv}\n`);
  }
  if (options.report !== undefined) {
    writeReport(
      reportFromRun(
        sim,
        report.summary,
        `distsim run ${options.file}`,
        `seed ${options.seed}${run.finished ? "" : ` (PARTIAL: ${run.stopped} at t = ${formatSpan(sim.now)})`}`,
        {
          run: {
            model: options.file,
            params,
            finished: run.finished,
            ...(stopReason === undefined ? {} : { stopReason }),
            simulatedSeconds: report.summary.simulatedSeconds,
            wallSeconds: report.summary.wallSeconds,
            events: report.summary.eventsProcessed,
          },
          ...(crashes === null ? {} : { markers: crashes.markers }),
          ...(faults === null ? {} : { bands: faultBands(faults.rows()) }),
        },
      ),
      options.report,
    );
    io.out(`\nwrote ${options.report}\n`);
  }
  if (options.trace !== undefined && traceSize !== undefined) {
    // Traces grow fast (a long run writes gigabytes): say how much was written.
    io.out(
      `\nwrote ${options.trace} (${formatBytes(traceSize.bytes)}, ${groupDigits(traceSize.records)} records)\n`,
    );
  }
  if (outcome.stopped === "failed") return ExitCode.modelFailed;
  if (outcome.stopped === "interrupted") return ExitCode.interrupted;
  return ExitCode.ok;
}

/**
 * The command that runs the model again as this run was asked for: the seed, and every flag
 * that changes what runs (a failure at t=2,000 s needs the same --until, --warmup, params and
 * heap limit to come back).
 */
function reproducingCommand(
  options: RunCommandOptions,
  params: Readonly<Record<string, ParamValue>>,
): string {
  const words = ["distsim", "run", shellWord(options.file), "--seed", String(options.seed)];
  if (options.until !== undefined) words.push("--until", String(options.until));
  if (options.warmup !== undefined) words.push("--warmup", String(options.warmup));
  for (const [k, v] of Object.entries(params)) words.push("--param", shellWord(`${k}=${v}`));
  if (options.faults !== undefined) words.push("--faults", shellWord(options.faults));
  if (options.maxHeapMB !== undefined) words.push("--max-heap-mb", String(options.maxHeapMB));
  return words.join(" ");
}

/** Reads, checks and applies a fault schedule file; the problem in words if it cannot. */
function applyFaultFile(sim: Simulation, file: string): FaultSchedule | string {
  let text: string;
  try {
    text = readFileSync(file, "utf8");
  } catch (error) {
    return `cannot read the fault schedule: ${(error as Error).message}`;
  }
  try {
    return new FaultSchedule(sim, parseFaultSchedule(text));
  } catch (error) {
    return `fault schedule ${file}: ${(error as Error).message}`;
  }
}

/**
 * What the engine's message leaves out: for an error thrown in the model's code, where it was
 * thrown (the first stack frame in the model's files, not distsim's, a dependency's or Node's),
 * and the cause's message when the engine's message does not already carry it.
 */
function causeLines(error: Error): string {
  const cause = error.cause;
  if (!(cause instanceof Error)) return "";
  let lines = error.message.includes(cause.message) ? "" : `\n  caused by: ${cause.message}`;
  const frame = modelFrame(cause);
  if (frame !== null) lines += `\n  ${frame}`;
  return lines;
}

/** Folders whose frames are distsim's own: its sources and its build, wherever it runs from. */
const DISTSIM_FOLDERS = ["src", "dist"].map((folder) =>
  fileURLToPath(new URL(`../../${folder}/`, import.meta.url)),
);

/** The first frame of `error`'s stack in a model's file, as "at App.work (/app/m.ts:5:58)". */
export function modelFrame(error: Error): string | null {
  for (const line of (error.stack ?? "").split("\n")) {
    const trimmed = line.trim();
    if (!trimmed.startsWith("at ")) continue;
    // ES module frames name their file as a file: URL; show it as a path.
    const frame = trimmed.replace(/file:\/\/[^\s)]+/g, (url) => {
      try {
        return fileURLToPath(url);
      } catch {
        return url;
      }
    });
    const isModels =
      /[/\\]/.test(frame) &&
      !frame.includes("node:") &&
      !/[/\\]node_modules[/\\]/.test(frame) &&
      !DISTSIM_FOLDERS.some((folder) => frame.includes(folder));
    if (isModels) return frame;
  }
  return null;
}

/** Bytes for a reader: 812 B, 4.6 MB, 4.6 GB. */
function formatBytes(bytes: number): string {
  if (bytes < 1000) return `${bytes} B`;
  const units = ["kB", "MB", "GB", "TB"];
  let value = bytes / 1000;
  let unit = 0;
  while (value >= 1000 && unit < units.length - 1) {
    value /= 1000;
    unit++;
  }
  return `${value.toFixed(1)} ${units[unit]}`;
}

/** `word` as one shell word: as is when it is plain, else in single quotes. */
export function shellWord(word: string): string {
  return /^[\w.,:/=+@%-]+$/.test(word) ? word : `'${word.replace(/'/g, `'\\''`)}'`;
}

/** How the run loop ended: the whole run's summary, and why it stopped early, if it did. */
interface RunOutcome {
  readonly summary: RunSummary;
  readonly stopped: "failed" | "interrupted" | null;
  readonly error: Error | null;
}

/**
 * Runs the model to `until` (or to the end of its work) in slices of events. Between slices:
 * progress, the heap check, and a turn of Node's event loop so Ctrl-C gets in. A slice is an
 * ordinary `run` with `maxEvents`, so slicing runs the same events in the same order.
 */
async function runInSlices(
  sim: Simulation,
  until: number | undefined,
  options: RunCommandOptions,
  io: CommandIO,
): Promise<RunOutcome> {
  const clock = io.now ?? (() => performance.now());
  const heapUsed = io.heapUsed ?? (() => getHeapStatistics().used_heap_size);
  const heapLimitBytes =
    options.maxHeapMB !== undefined
      ? options.maxHeapMB * 2 ** 20
      : getHeapStatistics().heap_size_limit * DEFAULT_HEAP_FRACTION;
  const sliceEvents = options.sliceEvents ?? SLICE_EVENTS;
  const progress = options.quiet === true ? null : new Progress(sim, until, io, clock, options);
  let interrupted = io.interrupt?.aborted === true;
  const onInterrupt = () => {
    interrupted = true;
  };
  // Ctrl-C while the model runs stops it between slices; once heard, the listener goes, so a
  // second Ctrl-C ends the process the usual way.
  const listenToSigint = io.interrupt === undefined;
  if (listenToSigint) process.once("SIGINT", onInterrupt);
  io.interrupt?.addEventListener("abort", onInterrupt);

  const startNs = sim.nowNs;
  const startEvents = sim.eventsProcessed;
  const wallStart = clock();
  let last: RunSummary | null = null;
  let stopped: RunOutcome["stopped"] = null;
  let error: Error | null = null;
  // A warm-up runs as its own stretch, then the statistics reset: what `run({ warmup })` does
  // in one call, which a run in slices cannot ask for (each slice would restart it).
  let warmupEnd =
    options.warmup === undefined ? undefined : (sim.nowNs + Math.round(options.warmup * 1e9)) / 1e9;
  try {
    for (;;) {
      if (interrupted) {
        stopped = "interrupted";
        break;
      }
      const horizon = warmupEnd ?? until;
      last = sim.run({
        ...(horizon === undefined ? {} : { until: horizon }),
        maxEvents: sliceEvents,
      });
      if (last.reason !== "event-limit") {
        if (warmupEnd === undefined) break;
        warmupEnd = undefined;
        sim.resetStats();
        continue;
      }
      progress?.update(sim.eventsProcessed - startEvents, startNs);
      const heap = heapUsed();
      if (heap > heapLimitBytes) {
        stopped = "failed";
        error = heapRanAway(sim, last, heap, heapLimitBytes, options.maxHeapMB !== undefined);
        break;
      }
      await new Promise<void>((resolve) => setImmediate(resolve));
    }
  } catch (thrown) {
    stopped = "failed";
    error = thrown instanceof Error ? thrown : new Error(String(thrown));
  } finally {
    if (listenToSigint) process.removeListener("SIGINT", onInterrupt);
    io.interrupt?.removeEventListener("abort", onInterrupt);
    progress?.end();
  }
  const wallSeconds = (clock() - wallStart) / 1000;
  const events = sim.eventsProcessed - startEvents;
  // A finished run's last slice holds the entities at its end; a run stopped early reads them
  // now, from the state it stopped in.
  const entities = stopped === null && last !== null ? last.entities : entitySummaries(sim);
  return {
    stopped,
    error,
    summary: {
      reason: last?.reason ?? "event-limit",
      seed: sim.seed,
      eventsProcessed: events,
      totalEvents: sim.eventsProcessed,
      time: sim.now,
      timeNs: sim.nowNs,
      simulatedSeconds: (sim.nowNs - startNs) / 1e9,
      wallSeconds,
      eventsPerWallSecond: wallSeconds > 0 ? events / wallSeconds : 0,
      pendingEvents: sim.queue.liveNonDaemon,
      traceHash: sim.traceHash,
      entities,
    },
  };
}

/**
 * Every entity's summary now, for a run stopped early: an entity whose numbers cannot be read
 * in the state the failure left it in still gets a row, with the error as its only metric.
 */
function entitySummaries(sim: Simulation): EntitySummary[] {
  return sim.entities.map((entity) => {
    try {
      return entity._summary();
    } catch (error) {
      return {
        name: entity.name,
        type: entity.constructor.name,
        status: entity.status,
        counters: { ...entity.counters },
        liveProcesses: entity.liveProcessCount,
        metrics: { unreadable: (error as Error).message },
      };
    }
  });
}

/**
 * Metrics that count work held now (the statistics vocabulary's `queued` and `inFlight`, a
 * store's waiting getters and putters): what grows when a model runs away.
 */
const QUEUE_METRIC = /^(queued|inFlight|getsWaiting|putsWaiting)$/;

/**
 * The heap passed its limit: a `RunawayError` naming the largest queues the entities report
 * (and the pending events), so the user knows what grew.
 */
function heapRanAway(
  sim: Simulation,
  last: RunSummary,
  heapBytes: number,
  limitBytes: number,
  limitGiven: boolean,
): RunawayError {
  const queues: { entity: string; type: string; metric: string; value: number }[] = [];
  for (const e of last.entities) {
    for (const [metric, value] of Object.entries(e.metrics)) {
      if (typeof value === "number" && value > 0 && QUEUE_METRIC.test(metric)) {
        queues.push({ entity: e.name, type: e.type, metric, value });
      }
    }
  }
  queues.sort((a, b) => b.value - a.value);
  const largest = queues.slice(0, 3);
  const named =
    largest.length === 0
      ? "no entity reports work held (queued, inFlight)"
      : `largest queues: ${largest.map((q) => `${q.type} "${q.entity}" ${q.metric}=${groupDigits(q.value)}`).join(", ")}`;
  // In use rounds up and the limit down, so the message never reads "400 MB past 400 MB".
  const inUseMB = groupDigits(Math.ceil(heapBytes / 2 ** 20));
  const limitMB = groupDigits(Math.floor(limitBytes / 2 ** 20));
  const top = largest[0];
  return new RunawayError(
    `runaway heap: ${inUseMB} MB of JavaScript heap in use, past the limit of ${limitMB} MB (${limitGiven ? "--max-heap-mb" : "3/4 of Node's heap limit; --max-heap-mb sets it"}); ${named}; ${groupDigits(last.pendingEvents)} events pending. Bound the queues (queueCapacity and the like), lower the load, or raise the limit (--max-heap-mb, with node --max-old-space-size=MB for a larger heap).`,
    top?.entity ?? null,
    sim.nowNs,
    top === undefined ? "the JavaScript heap" : `${top.type} "${top.entity}"`,
    Math.ceil(heapBytes / 2 ** 20),
    "maxHeapMB",
  );
}

/**
 * Progress of a long run on stderr: on a terminal, one line redrawn in place; elsewhere (a
 * log, CI, a pipe) a line every `progressEverySeconds` of wall time. Simulated time, the
 * share of `until` done, events per second and the time left.
 */
class Progress {
  private readonly wallStart: number;
  private readonly everyMs: number;
  private nextAt: number;
  private drawn = false;

  constructor(
    private readonly sim: Simulation,
    private readonly until: number | undefined,
    private readonly io: CommandIO,
    private readonly clock: () => number,
    options: RunCommandOptions,
  ) {
    this.wallStart = clock();
    this.everyMs =
      1000 * (io.isTTY ? TERMINAL_REFRESH_SECONDS : (options.progressEverySeconds ?? 10));
    this.nextAt = this.wallStart + this.everyMs;
  }

  update(events: number, startNs: number): void {
    const nowMs = this.clock();
    if (nowMs < this.nextAt) return;
    this.nextAt = nowMs + this.everyMs;
    const line = this.line(events, startNs, (nowMs - this.wallStart) / 1000);
    if (this.io.isTTY) {
      this.io.err(`\r  ${line}\u001b[K`);
      this.drawn = true;
    } else {
      this.io.err(`distsim run: ${line}\n`);
    }
  }

  /** Ends the terminal line, if one was drawn, so what follows starts on a line of its own. */
  end(): void {
    if (this.drawn) this.io.err("\n");
  }

  private line(events: number, startNs: number, wallSeconds: number): string {
    const sim = this.sim;
    const until = this.until;
    const rate = wallSeconds > 0 ? events / wallSeconds : 0;
    let done = `t=${sim.now.toFixed(3)}s`;
    let eta = "";
    if (until !== undefined) {
      const span = until - startNs / 1e9;
      const covered = sim.now - startNs / 1e9;
      done += ` of ${until}s (${span > 0 ? ((100 * covered) / span).toFixed(1) : "100.0"}%)`;
      if (covered > 0 && wallSeconds > 0) {
        eta = `  ETA ${formatDuration(((until - sim.now) * wallSeconds) / covered)}`;
      }
    }
    return `${done}  ${groupDigits(events)} events  ${groupDigits(rate)} events/s${eta}`;
  }
}

/** Wall seconds as a short duration: 42s, 12m05s, 3h07m. */
export function formatDuration(seconds: number): string {
  const s = Math.max(0, Math.round(seconds));
  if (s < 60) return `${s}s`;
  if (s < 3600) return `${Math.floor(s / 60)}m${String(s % 60).padStart(2, "0")}s`;
  return `${Math.floor(s / 3600)}h${String(Math.floor((s % 3600) / 60)).padStart(2, "0")}m`;
}
