/** Reports: self-contained HTML pages with charts (Node-only entry point: "distsim/report"). */

export { faultBands } from "./faultBands.js";
export {
  formatClock,
  formatDuration,
  formatMetric,
  formatNumber,
  formatPercent,
  formatSeconds,
} from "./format.js";
export { type ReportFromRunOptions, reportFromRun } from "./fromRun.js";
export { type ChartLibrary, renderReportHtml } from "./html.js";
export type {
  ReportBand,
  ReportChart,
  ReportInput,
  ReportMarker,
  ReportRunInfo,
  ReportSeries,
  ReportTable,
  ReportValueFormat,
} from "./reportInput.js";
export { type CrashWatch, watchCrashes } from "./watchCrashes.js";
export { writeReport } from "./writeReport.js";
