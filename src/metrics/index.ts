/** Metrics primitives: counters, time-weighted gauges, bounded-error histograms. */
export { Counter } from "./counter.js";
export { Histogram, type HistogramOptions } from "./histogram.js";
export { Probe, type ProbeOptions } from "./probe.js";
export { TimeWeightedGauge } from "./timeWeightedGauge.js";
