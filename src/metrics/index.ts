/**
 * Metrics: counters, time-weighted gauges, bounded-error histograms, time series, export. The
 * entities that measure a model (Probe, Sink) are components: src/components/measure/.
 */
export { Counter } from "./counter.js";
export {
  csvField,
  type EntitySeries,
  type RunInfo,
  type RunRecord,
  type RunRecordOptions,
  runRecord,
  runRecordCsv,
  runRecordJson,
} from "./export.js";
export { Histogram, type HistogramOptions } from "./histogram.js";
export {
  type SeriesOptions,
  TimeSeries,
  type TimeSeriesOptions,
  type WindowStatistic,
  type WindowStats,
} from "./timeSeries.js";
export { TimeWeightedGauge } from "./timeWeightedGauge.js";
