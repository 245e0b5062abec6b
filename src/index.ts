/**
 * distsim: discrete-event simulation of distributed systems.
 *
 * Grouped by topic: time, the simulation and its loop, entities and messages, processes and
 * futures, randomness, determinism, errors.
 */

// Determinism.
export {
  assertDeterministic,
  checkDeterminism,
  type DeterminismVerdict,
  NondeterminismError,
} from "./core/determinism.js";
// Entities and messages.
export {
  type CallOptions,
  Entity,
  type EntityCounters,
  type EntityStatus,
  type SendOptions,
  type TimerOptions,
} from "./core/entity.js";
// Errors.
export {
  CancelledError,
  ConfigError,
  DistsimError,
  InterruptError,
  SimulationError,
  TimeoutError,
} from "./core/errors.js";
export { MAX_PENDING_EVENTS } from "./core/eventQueue.js";
export { all, any, type FutureState, race, SimFuture, timeout, wait } from "./core/future.js";
export { Message } from "./core/message.js";
// Processes and futures.
export {
  Process,
  type ProcessGenerator,
  type ProcessOptions,
  type ProcessStatus,
  type Yieldable,
} from "./core/process.js";
// The simulation and its loop.
export {
  type RunOptions,
  type RunSummary,
  Simulation,
  type SimulationOptions,
  type SimulationStatus,
  type StopReason,
  type Transport,
} from "./core/simulation.js";
// Time: seconds at the API, integer nanoseconds inside.
export {
  durationToNs,
  hours,
  MAX_TIME_NS,
  minutes,
  ms,
  NS_PER_SECOND,
  ns,
  nsToSeconds,
  us,
} from "./core/time.js";
export type { ArrivalProcess } from "./load/arrivals.js";
export * as arrivals from "./load/arrivals.js";
export { ClosedLoopClients, type ClosedLoopOptions } from "./load/closedLoopClients.js";
export * as keys from "./load/keys.js";
export type { KeyGenerator } from "./load/keys.js";
// Load generation: `new Source(sim, "load", { target, arrivals: arrivals.poisson(8) })`.
export { Source, type SourceOptions } from "./load/source.js";
export type { Distribution } from "./random/distributions/index.js";
export * as dist from "./random/distributions/index.js";
export * as profile from "./random/profile.js";
export { checkParam, type Param, type Profile, valueAt } from "./random/profile.js";
// Randomness: streams, distributions (`dist.exponential(0.1)`), profiles (`profile.ramp({...})`).
export { RandomStream } from "./random/randomStream.js";
