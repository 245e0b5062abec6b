/** The client family: the clients, their retry policies (the `retry` namespace) and the connection pool. */
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
