/** The server family. */

import type { CataloguedComponent } from "../../catalog/entry.js";
import { AsyncServer } from "./asyncServer.js";
import { Server } from "./server.js";
import { ThreadPool } from "./threadPool.js";

export type {
  ConcurrencyModel,
  DynamicConcurrency,
  DynamicConcurrencyOptions,
  FixedConcurrency,
  WeightedConcurrency,
  WeightedConcurrencyOptions,
} from "../resource/concurrency.js";
export * as concurrency from "../resource/concurrency.js";
export { AsyncServer, type AsyncServerOptions, type AsyncServerStats } from "./asyncServer.js";
export { Server, type ServerOptions, type ServerStats } from "./server.js";
export { ThreadPool, type ThreadPoolOptions, type ThreadPoolStats } from "./threadPool.js";

/** This family's component classes, in catalog order (src/components/index.ts gathers them). */
export const SERVER_COMPONENTS = [
  Server,
  AsyncServer,
  ThreadPool,
] as const satisfies readonly CataloguedComponent[];
