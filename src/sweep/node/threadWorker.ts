/**
 * The task a worker thread of the threads backend runs (and a BullMQ worker, through the same
 * pool): load the model by its id once per thread, then run one task of a sweep with it.
 */
import { installGeneratorLocator } from "../../node/generatorLocator.js";
import type { RunTask } from "../runTask.js";
import { runTaskOfKind, type TaskKind, type TaskModel, type TaskOutcome } from "../taskKinds.js";
import { loadTaskModel } from "./modelFile.js";

/** What the pool hands a worker: a run of the model at `modelId`, or just a load to check it. */
export interface ThreadTask {
  readonly modelId: string;
  /** The model's version: a thread that loaded another version of the file loads it again. */
  readonly modelVersion?: string;
  readonly until?: number;
  /** What the task is: a sweep's run (default) or an explored seed; the model is read for it. */
  readonly kind?: TaskKind;
  /** Absent: only load the model, and say whether it loads. */
  readonly task?: RunTask;
}

/** A worker's answer: the run's outcome, or why the model would not load. */
export type ThreadAnswer = { readonly outcome: TaskOutcome } | { readonly loadError: string };

/**
 * Models this thread is loading or has loaded, by id and version. Only a load that worked
 * stays: a failed one (a syntax error, a missing file) is forgotten, so a long-lived thread
 * (a `distsim worker`'s) loads the file again on its next job once it has been fixed.
 */
const models = new Map<string, Promise<TaskModel | string>>();

export default async function runInThread(request: ThreadTask): Promise<ThreadAnswer> {
  installGeneratorLocator();
  const kind = request.kind ?? "sweep";
  const key = `${kind}\n${request.modelId}\n${request.modelVersion ?? ""}`;
  let loading = models.get(key);
  if (loading === undefined) {
    // Cached while in flight, so runs arriving together share one load.
    loading = loadTaskModel(kind, request.modelId, request.modelVersion).catch(
      (error: unknown) => `could not load ${request.modelId}: ${String(error)}`,
    );
    models.set(key, loading);
  }
  const model = await loading;
  if (typeof model === "string") {
    if (models.get(key) === loading) models.delete(key);
    return { loadError: model };
  }
  if (request.task === undefined) return { outcome: { figures: {} } };
  return { outcome: runTaskOfKind(kind, model, request.task, request.until) };
}
