/**
 * The measure family: entities that observe a model (`Probe` samples any value on a grid,
 * `Sink` records end-to-end latency from each message's chain origin). The metric primitives
 * they are built from live in src/metrics/.
 */
export { Probe, type ProbeOptions } from "./probe.js";
export { Sink, type SinkOptions, type SinkStats } from "./sink.js";
