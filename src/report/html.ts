/**
 * Renders a report as one self-contained HTML page: the chart library (uPlot) and its styles
 * are inlined, the data is embedded as JSON, and nothing is fetched, so the file opens offline
 * and can be mailed or attached to a ticket. Pure apart from receiving the library's text.
 */
import type { ReportInput } from "./reportInput.js";

/** The chart library's code and styles, inlined into every report. */
export interface ChartLibrary {
  readonly script: string;
  readonly styles: string;
}

const escapeHtml = (text: string) =>
  text.replace(/&/g, "&amp;").replace(/</g, "&lt;").replace(/>/g, "&gt;").replace(/"/g, "&quot;");

/** JSON that is safe inside a <script> element. */
const scriptJson = (value: unknown) => JSON.stringify(value).replace(/</g, "\\u003c");

/** Draws each chart with uPlot once the page has loaded; runs in the browser. */
const DRAW_CHARTS = `
const report = JSON.parse(document.getElementById("report-data").textContent);
const palette = ["#1f77b4", "#d62728", "#2ca02c", "#ff7f0e", "#9467bd", "#8c564b"];
report.charts.forEach((chart, index) => {
  const times = [...new Set(chart.series.flatMap((s) => s.points.map((p) => p[0])))].sort((a, b) => a - b);
  const columns = chart.series.map((s) => {
    const byTime = new Map(s.points.map((p) => [p[0], p[1]]));
    return times.map((t) => (byTime.has(t) ? byTime.get(t) : null));
  });
  const host = document.getElementById("chart-" + index);
  new uPlot(
    {
      width: Math.max(480, host.clientWidth),
      height: 280,
      scales: { x: { time: false } },
      axes: [{ label: "simulated time (s)" }, { label: chart.yLabel }],
      series: [{ label: "t (s)" }, ...chart.series.map((s, i) => ({ label: s.name, stroke: palette[i % palette.length], width: 2, spanGaps: true }))],
    },
    [times, ...columns],
    host,
  );
});
document.body.dataset.chartsDrawn = String(report.charts.length);
`;

export function renderReportHtml(input: ReportInput, library: ChartLibrary): string {
  const summary = input.summary;
  const summaryRows = summary
    ? [
        ["seed", String(summary.seed)],
        ["stopped", `${summary.reason} at t = ${summary.time} s`],
        ["events", summary.eventsProcessed.toLocaleString("en-US")],
        ["trace hash", summary.traceHash],
      ]
    : [];
  const table = (
    title: string,
    columns: readonly string[],
    rows: readonly (readonly (string | number)[])[],
  ) =>
    `<section><h2>${escapeHtml(title)}</h2><div class="table-scroll"><table><thead><tr>${columns.map((c) => `<th>${escapeHtml(c)}</th>`).join("")}</tr></thead><tbody>${rows
      .map(
        (row) => `<tr>${row.map((cell) => `<td>${escapeHtml(String(cell))}</td>`).join("")}</tr>`,
      )
      .join("")}</tbody></table></div></section>`;
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="generator" content="distsim">
<title>${escapeHtml(input.title)}</title>
<style>${library.styles}</style>
<style>
body { font: 14px/1.4 system-ui, sans-serif; margin: 24px auto; max-width: 1000px; padding: 0 16px; color: #222; }
h1 { font-size: 22px; margin-bottom: 4px; } h2 { font-size: 16px; margin: 24px 0 8px; }
.subtitle { color: #555; margin-top: 0; }
table { border-collapse: collapse; } th, td { padding: 3px 10px; border-bottom: 1px solid #ddd; text-align: right; }
th:first-child, td:first-child { text-align: left; }
th { white-space: nowrap; }
/* A component with many metrics makes a wide table: it scrolls, the page does not. */
.table-scroll { overflow-x: auto; max-width: 100%; }
.chart { width: 100%; min-height: 300px; }
</style>
</head>
<body>
<h1>${escapeHtml(input.title)}</h1>
${input.subtitle ? `<p class="subtitle">${escapeHtml(input.subtitle)}</p>` : ""}
${summary ? table("Run", ["", ""], summaryRows) : ""}
${input.charts.map((chart, i) => `<section><h2>${escapeHtml(chart.title)}</h2><div class="chart" id="chart-${i}"></div></section>`).join("\n")}
${(input.tables ?? []).map((t) => table(t.title, t.columns, t.rows)).join("\n")}
<script type="application/json" id="report-data">${scriptJson({ charts: input.charts })}</script>
<script>${library.script}</script>
<script>${DRAW_CHARTS}</script>
</body>
</html>
`;
}
