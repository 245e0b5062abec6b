/**
 * distsim: discrete-event simulation of distributed systems.
 *
 * Grouped by topic (kept by hand; the import sorter is off for this file): time, the
 * simulation and its loop, entities and messages, processes and futures, randomness
 * (streams, distributions, profiles), load generation, determinism, errors.
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
  type SimulationStatus,
  type RunOptions,
  type RunSummary,
  type StopReason,
  type Transport,
} from "./core/simulation.js";
export { MAX_PENDING_EVENTS } from "./core/eventQueue.js";

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
} from "./core/entity.js";
export { Message } from "./core/message.js";

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

// Load generation: sources, arrival processes, closed-loop users, key generators.
export { Source, type SourceOptions } from "./load/source.js";
export * as arrivals from "./load/arrivals.js";
export type { ArrivalProcess } from "./load/arrivals.js";
export { ClosedLoopClients, type ClosedLoopOptions } from "./load/closedLoopClients.js";
export * as keys from "./load/keys.js";
export type { KeyGenerator } from "./load/keys.js";

// Components: network.
export {
  NetworkLink,
  type NetworkLinkOptions,
  type NetworkLinkStats,
  Network,
  type NetworkOptions,
  conditions,
} from "./components/network/index.js";

// Components: servers.
export {
  Server,
  type ServerOptions,
  type ServerStats,
  concurrency,
  type ConcurrencyModel,
  type DynamicConcurrency,
  type DynamicConcurrencyOptions,
  type FixedConcurrency,
  type WeightedConcurrency,
  type WeightedConcurrencyOptions,
  AsyncServer,
  type AsyncServerOptions,
  type AsyncServerStats,
  ThreadPool,
  type ThreadPoolOptions,
  type ThreadPoolStats,
} from "./components/server/index.js";
export * from "./components/resource/index.js";

// Components: clients and retry policies.
export {
  Client,
  type ClientOptions,
  type ClientStats,
  AcquireTimeoutError,
  Connection,
  ConnectionPool,
  type ConnectionPoolOptions,
  type ConnectionPoolStats,
  PooledClient,
  type PooledClientOptions,
  type PooledClientStats,
  retry,
  type RetryPolicy,
} from "./components/client/index.js";

// Components: load balancing (the balancer, its strategies, health checks).
export {
  LoadBalancer,
  type LoadBalancerOptions,
  type LoadBalancerStats,
  type BackendStats,
  type WeightedBackend,
  strategy,
  type LoadBalancingStrategy,
  type BackendSelector,
  type BackendState,
  HealthChecker,
  type HealthCheckerOptions,
  type HealthCheckerStats,
  type HealthTransition,
} from "./components/loadBalancer/index.js";

// Components: resilience.
export {
  CircuitBreaker,
  type CircuitBreakerOptions,
  type CircuitBreakerStats,
  type CircuitState,
  type CircuitTransition,
  Bulkhead,
  type BulkheadOptions,
  type BulkheadStats,
  TimeoutWrapper,
  type TimeoutWrapperOptions,
  type TimeoutWrapperStats,
  Fallback,
  type FallbackOptions,
  type FallbackSource,
  type FallbackStats,
  Hedge,
  type HedgeOptions,
  type HedgeStats,
  type BudgetOptions,
} from "./components/resilience/index.js";

// The component catalog (the Lego catalog seed's schema, for every concept and component).
export {
  Catalog,
  distsimCatalog,
  type CatalogEntry,
  type CatalogName,
  type CatalogProblem,
  type Layer,
  type Role,
} from "./catalog/index.js";

// Metrics: primitives, time series, probes and sinks.
export {
  Counter,
  TimeWeightedGauge,
  Histogram,
  type HistogramOptions,
  Probe,
  type ProbeOptions,
  runRecord,
  runRecordJson,
  runRecordCsv,
  type RunRecord,
  type EntitySeries,
  Sink,
  type SinkOptions,
  type SinkStats,
  TimeSeries,
  type TimeSeriesOptions,
  type SeriesOptions,
  type WindowStatistic,
  type WindowStats,
} from "./metrics/index.js";

// Determinism.
export {
  checkDeterminism,
  assertDeterministic,
  NondeterminismError,
  type DeterminismVerdict,
} from "./core/determinism.js";

// Errors.
export {
  DistsimError,
  ConfigError,
  SimulationError,
  TimeoutError,
  CancelledError,
  InterruptError,
  RemoteError,
} from "./core/errors.js";
