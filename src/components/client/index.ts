/** The client family: the clients, their retry policies (the `retry` namespace) and the connection pool. */

import type { CataloguedComponent } from "../../catalog/entry.js";
import { Client } from "./client.js";
import { ConnectionPool } from "./connectionPool.js";
import { PooledClient } from "./pooledClient.js";

export { Client, type ClientOptions, type ClientStats } from "./client.js";
export {
  AcquireTimeoutError,
  Connection,
  ConnectionPool,
  type ConnectionPoolOptions,
  type ConnectionPoolStats,
} from "./connectionPool.js";
export {
  PooledClient,
  type PooledClientOptions,
  type PooledClientStats,
} from "./pooledClient.js";
export type { RetryPolicy } from "./retryPolicies.js";
export * as retry from "./retryPolicies.js";

/** This family's component classes, in catalog order (src/components/index.ts gathers them). */
export const CLIENT_COMPONENTS = [
  Client,
  ConnectionPool,
  PooledClient,
] as const satisfies readonly CataloguedComponent[];
