/** Reports: self-contained HTML pages with charts (Node-only entry point: "distsim/report"). */

export { reportFromRun } from "./fromRun.js";
export { type ChartLibrary, renderReportHtml } from "./html.js";
export type { ReportChart, ReportInput, ReportSeries, ReportTable } from "./reportInput.js";
export { writeReport } from "./writeReport.js";
