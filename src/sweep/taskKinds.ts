/**
 * The kinds of task a backend runs: a sweep's run (a model measured at a grid point) and an
 * explored seed (a model's invariants checked under the seed's faults, `exploreModel`). Every
 * backend (inline, worker threads, BullMQ) carries the kind with the task and runs it here, so
 * there is one pool and one queue for both; the model a worker loads is read for the kind.
 */
import {
  type CheckModel,
  checkModelOf,
  runExploreSeed,
  type SeedOutcome,
} from "../check/invariants/checkModel.js";
import {
  type RunOutcome,
  type RunTask,
  runTask,
  type SweepModel,
  sweepModelOf,
} from "./runTask.js";

export type TaskKind = "sweep" | "explore";

/**
 * What a task gives back: a sweep run's figures or error, or an explored seed's verdict. A
 * backend that could not run a task at all (its thread died) reports `{ error }` for either.
 */
export type TaskOutcome = RunOutcome | SeedOutcome;

/** The model a task of each kind runs. */
export type TaskModel = SweepModel | CheckModel;

/** A loaded module's exports as the model of a `kind` task, or what is wrong with it. */
export function taskModelOf(
  kind: TaskKind,
  module: Record<string, unknown>,
  name: string,
): TaskModel | string {
  return kind === "explore" ? checkModelOf(module, name) : sweepModelOf(module, name);
}

/**
 * Runs one task of `kind` with a model read for that kind (`taskModelOf`); `until` is a
 * sweep's horizon (an explored seed runs its model's own phases).
 */
export function runTaskOfKind(
  kind: TaskKind,
  model: TaskModel,
  task: RunTask,
  until?: number,
): TaskOutcome {
  return kind === "explore"
    ? runExploreSeed(model as CheckModel, task.seed)
    : runTask(model as SweepModel, task, until);
}
