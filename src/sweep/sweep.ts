/**
 * `sweep`: a model over a grid of parameters times replications, merged into one result.
 *
 * The result depends on the model, the grid, the seeds and the horizon only: every run's
 * outcome is filed under its index and merged in index order, so the backend that ran it
 * (inline here, worker threads or BullMQ on Redis from `distsim/sweep`), the number of workers
 * and the order runs finished in change nothing, byte for byte (`sweepResultJson`). Wall time
 * goes to progress events only, never into the result.
 *
 * This file runs in a browser too (the inline backend is what a page uses); the Node-only
 * backends live in `./node/`.
 */
import type { ModelBuilder } from "../core/model.js";
import { wallMilliseconds } from "../core/wallClock.js";
import { ConfigError } from "../errors/errors.js";
import { fmix32, hashString } from "../random/hash.js";
import { type Grid, gridPoints, type Params, parseGrid } from "./grid.js";
import {
  type Measure,
  type RunOutcome,
  type RunTask,
  type SweepModel,
  sweepModelOf,
} from "./runTask.js";
import { replicationSeeds } from "./seeds.js";
import { type FigureSummary, summarizeFigure } from "./statistics.js";
import {
  runTaskOfKind,
  type TaskKind,
  type TaskModel,
  type TaskOutcome,
  taskModelOf,
} from "./taskKinds.js";
import { toWire } from "./wire.js";

/** What a backend is asked to run. */
export interface SweepJob {
  /**
   * Names the sweep: a hash of the model id and version, the grid points, the seeds and the
   * horizon. The same sweep asked again has the same identity (BullMQ derives job ids from it,
   * so a restarted producer finds the runs already done).
   */
  readonly identity: string;
  /**
   * What each task is: a sweep's run (the default) or an explored seed (`exploreModel`). The
   * model is read, and each task run, for this kind.
   */
  readonly kind?: TaskKind;
  /**
   * The model in this process, when the caller has it (the inline backend runs it): a
   * `SweepModel`, or a `CheckModel` for an explore job.
   */
  readonly model: TaskModel | undefined;
  /** Where workers load the model from: a file path or a module id. */
  readonly modelId: string | undefined;
  /**
   * The model's version (`SweepOptions.modelVersion`): a worker that loaded another version
   * of the same file before (a long-lived `distsim worker`) loads it again.
   */
  readonly modelVersion: string | undefined;
  /** The horizon given to the sweep, overriding the model's own `until`. */
  readonly until: number | undefined;
  /** The sweep's own `measure` option (a function: only the inline backend can run it). */
  readonly measure: Measure | undefined;
  /** Every run of the sweep, in index order. */
  readonly tasks: readonly RunTask[];
  /** Aborted when the sweep stops early (the first failure, or the caller's signal). */
  readonly signal: AbortSignal;
}

/** How a backend tells the sweep what happened. */
export interface SweepEvents {
  /** A run started (for progress; optional for a backend that cannot tell). */
  started(index: number): void;
  /** A run ended. A second report for the same index is ignored. */
  finished(index: number, outcome: TaskOutcome): void;
}

/**
 * Runs a sweep's tasks somewhere. It resolves when every task is finished (or, once the
 * job's signal is aborted, as soon as it has stopped starting new ones), and rejects only
 * when it cannot run at all (a bad Redis URL, a model it cannot load), before any run.
 */
export interface SweepBackend {
  readonly name: string;
  run(job: SweepJob, events: SweepEvents): Promise<void>;
}

/** How far a sweep is: for a progress bar. */
export interface SweepProgress {
  readonly total: number;
  /** Runs finished, failed ones included. */
  readonly done: number;
  readonly failed: number;
  /** Runs started and not finished yet. */
  readonly running: number;
  /** Wall seconds since the sweep started. */
  readonly elapsedSeconds: number;
  /** Wall seconds left at the rate so far; null until a run has finished. */
  readonly etaSeconds: number | null;
}

export interface SweepOptions {
  /**
   * The model: a builder, or a model module's exports (`{ build, until, measure }`). The inline
   * backend runs it in this process. Worker backends load the model themselves from `modelId`.
   */
  readonly model?: ModelBuilder | SweepModel | { readonly default: ModelBuilder };
  /**
   * Where workers load the model from: an absolute file path (TypeScript or JavaScript) or a
   * module id they can import. Needed by the threads and BullMQ backends; it also names the
   * model in the result. Default none (the result says "(inline)").
   */
  readonly modelId?: string;
  /**
   * The model's version, for the sweep's identity (the CLI gives a hash of the file), so a
   * changed model is a new sweep and never collects a stale one's results. Default "".
   */
  readonly modelVersion?: string;
  /**
   * Parameter values: an object (`{ rate: [100, 200], servers: [2, 4] }`) or the command
   * line's texts (`["rate=100..1000:100", "servers=2,4,8"]`). The first parameter varies
   * slowest. Default: one point with no parameters.
   */
  readonly grid?: Grid | readonly string[];
  /** Replications per grid point, their seeds derived from `rootSeed`. Default 1. */
  readonly replications?: number;
  /** The seeds themselves, instead of `replications`: every point runs each of them. */
  readonly seeds?: readonly number[];
  /** The root seed `replications` derive their seeds from. Default 1. */
  readonly rootSeed?: number;
  /**
   * What to measure in each run. Default: the model's `measure`, else every entity's numeric
   * metrics. A function given here runs in this process only (the inline backend); worker
   * backends use the model file's `measure` export.
   */
  readonly measure?: Measure;
  /** Horizon of every run, in seconds. Default: the model's `until`. */
  readonly until?: number;
  /** Level of the confidence intervals, in (0, 1). Default 0.95. */
  readonly confidence?: number;
  /** Stop at the first failed run instead of finishing the sweep. Default false. */
  readonly stopOnFirstFailure?: boolean;
  /** Where the runs run. Default `inlineBackend()`. */
  readonly backend?: SweepBackend;
  /** Called as runs start and finish. */
  readonly onProgress?: (progress: SweepProgress) => void;
  /** Stops the sweep early (the result says `stopped: "aborted"`). */
  readonly signal?: AbortSignal;
}

/** One replication at one grid point: its seed and figures, or why it has none. */
export type ReplicationResult =
  | { readonly seed: number; readonly figures: Readonly<Record<string, number>> }
  | { readonly seed: number; readonly error: string }
  | { readonly seed: number; readonly notRun: true };

export interface SweepPoint {
  readonly params: Params;
  /** Each figure over this point's successful replications. */
  readonly summary: Readonly<Record<string, FigureSummary>>;
  /** Every replication, in seed order. */
  readonly replications: readonly ReplicationResult[];
}

/** A run that failed: enough to run it again alone (`distsim run --seed ... --param ...`). */
export interface SweepFailure {
  readonly params: Params;
  readonly seed: number;
  readonly replication: number;
  readonly error: string;
}

export interface SweepResult {
  /** The model's id, or "(inline)". */
  readonly model: string;
  /** The root seed the replications' seeds came from; null when the seeds were given. */
  readonly rootSeed: number | null;
  readonly seeds: readonly number[];
  /** The horizon given to the sweep (null: each model's own). */
  readonly until: number | null;
  readonly confidence: number;
  /** Parameter names, in grid order. */
  readonly parameters: readonly string[];
  /** Figure names, in the order runs first reported them (by index). */
  readonly figures: readonly string[];
  readonly points: readonly SweepPoint[];
  readonly runs: {
    readonly total: number;
    readonly succeeded: number;
    readonly failed: number;
    readonly notRun: number;
  };
  /** Every failed run, in index order. */
  readonly failures: readonly SweepFailure[];
  /** Why the sweep stopped before its end, or null when every run ran. */
  readonly stopped: null | "first-failure" | "aborted";
}

/**
 * Runs the model in this process, one run after another: the default, and what a browser
 * uses. A sweep given only a `modelId` is loaded with `load` (default: `import(modelId)`).
 */
export function inlineBackend(
  options: {
    /** Loads a model by id; given the job's kind, it returns a `CheckModel` for "explore". */
    load?: (modelId: string, kind: TaskKind) => Promise<TaskModel>;
  } = {},
): SweepBackend {
  return {
    name: "inline",
    async run(job, events) {
      const kind = job.kind ?? "sweep";
      let model = job.model;
      if (model === undefined) {
        if (job.modelId === undefined) {
          throw new ConfigError("sweep", "model", "a model or a modelId", undefined);
        }
        const load =
          options.load ??
          (async (id: string) => {
            const loaded = taskModelOf(kind, (await import(id)) as Record<string, unknown>, id);
            if (typeof loaded === "string") throw new ConfigError("sweep", "modelId", loaded, id);
            return loaded;
          });
        model = await load(job.modelId, kind);
      }
      let lastYield = wallMilliseconds();
      for (const task of job.tasks) {
        if (job.signal.aborted) return;
        events.started(task.index);
        events.finished(task.index, runTaskOfKind(kind, model, task, job.until));
        // Let the host breathe (a page repaints its progress bar, Node hears Ctrl-C) every
        // 50 ms of runs, not after each: short runs would spend more time waiting than running.
        if (wallMilliseconds() - lastYield > 50) {
          await new Promise<void>((resolve) => setTimeout(resolve, 0));
          lastYield = wallMilliseconds();
        }
      }
    },
  };
}

/** A hex hash of the text (two 32-bit MurmurHash3 words): names a sweep, short and stable. */
function identityHash(text: string): string {
  const first = hashString(text, 0x5eed);
  const second = fmix32(hashString(text, first) ^ 0x9e3779b9);
  return first.toString(16).padStart(8, "0") + second.toString(16).padStart(8, "0");
}

/** The seeds every point runs, and the root they came from (null for explicit seeds). */
function seedsOf(options: SweepOptions): { seeds: number[]; rootSeed: number | null } {
  if (options.seeds !== undefined) {
    if (options.replications !== undefined) {
      throw new ConfigError(
        "sweep",
        "seeds",
        "given without replications (one or the other)",
        options.seeds,
      );
    }
    if (!Array.isArray(options.seeds) || options.seeds.length === 0) {
      throw new ConfigError(
        "sweep",
        "seeds",
        "a non-empty array of integers in [0, 2^53)",
        options.seeds,
      );
    }
    const seen = new Set<number>();
    for (const seed of options.seeds) {
      if (!Number.isSafeInteger(seed) || seed < 0) {
        throw new ConfigError("sweep", "seeds", "integers in [0, 2^53)", seed);
      }
      if (seen.has(seed)) throw new ConfigError("sweep", "seeds", "distinct seeds", seed);
      seen.add(seed);
    }
    return { seeds: [...options.seeds], rootSeed: null };
  }
  const rootSeed = options.rootSeed ?? 1;
  return { seeds: replicationSeeds(rootSeed, options.replications ?? 1), rootSeed };
}

/** The model as a `SweepModel`, with the sweep's `measure` in place of the model's own. */
function modelOf(options: SweepOptions): SweepModel | undefined {
  const given = options.model;
  if (given === undefined) return undefined;
  let model: SweepModel;
  if (typeof given === "function") model = { build: given };
  else if (typeof given === "object" && given !== null) {
    // A module's namespace (`import * as model from "./model.js"`) names its builder `default`.
    const read = sweepModelOf(given as unknown as Record<string, unknown>, "model");
    if (typeof read === "string") throw new ConfigError("sweep", "model", read, given);
    model = read;
  } else {
    throw new ConfigError("sweep", "model", "a ModelBuilder or { build, until?, measure? }", given);
  }
  return options.measure === undefined ? model : { ...model, measure: options.measure };
}

/**
 * Checks every option and lays out the runs, before anything runs: a bad grid, seed count,
 * horizon or level throws a `ConfigError` here.
 */
export function planSweep(options: SweepOptions): {
  job: Omit<SweepJob, "signal">;
  points: Params[];
  seeds: number[];
  rootSeed: number | null;
  parameters: string[];
} {
  const grid =
    options.grid === undefined
      ? {}
      : Array.isArray(options.grid)
        ? parseGrid(options.grid as readonly string[])
        : (options.grid as Grid);
  const points = gridPoints(grid);
  const { seeds, rootSeed } = seedsOf(options);
  const model = modelOf(options);
  if (model === undefined && options.modelId === undefined) {
    throw new ConfigError(
      "sweep",
      "model",
      "a model (a builder or a module's exports) or a modelId",
      undefined,
    );
  }
  if (
    options.modelId !== undefined &&
    (typeof options.modelId !== "string" || options.modelId === "")
  ) {
    throw new ConfigError("sweep", "modelId", "a file path or module id", options.modelId);
  }
  const until = options.until;
  if (until !== undefined && !(typeof until === "number" && until >= 0 && Number.isFinite(until))) {
    throw new ConfigError("sweep", "until", "a number of seconds >= 0", until);
  }
  const confidence = options.confidence ?? 0.95;
  if (!(typeof confidence === "number" && confidence > 0 && confidence < 1)) {
    throw new ConfigError("sweep", "confidence", "a number in (0, 1)", confidence);
  }
  const tasks: RunTask[] = [];
  points.forEach((params, point) => {
    seeds.forEach((seed, replication) => {
      tasks.push({ index: tasks.length, point, replication, params, seed });
    });
  });
  // toWire: Infinity and -Infinity would both be null in JSON, one identity for two sweeps.
  const identity = identityHash(
    JSON.stringify(
      toWire([
        options.modelId ?? "(inline)",
        options.modelVersion ?? "",
        points,
        seeds,
        until ?? null,
      ]),
    ),
  );
  return {
    job: {
      identity,
      model,
      modelId: options.modelId,
      modelVersion: options.modelVersion,
      until,
      measure: options.measure,
      tasks,
    },
    points,
    seeds,
    rootSeed,
    parameters: Object.keys(grid),
  };
}

/**
 * Runs `model` at every point of `grid` with every seed and merges the outcomes.
 *
 * @example
 * const result = await sweep({
 *   model: build,
 *   grid: { servers: [2, 4, 8] },
 *   replications: 10,
 *   until: 60,
 *   measure: ({ summary }) => ({ events: summary.eventsProcessed }),
 * });
 * result.points[0]?.summary.events?.mean;
 */
export async function sweep(options: SweepOptions): Promise<SweepResult> {
  const plan = planSweep(options);
  const confidence = options.confidence ?? 0.95;
  const { outcomes, stopped } = await runJob(plan.job, {
    ...options,
    isFailure: (outcome) => "error" in outcome,
  });
  return mergeOutcomes(
    options.modelId,
    plan,
    outcomes as (RunOutcome | undefined)[],
    confidence,
    stopped,
  );
}

/** How `runJob` runs a job: where, what counts as a failure, progress and stopping. */
export interface RunJobOptions {
  /** Where the tasks run. Default `inlineBackend()`. */
  readonly backend?: SweepBackend;
  /** A failed task: counted in progress, and what `stopOnFirstFailure` stops at. */
  readonly isFailure: (outcome: TaskOutcome) => boolean;
  readonly stopOnFirstFailure?: boolean;
  readonly onProgress?: (progress: SweepProgress) => void;
  readonly signal?: AbortSignal;
}

/**
 * Runs a job's tasks on a backend and files each outcome under its task's index: what `sweep`
 * and `exploreModel` share. The outcomes depend on the tasks only, never on the backend, the
 * number of workers or the order tasks finished in; an index never finished (stopped early)
 * stays undefined.
 */
export async function runJob(
  job: Omit<SweepJob, "signal">,
  options: RunJobOptions,
): Promise<{ outcomes: (TaskOutcome | undefined)[]; stopped: SweepResult["stopped"] }> {
  const backend = options.backend ?? inlineBackend();
  const tasks = job.tasks;
  const outcomes: (TaskOutcome | undefined)[] = new Array(tasks.length);
  const stop = new AbortController();
  let stopped: SweepResult["stopped"] = null;
  const onAbort = () => {
    stopped ??= "aborted";
    stop.abort();
  };
  if (options.signal?.aborted) onAbort();
  options.signal?.addEventListener("abort", onAbort);

  const started = new Set<number>();
  let done = 0;
  let failed = 0;
  const startMs = wallMilliseconds();
  const progress = () => {
    if (options.onProgress === undefined) return;
    const elapsedSeconds = (wallMilliseconds() - startMs) / 1000;
    options.onProgress({
      total: tasks.length,
      done,
      failed,
      running: started.size,
      elapsedSeconds,
      etaSeconds: done === 0 ? null : (elapsedSeconds / done) * (tasks.length - done),
    });
  };
  const events: SweepEvents = {
    started(index) {
      if (outcomes[index] !== undefined || started.has(index)) return;
      started.add(index);
      progress();
    },
    finished(index, outcome) {
      if (outcomes[index] !== undefined || index < 0 || index >= tasks.length) return;
      outcomes[index] = outcome;
      started.delete(index);
      done++;
      if (options.isFailure(outcome)) {
        failed++;
        if (options.stopOnFirstFailure === true && stopped === null) {
          stopped = "first-failure";
          stop.abort();
        }
      }
      progress();
    },
  };
  try {
    await backend.run({ ...job, signal: stop.signal }, events);
  } finally {
    options.signal?.removeEventListener("abort", onAbort);
  }
  return { outcomes, stopped };
}

/** The outcomes, filed by index, as one result: every loop here runs in index order. */
function mergeOutcomes(
  modelId: string | undefined,
  plan: ReturnType<typeof planSweep>,
  outcomes: readonly (RunOutcome | undefined)[],
  confidence: number,
  stopped: SweepResult["stopped"],
): SweepResult {
  const figures: string[] = [];
  const known = new Set<string>();
  for (const outcome of outcomes) {
    if (outcome === undefined || !("figures" in outcome)) continue;
    for (const name of Object.keys(outcome.figures)) {
      if (!known.has(name)) {
        known.add(name);
        figures.push(name);
      }
    }
  }
  const failures: SweepFailure[] = [];
  let succeeded = 0;
  let notRun = 0;
  const points: SweepPoint[] = plan.points.map((params, point) => {
    const replications: ReplicationResult[] = plan.seeds.map((seed, replication) => {
      const outcome = outcomes[point * plan.seeds.length + replication];
      if (outcome === undefined) {
        notRun++;
        return { seed, notRun: true };
      }
      if ("error" in outcome) {
        failures.push({ params, seed, replication, error: outcome.error });
        return { seed, error: outcome.error };
      }
      succeeded++;
      return { seed, figures: outcome.figures };
    });
    const summary: Record<string, FigureSummary> = {};
    for (const name of figures) {
      const values: number[] = [];
      for (const replication of replications) {
        const value = "figures" in replication ? replication.figures[name] : undefined;
        if (value !== undefined) values.push(value);
      }
      summary[name] = summarizeFigure(values, confidence);
    }
    return { params, summary, replications };
  });
  return {
    model: modelId ?? "(inline)",
    rootSeed: plan.rootSeed,
    seeds: plan.seeds,
    until: plan.job.until ?? null,
    confidence,
    parameters: plan.parameters,
    figures,
    points,
    runs: { total: outcomes.length, succeeded, failed: failures.length, notRun },
    failures,
    stopped,
  };
}

/**
 * The result as JSON text: the bytes a sweep is compared by (NaN, for a spread of fewer than
 * two replications, is null).
 */
export function sweepResultJson(result: SweepResult): string {
  return `${JSON.stringify(result, null, 2)}\n`;
}
