/**
 * `exploreModel`: a check model's seeds on the sweep backends (inline, worker threads,
 * BullMQ). One explored seed is one task of kind "explore", run by the same job runner, pool
 * and queue as a sweep's runs; the outcomes are merged in seed order by the checkers' own
 * `mergeSeedOutcomes`, so the result is the same bytes whatever the backend, the worker count
 * or the order seeds finished in. It lives here, not beside `explore`, so the dependency runs
 * one way: sweep -> check.
 */
import { type CheckModel, checkModelOf } from "../check/invariants/checkModel.js";
import {
  checkSeconds,
  type ExploreResult,
  mergeSeedOutcomes,
  seedList,
} from "../check/invariants/explore.js";
import { ConfigError } from "../errors/errors.js";
import { fmix32, hashString } from "../random/hash.js";
import type { RunTask } from "./runTask.js";
import { runJob, type SweepBackend, type SweepProgress } from "./sweep.js";

export interface ExploreModelOptions {
  /**
   * The model in this process (a `CheckModel`, or a model module's exports: `await
   * import("./model.js")`): what the inline backend runs. Worker backends load the model
   * themselves from `modelId`.
   */
  readonly model?: CheckModel | Readonly<Record<string, unknown>>;
  /**
   * Where workers load the model from: an absolute file path (TypeScript or JavaScript) or a
   * module id, exporting a `CheckModel` (builder, `faults`, `checks`, `safety`, `liveness`).
   * It also names the model in the result. Needed by the threads and BullMQ backends.
   */
  readonly modelId?: string;
  /** The model's version (the CLI gives a hash of the file): a changed model is a new job. */
  readonly modelVersion?: string;
  /** How many seeds (0 .. n-1), or the seeds themselves. */
  readonly seeds: number | readonly number[];
  /** Where the seeds run. Default `inlineBackend()`. */
  readonly backend?: SweepBackend;
  /** Stop at the first failing seed instead of running them all. Default false. */
  readonly stopOnFirstFailure?: boolean;
  /** Called as seeds start and finish ("runs" are seeds). */
  readonly onProgress?: (progress: SweepProgress) => void;
  /** Stops the exploration early (the result says `stopped: "aborted"`). */
  readonly signal?: AbortSignal;
}

/** The model given to `exploreModel`, read as a `CheckModel` when it is a module's exports. */
function checkModelGiven(given: ExploreModelOptions["model"]): CheckModel | undefined {
  if (given === undefined) return undefined;
  if (typeof given === "object" && given !== null && typeof given.build === "function") {
    return given as CheckModel;
  }
  const read =
    typeof given === "object" && given !== null
      ? checkModelOf(given as Record<string, unknown>, "model")
      : "a CheckModel { build, safety, faults?, checks?, liveness? } or a model module's exports";
  if (typeof read === "string") throw new ConfigError("explore", "model", read, given);
  return read;
}

/** A hex hash naming an exploration: BullMQ's job ids derive from it. */
function exploreIdentity(text: string): string {
  const first = hashString(text, 0xc4ec);
  const second = fmix32(hashString(text, first) ^ 0x9e3779b9);
  return `x${first.toString(16).padStart(8, "0")}${second.toString(16).padStart(8, "0")}`;
}

/**
 * Runs a model's seeds on a sweep backend and merges the verdicts in seed order.
 *
 * @example
 * const result = await exploreModel({ modelId: "/abs/path/model.ts", seeds: 1000, backend: threadsBackend() });
 */
export async function exploreModel(options: ExploreModelOptions): Promise<ExploreResult> {
  const seeds = seedList(options.seeds);
  const model = checkModelGiven(options.model);
  if (model === undefined && options.modelId === undefined) {
    throw new ConfigError("explore", "model", "a model (a CheckModel) or a modelId", undefined);
  }
  if (
    options.modelId !== undefined &&
    (typeof options.modelId !== "string" || options.modelId === "")
  ) {
    throw new ConfigError("explore", "modelId", "a file path or module id", options.modelId);
  }
  if (model !== undefined) {
    checkSeconds("safety", model.safety, false);
    if (model.liveness !== undefined) checkSeconds("liveness.within", model.liveness.within, true);
  }
  const tasks: RunTask[] = seeds.map((seed, index) => ({
    index,
    point: 0,
    replication: index,
    params: {},
    seed,
  }));
  const identity = exploreIdentity(
    JSON.stringify(["explore", options.modelId ?? "(inline)", options.modelVersion ?? "", seeds]),
  );
  const { outcomes, stopped } = await runJob(
    {
      identity,
      kind: "explore",
      model,
      modelId: options.modelId,
      modelVersion: options.modelVersion,
      until: undefined,
      measure: undefined,
      tasks,
    },
    {
      isFailure: (outcome) => !("pass" in outcome),
      ...(options.backend === undefined ? {} : { backend: options.backend }),
      ...(options.stopOnFirstFailure === undefined
        ? {}
        : { stopOnFirstFailure: options.stopOnFirstFailure }),
      ...(options.onProgress === undefined ? {} : { onProgress: options.onProgress }),
      ...(options.signal === undefined ? {} : { signal: options.signal }),
    },
  );
  return mergeSeedOutcomes(
    options.modelId ?? "(inline)",
    seeds,
    outcomes as Parameters<typeof mergeSeedOutcomes>[2],
    stopped,
  );
}
