/** The resilience family. */

export { Bulkhead, type BulkheadOptions, type BulkheadStats } from "./bulkhead.js";
export {
  CircuitBreaker,
  type CircuitBreakerOptions,
  type CircuitBreakerStats,
  type CircuitState,
  type CircuitTransition,
} from "./circuitBreaker.js";
export {
  Fallback,
  type FallbackOptions,
  type FallbackSource,
  type FallbackStats,
} from "./fallback.js";
export { Hedge, type HedgeOptions, type HedgeStats } from "./hedge.js";
export {
  TimeoutWrapper,
  type TimeoutWrapperOptions,
  type TimeoutWrapperStats,
} from "./timeoutWrapper.js";
export type { BudgetOptions } from "./tokenBudget.js";
