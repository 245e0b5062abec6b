/**
 * distsim: discrete-event simulation of distributed systems.
 *
 * Grouped by topic (kept by hand; the import sorter is off for this file): time, the
 * simulation and its loop, entities and messages, processes and futures, randomness
 * (streams, distributions, profiles), the component families (re-exported whole: a new
 * component is exported by its family's index, never listed here), clocks, the catalog, metrics,
 * determinism, errors.
 */

// Time: seconds at the API, integer nanoseconds inside.
export {
  NS_PER_SECOND,
  MAX_TIME_NS,
  ms,
  us,
  ns,
  minutes,
  hours,
  durationToNs,
  nsToSeconds,
} from "./core/time.js";

// The simulation and its loop.
export {
  Simulation,
  type SimulationOptions,
  type SimulationLimits,
  DEFAULT_LIMITS,
  type SimulationStatus,
  type RunOptions,
  type RunSummary,
  type StopReason,
  type Transport,
} from "./core/simulation.js";
export { MAX_PENDING_EVENTS } from "./core/eventQueue.js";

// A model file for `distsim run`: its default export is a ModelBuilder.
export type { ModelBuilder, ModelContext } from "./core/model.js";

// Entities and messages.
export {
  Entity,
  type EntityStatus,
  type EntityCounters,
  type EntityMetrics,
  type EntitySummary,
  type LifecycleHook,
  type RecordedSeries,
  type SendOptions,
  type CallOptions,
  type TimerOptions,
  type CrashKind,
  type CrashOptions,
  type RestartOptions,
  type NodeFault,
  type NodeFaultKind,
} from "./core/entity.js";
export type { FaultHandle } from "./core/faultHandle.js";
export { Message, NO_DEADLINE } from "./core/message.js";

// The trace stream (`sim.onTrace`).
export type {
  TraceRecord,
  TraceListener,
  DropReason,
  CallOutcome,
  MessageSentRecord,
  MessageDeliveredRecord,
  MessageDroppedRecord,
  CallSettledRecord,
  ProcessStartedRecord,
  ProcessEndedRecord,
  TimerFiredRecord,
  StateChangedRecord,
  FaultRecord,
} from "./core/trace.js";

// Processes and futures.
export {
  Process,
  type ProcessGenerator,
  type ProcessOptions,
  type ProcessStatus,
  type Yieldable,
} from "./core/process.js";
export { SimFuture, type FutureState, wait, all, any, race, timeout } from "./core/future.js";

// Randomness: streams, distributions (`dist.exponential(0.1)`), profiles (`profile.ramp({...})`).
export { RandomStream } from "./random/randomStream.js";
export * as dist from "./random/distributions/index.js";
export type { Distribution } from "./random/distributions/index.js";
export * as profile from "./random/profile.js";
export { type Param, type Profile, valueAt, checkParam } from "./random/profile.js";

// Components, family by family (each family's index lists its components; `distsim/<family>`
// imports one family alone): load (sources, closed-loop users, with the `arrivals` and `keys`
// generators), network, servers, clients and retry policies, load balancing, resilience,
// measure (probes and sinks), databases (transactions and the lock manager), messaging
// (queues, topics, dead letters), storage (disks and durable logs), and stores (key-value
// stores and caches).
export * from "./components/load/index.js";
export * from "./components/network/index.js";
export * from "./components/server/index.js";
export * from "./components/client/index.js";
export * from "./components/loadBalancer/index.js";
export * from "./components/resilience/index.js";
export * from "./components/measure/index.js";
export * from "./components/resource/index.js";
export * from "./components/database/index.js";
export * from "./components/engine/index.js";
export * from "./components/consensus/index.js";
export * from "./components/membership/index.js";
export * from "./components/coordination/index.js";
export * from "./components/replication/index.js";
export * from "./components/messaging/index.js";
export * from "./components/storage/index.js";
export * from "./components/store/index.js";
export * from "./components/replication/index.js";
export { COMPONENT_CLASSES, distsimCatalog } from "./components/index.js";

// Clocks: each node's physical clock (skew, drift, NTP steps, local timers) and the logical
// clocks that order events across nodes (`distsim/clocks` imports them alone).
export * from "./clocks/index.js";

// Pure algorithms: failure detection, membership sketches and anti-entropy building blocks
// that entities use inside their handlers (`distsim/algorithms` imports them alone).
export * from "./algorithms/index.js";

// Faults: schedules of timed or seeded random faults (crashes, partitions, fault points inside
// components), applied to a simulation with a summary of what each did (`distsim/faults`).
export * from "./faults/index.js";

// The component catalog (the Lego catalog seed's schema, for every concept and component).
export {
  Catalog,
  type CatalogEntry,
  type CatalogName,
  type CatalogProblem,
  type Layer,
  type Role,
} from "./catalog/index.js";

// Metrics: primitives, time series, export.
export {
  Counter,
  TimeWeightedGauge,
  Histogram,
  type HistogramOptions,
  runRecord,
  runRecordJson,
  runRecordCsv,
  type RunRecord,
  type RunRecordOptions,
  type RunInfo,
  type EntitySeries,
  TimeSeries,
  type TimeSeriesOptions,
  type SeriesOptions,
  type WindowStatistic,
  type WindowStats,
} from "./metrics/index.js";

// Checkers: determinism, histories (recorded, read and written as Jepsen EDN or JSON) and
// linearizability with its models (`distsim/check` imports them alone).
export * from "./check/index.js";

// Errors.
export {
  DistsimError,
  ConfigError,
  SimulationError,
  RunawayError,
  type RunawayLimit,
  TimeoutError,
  CancelledError,
  InterruptError,
  RemoteError,
  ConnectionResetError,
  BrokenBarrierError,
} from "./errors/errors.js";

// Sweeps and replications (the inline backend; worker threads and BullMQ: "distsim/sweep").
export * from "./sweep/index.js";
