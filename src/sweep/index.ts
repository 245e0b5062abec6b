/**
 * Sweeps and replications, the part that runs anywhere (a browser too): `sweep` with the
 * inline backend, grid parsing, replication seeds, the merged result. The worker-thread and
 * BullMQ backends are Node-only, in `distsim/sweep`.
 */

export { type ExploreModelOptions, exploreModel } from "./explore.js";
export {
  type Grid,
  gridPoints,
  MAX_AXIS_POINTS,
  type Params,
  type ParamValue,
  parseGrid,
  parseGridAxis,
  parseParams,
  parseParamValue,
} from "./grid.js";
export {
  everyMetric,
  type Measure,
  type RunOutcome,
  type RunTask,
  runTask,
  type SweepModel,
  sweepModelOf,
} from "./runTask.js";
export { replicationSeed, replicationSeeds } from "./seeds.js";
export { type FigureSummary, studentTQuantile, summarizeFigure } from "./statistics.js";
export {
  inlineBackend,
  planSweep,
  type ReplicationResult,
  type RunJobOptions,
  runJob,
  type SweepBackend,
  type SweepEvents,
  type SweepFailure,
  type SweepJob,
  type SweepOptions,
  type SweepPoint,
  type SweepProgress,
  type SweepResult,
  sweep,
  sweepResultJson,
} from "./sweep.js";
export {
  runTaskOfKind,
  type TaskKind,
  type TaskModel,
  type TaskOutcome,
  taskModelOf,
} from "./taskKinds.js";
