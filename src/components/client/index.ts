/** The client family: the client and its retry policies (the `retry` namespace). */
export { Client, type ClientOptions, type ClientStats } from "./client.js";
export type { RetryPolicy } from "./retryPolicies.js";
export * as retry from "./retryPolicies.js";
