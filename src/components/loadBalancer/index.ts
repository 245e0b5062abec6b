/** The load-balancer family: the balancer and its strategies (the `strategy` namespace). */
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
