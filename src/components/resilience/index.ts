/** The resilience family. */

import type { CataloguedComponent } from "../../catalog/entry.js";
import { AdaptiveRateLimiter } from "./adaptiveRateLimiter.js";
import { Bulkhead } from "./bulkhead.js";
import { CircuitBreaker } from "./circuitBreaker.js";
import { DistributedRateLimiter } from "./distributedRateLimiter.js";
import { Fallback } from "./fallback.js";
import { Hedge } from "./hedge.js";
import { RateLimiter } from "./rateLimiter.js";
import { TimeoutWrapper } from "./timeoutWrapper.js";

export {
  AdaptiveRateLimiter,
  type AdaptiveRateLimiterOptions,
  type AdaptiveRateLimiterStats,
} from "./adaptiveRateLimiter.js";
export { Bulkhead, type BulkheadOptions, type BulkheadStats } from "./bulkhead.js";
export {
  CircuitBreaker,
  type CircuitBreakerOptions,
  type CircuitBreakerStats,
  type CircuitState,
  type CircuitTransition,
} from "./circuitBreaker.js";
export {
  type CounterIncrement,
  type CounterStore,
  type CounterStoreProtocol,
  type DistributedLimitMode,
  DistributedRateLimiter,
  type DistributedRateLimiterOptions,
  type DistributedRateLimiterStats,
  type StoreFailurePolicy,
} from "./distributedRateLimiter.js";
export {
  Fallback,
  type FallbackOptions,
  type FallbackSource,
  type FallbackStats,
} from "./fallback.js";
export { Hedge, type HedgeOptions, type HedgeStats } from "./hedge.js";
export {
  RateLimiter,
  type RateLimiterOptions,
  type RateLimiterStats,
  type RateLimitPolicy,
} from "./rateLimiter.js";
export {
  fixedWindow,
  type LeakyBucketOptions,
  type LeakyQueueMeter,
  leakyBucket,
  type RateMeter,
  type RatePolicy,
  type RatePolicyKind,
  slidingWindowCounter,
  slidingWindowLog,
  type TokenBucketOptions,
  tokenBucket,
  type WindowOptions,
} from "./ratePolicy.js";
export {
  TimeoutWrapper,
  type TimeoutWrapperOptions,
  type TimeoutWrapperStats,
} from "./timeoutWrapper.js";
export type { BudgetOptions } from "./tokenBudget.js";

/** This family's component classes, in catalog order (src/components/index.ts gathers them). */
export const RESILIENCE_COMPONENTS = [
  CircuitBreaker,
  Bulkhead,
  TimeoutWrapper,
  Fallback,
  Hedge,
  RateLimiter,
  AdaptiveRateLimiter,
  DistributedRateLimiter,
] as const satisfies readonly CataloguedComponent[];
