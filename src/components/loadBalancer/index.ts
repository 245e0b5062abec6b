/**
 * The load-balancer family: the balancer, its strategies (the `strategy` namespace) and the
 * health checker that takes failed backends out of rotation.
 */

import type { CataloguedComponent } from "../../catalog/entry.js";
import { HealthChecker } from "./healthChecker.js";
import { LoadBalancer } from "./loadBalancer.js";

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

/** This family's component classes, in catalog order (src/components/index.ts gathers them). */
export const LOAD_BALANCER_COMPONENTS = [
  LoadBalancer,
  HealthChecker,
] as const satisfies readonly CataloguedComponent[];
