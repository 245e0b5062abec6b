/**
 * `distsim/sweep`: the Node-only sweep backends. Worker threads on this machine
 * (`threadsBackend`), BullMQ on Redis for many machines (`bullmqBackend`, and `runSweepWorker`
 * behind `distsim worker`), and the model loader they share. `sweep` itself and the inline
 * backend are in the main entry, which runs in a browser too; they are re-exported here.
 */

export * from "../index.js";
export {
  type BullmqBackendOptions,
  bullmqBackend,
  connectRedis,
  DEFAULT_SWEEP_QUEUE,
  runSweepWorker,
  type SweepJobData,
  type SweepWorkerOptions,
  sweepJobId,
} from "./bullmqBackend.js";
export { loadModelFile, loadTaskModel, resolveModelId } from "./modelFile.js";
export { type ThreadsBackendOptions, threadsBackend } from "./threadsBackend.js";
