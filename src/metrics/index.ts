/** Metrics: counters, time-weighted gauges, bounded-error histograms, time series, probes, sinks, export. */
export { Counter } from "./counter.js";
export {
  csvField,
  type EntitySeries,
  type RunRecord,
  runRecord,
  runRecordCsv,
  runRecordJson,
} from "./export.js";
export { Histogram, type HistogramOptions } from "./histogram.js";
export { Probe, type ProbeOptions } from "./probe.js";
export { Sink, type SinkOptions, type SinkStats } from "./sink.js";
export {
  type SeriesOptions,
  TimeSeries,
  type TimeSeriesOptions,
  type WindowStatistic,
  type WindowStats,
} from "./timeSeries.js";
export { TimeWeightedGauge } from "./timeWeightedGauge.js";
