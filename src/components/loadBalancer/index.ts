/**
 * The load-balancer family: the balancer, its strategies (the `strategy` namespace) and the
 * health checker that takes failed backends out of rotation.
 */
export {
  HealthChecker,
  type HealthCheckerOptions,
  type HealthCheckerStats,
  type HealthTransition,
} from "./healthChecker.js";
export {
  type BackendStats,
  LoadBalancer,
  type LoadBalancerOptions,
  type LoadBalancerStats,
  type WeightedBackend,
} from "./loadBalancer.js";
export type {
  BackendSelector,
  BackendState,
  LoadBalancingStrategy,
} from "./strategies.js";
export * as strategy from "./strategies.js";
