/** The server family. */

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
