/**
 * The store family's latency options: the same type and check as the storage family's, kept
 * in components/shared so both families use one without importing each other.
 */
export { type Latency, requireLatency } from "../shared/latency.js";
