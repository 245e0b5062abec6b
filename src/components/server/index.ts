/** The server family. */

export { AsyncServer, type AsyncServerOptions, type AsyncServerStats } from "./asyncServer.js";
export type {
  ConcurrencyModel,
  DynamicConcurrency,
  DynamicConcurrencyOptions,
  FixedConcurrency,
  WeightedConcurrency,
  WeightedConcurrencyOptions,
} from "./concurrency.js";
export * as concurrency from "./concurrency.js";
export { Server, type ServerOptions, type ServerStats } from "./server.js";
export { ThreadPool, type ThreadPoolOptions, type ThreadPoolStats } from "./threadPool.js";
