/** The client family: the client, its retry policies (the `retry` namespace) and the connection pool. */
export { Client, type ClientOptions, type ClientStats } from "./client.js";
export {
  AcquireTimeoutError,
  Connection,
  ConnectionPool,
  type ConnectionPoolOptions,
  type ConnectionPoolStats,
} from "./connectionPool.js";
export type { RetryPolicy } from "./retryPolicies.js";
export * as retry from "./retryPolicies.js";
