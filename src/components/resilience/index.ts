/** The resilience family. */
export {
  CircuitBreaker,
  type CircuitBreakerOptions,
  type CircuitBreakerStats,
  type CircuitState,
  type CircuitTransition,
} from "./circuitBreaker.js";
