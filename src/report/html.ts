/**
 * Renders a report as one self-contained HTML page: the chart library (uPlot) and its styles
 * are inlined, the data is embedded as JSON, and nothing is fetched, so the file opens offline
 * and can be mailed or attached to a ticket. Pure apart from receiving the library's text.
 *
 * The page is written not to flatter a run: a window with no data is a gap in its line, not a
 * straight line drawn across an outage; a series with no data says so instead of drawing a
 * blank box; a partial run says so at the top; numbers are grouped and rounded for reading.
 */
import type { RunSummary } from "../core/simulation.js";
import {
  formatClock,
  formatDuration,
  formatNumber,
  formatSeconds,
  PAGE_FORMATTERS,
} from "./format.js";
import type {
  ReportBand,
  ReportChart,
  ReportInput,
  ReportMarker,
  ReportRunInfo,
  ReportValueFormat,
} from "./reportInput.js";

/** The chart library's code and styles, inlined into every report. */
export interface ChartLibrary {
  readonly script: string;
  readonly styles: string;
}

/** Past this many simulated seconds the time axis reads h:mm (18:00), not seconds (64,800). */
export const CLOCK_AXIS_AFTER_S = 3600;

const escapeHtml = (text: string) =>
  text.replace(/&/g, "&amp;").replace(/</g, "&lt;").replace(/>/g, "&gt;").replace(/"/g, "&quot;");

/** JSON that is safe inside a <script> element; NaN (no data) becomes null. */
const scriptJson = (value: unknown) =>
  JSON.stringify(value, (_key, v) =>
    typeof v === "number" && !Number.isFinite(v) ? null : v,
  ).replace(/</g, "\\u003c");

/** Draws each chart with uPlot once the page has loaded; runs in the browser. */
const DRAW_CHARTS = `
const report = JSON.parse(document.getElementById("report-data").textContent);
const palette = ["#1f77b4", "#ff7f0e", "#2ca02c", "#9467bd", "#8c564b", "#e377c2", "#17becf", "#bcbd22"];
const markerStyle = { crash: ["#d62728", [6, 4]], recovery: ["#2e7d32", [2, 3]], note: ["#777", [4, 4]] };
const clockAxis = report.clockAxis;
const valueFormatter = (format) =>
  format === "seconds" ? formatSeconds : format === "share" ? formatPercent : formatNumber;
// Ticks past an hour fall on whole minutes and hours, and read h:mm.
const clockIncrements = [1, 2, 5, 10, 15, 30, 60, 120, 300, 600, 900, 1800, 3600, 7200, 10800, 21600, 43200, 86400, 172800, 604800];
const timeTick = (v, increment) => {
  if (!clockAxis) return formatNumber(v);
  const clock = formatClock(v);
  return increment >= 60 ? clock.replace(/:00$/, "") : clock;
};

/** Draws the markers (crashes, recoveries) as vertical lines over the plot, labelled. */
const markersPlugin = (markers) => ({
  hooks: {
    draw: [
      (u) => {
        const ctx = u.ctx;
        const { left, top, width, height } = u.bbox;
        ctx.save();
        ctx.font = Math.round(11 * uPlot.pxRatio) + "px system-ui, sans-serif";
        ctx.textBaseline = "top";
        markers.forEach((m, k) => {
          const x = Math.round(u.valToPos(m.time, "x", true));
          if (x < left || x > left + width) return;
          // Labels read rightwards from their line, leftwards near the right edge.
          const nearEnd = x > left + width - 140 * uPlot.pxRatio;
          ctx.textAlign = nearEnd ? "right" : "left";
          const [colour, dash] = markerStyle[m.kind] || markerStyle.note;
          ctx.strokeStyle = colour;
          ctx.fillStyle = colour;
          ctx.lineWidth = 2 * uPlot.pxRatio;
          ctx.setLineDash(dash.map((d) => d * uPlot.pxRatio));
          ctx.beginPath();
          ctx.moveTo(x, top);
          ctx.lineTo(x, top + height);
          ctx.stroke();
          ctx.fillText(m.label, x + (nearEnd ? -4 : 4) * uPlot.pxRatio, top + (4 + (k % 3) * 13) * uPlot.pxRatio);
        });
        ctx.restore();
      },
    ],
  },
});

/**
 * Shades the bands (faults while active) behind the lines, labelled at the top, so a change in
 * a chart lines up with the fault that made it. A band with no end lasts to the axis's end.
 */
const bandsPlugin = (bands) => ({
  hooks: {
    drawClear: [
      (u) => {
        const ctx = u.ctx;
        const { left, top, width, height } = u.bbox;
        ctx.save();
        ctx.font = Math.round(11 * uPlot.pxRatio) + "px system-ui, sans-serif";
        ctx.textBaseline = "bottom";
        ctx.textAlign = "left";
        bands.forEach((b, k) => {
          const x0 = Math.max(left, u.valToPos(b.from, "x", true));
          const x1 = Math.min(left + width, u.valToPos(b.to == null ? u.scales.x.max : b.to, "x", true));
          if (x1 <= x0) return;
          ctx.fillStyle = "rgba(214, 39, 40, 0.10)";
          ctx.fillRect(x0, top, Math.max(x1 - x0, uPlot.pxRatio), height);
          ctx.fillStyle = "#b71c1c";
          ctx.fillText(b.label, x0 + 3 * uPlot.pxRatio, top + height - (3 + (k % 3) * 13) * uPlot.pxRatio);
        });
        ctx.restore();
      },
    ],
  },
});

/**
 * Time ranges where no series of the chart has data and at least one says so (a null): from
 * the first such window to the next window with data, or the end of the axis.
 */
const noDataBands = (u) => {
  const [xs, ...ys] = u.data;
  const bands = [];
  let start = -1;
  for (let i = 0; i < xs.length; i++) {
    const anyData = ys.some((y) => typeof y[i] === "number");
    if (start < 0 && !anyData && ys.some((y) => y[i] === null)) start = i;
    else if (start >= 0 && anyData) {
      bands.push([xs[start], xs[i]]);
      start = -1;
    }
  }
  if (start >= 0) bands.push([xs[start], u.scales.x.max]);
  return bands;
};

/** Shades the ranges with no data and says so, so an outage is not just a missing line. */
const noDataPlugin = {
  hooks: {
    draw: [
      (u) => {
        const bands = noDataBands(u);
        u.root.parentElement.dataset.noDataBands = JSON.stringify(bands);
        const ctx = u.ctx;
        const { top, height } = u.bbox;
        ctx.save();
        ctx.font = Math.round(12 * uPlot.pxRatio) + "px system-ui, sans-serif";
        ctx.textAlign = "center";
        ctx.textBaseline = "middle";
        for (const [from, to] of bands) {
          const x0 = u.valToPos(from, "x", true);
          const x1 = u.valToPos(to, "x", true);
          ctx.fillStyle = "rgba(120, 120, 120, 0.09)";
          ctx.fillRect(x0, top, x1 - x0, height);
          if (x1 - x0 > 60 * uPlot.pxRatio) {
            ctx.fillStyle = "#888";
            ctx.fillText("no data", (x0 + x1) / 2, top + height / 2);
          }
        }
        ctx.restore();
      },
    ],
  },
};

const plots = [];
const CHART_HEIGHT = 280;
// The chart fills its container, down to a width where its axes still leave room to plot.
const chartWidth = (host) => Math.max(240, Math.floor(host.clientWidth));

// Charts follow their container's width: a narrow window, a rotated phone, a resized pane.
const resizeObserver =
  typeof ResizeObserver === "function"
    ? new ResizeObserver((entries) => {
        for (const entry of entries) {
          const plot = plots[Number(entry.target.dataset.index)];
          const width = chartWidth(entry.target);
          if (plot && plot.width !== width) plot.setSize({ width, height: CHART_HEIGHT });
        }
      })
    : null;

function draw(chart, index, logScale) {
  const host = document.getElementById("chart-" + index);
  const times = [...new Set(chart.series.flatMap((s) => s.points.map((p) => p[0])))].sort((a, b) => a - b);
  // undefined: this series has no point at that time (another series has); uPlot joins across it.
  // null: the series has a window with no data there; uPlot leaves a gap (spanGaps is off).
  const columns = chart.series.map((s) => {
    const byTime = new Map(s.points.map((p) => [p[0], p[1]]));
    return times.map((t) => {
      if (!byTime.has(t)) return undefined;
      const v = byTime.get(t);
      if (v === null) return null;
      return logScale && !(v > 0) ? undefined : v;
    });
  });
  // A point with a gap (or the edge) on both sides has no line to be part of: draw it as a dot.
  const isolated = columns.map((column) => {
    const found = [];
    let previous = null;
    column.forEach((v, i) => {
      if (v === undefined) return;
      if (typeof v === "number" && previous === null) {
        let next = null;
        for (let j = i + 1; j < column.length; j++) if (column[j] !== undefined) { next = column[j]; break; }
        if (next === null) found.push(i);
      }
      previous = v;
    });
    return found;
  });
  const format = valueFormatter(chart.valueFormat);
  // A chart over a parameter (a sweep's) has plain numbers on its x axis, not simulated time.
  const xPlain = chart.xLabel != null;
  // A band's edges take the colour of the series they surround.
  let colour = -1;
  const colours = chart.series.map((s) => (s.band ? Math.max(colour, 0) : ++colour));
  const plot = new uPlot(
    {
      width: chartWidth(host),
      height: CHART_HEIGHT,
      scales: { x: { time: false }, y: logScale ? { distr: 3 } : {} },
      axes: [
        {
          label: xPlain ? chart.xLabel : clockAxis ? "simulated time (h:mm)" : "simulated time (s)",
          incrs: clockAxis && !xPlain ? clockIncrements : undefined,
          values: (u, splits, axis, space, increment) =>
            splits.map((v) => (xPlain ? formatNumber(v) : timeTick(v, increment))),
        },
        { label: chart.yLabel + (logScale ? ", log scale" : ""), size: 80, values: (u, splits) => splits.map((v) => (v == null ? "" : format(v))) },
      ],
      series: [
        {
          label: xPlain ? chart.xLabel : "t",
          value: (u, v, si, idx) =>
            idx == null || v == null ? "–" : xPlain ? formatNumber(v) : clockAxis ? formatClock(v) : formatSeconds(v),
        },
        ...chart.series.map((s, i) => ({
          label: s.name,
          stroke: palette[colours[i] % palette.length],
          width: s.band ? 1 : 2,
          dash: s.band ? [5, 4] : undefined,
          spanGaps: false,
          // With the cursor off the plot there is no value to show; on it, null is a window with no data.
          value: (u, v, si, idx) => (idx == null || v === undefined ? "–" : v === null ? "no data" : format(v)),
          points: { filter: (u, si, show) => (show ? null : isolated[si - 1].length > 0 ? isolated[si - 1] : null) },
        })),
      ],
      plugins: [
        ...(report.bands.length > 0 ? [bandsPlugin(report.bands)] : []),
        noDataPlugin,
        ...(report.markers.length > 0 ? [markersPlugin(report.markers)] : []),
      ],
    },
    [times, ...columns],
    host,
  );
  host.dataset.logScale = String(logScale);
  host.dataset.index = String(index);
  plots[index] = plot;
  resizeObserver?.observe(host);
}

report.charts.forEach((chart, index) => {
  if (!chart.hasData) return;
  draw(chart, index, false);
  const toggle = document.getElementById("log-" + index);
  if (toggle) {
    toggle.addEventListener("change", () => {
      plots[index].destroy();
      draw(chart, index, toggle.checked);
    });
  }
});
window.distsimReport = { plots };
document.body.dataset.chartsDrawn = String(plots.filter(Boolean).length);
document.body.dataset.reportReady = "true";
`;

/** Whether a value is a real measurement (not NaN: a window with no data). */
const isData = (value: number) => Number.isFinite(value);

function valueFormatOf(chart: ReportChart): ReportValueFormat {
  return chart.valueFormat ?? (chart.yLabel.trim() === "s" ? "seconds" : "number");
}

function offersLogScale(chart: ReportChart): boolean {
  if (chart.logScaleToggle !== undefined) return chart.logScaleToggle;
  return valueFormatOf(chart) === "seconds" || /^(ms|µs|us|s|seconds)$/.test(chart.yLabel.trim());
}

/** The last simulated time the report shows: the run's end, or its last point. */
function timeSpan(input: ReportInput): number {
  let last = input.summary?.time ?? 0;
  for (const chart of input.charts) {
    if (chart.xLabel !== undefined) continue; // over a parameter, not time
    for (const s of chart.series) {
      const point = s.points.at(-1);
      if (point !== undefined && point[0] > last) last = point[0];
    }
  }
  return last;
}

/** The run table's rows: what ran, for how long, and whether it finished. */
function runRows(summary: RunSummary | undefined, run: ReportRunInfo | undefined): string[][] {
  const rows: string[][] = [];
  if (run?.model !== undefined) rows.push(["model", run.model]);
  if (summary !== undefined) rows.push(["seed", String(summary.seed)]);
  const params = Object.entries(run?.params ?? {});
  if (run?.params !== undefined) {
    rows.push([
      "parameters",
      params.length === 0 ? "none" : params.map(([k, v]) => `${k} = ${String(v)}`).join(", "),
    ]);
  }
  if (run !== undefined || summary !== undefined) {
    const finished = run?.finished ?? true;
    rows.push(["run", finished ? "finished" : "PARTIAL: stopped before its end"]);
  }
  // The caller's reason comes first: a run made of slices (distsim run) that failed ended its
  // last slice at the slice's event limit, which is not why the run stopped.
  const why = run?.stopReason;
  if (summary !== undefined) {
    const at = `at t = ${formatDuration(summary.time)}`;
    rows.push(["stopped", why === undefined ? `${summary.reason} ${at}` : `${at}: ${why}`]);
  } else if (why !== undefined) {
    rows.push(["stopped", why]);
  }
  const simulated = run?.simulatedSeconds ?? summary?.simulatedSeconds;
  if (simulated !== undefined) rows.push(["simulated time", formatDuration(simulated)]);
  const wall = run?.wallSeconds ?? summary?.wallSeconds;
  if (wall !== undefined) rows.push(["wall time", formatDuration(wall)]);
  const events = run?.events ?? summary?.totalEvents;
  if (events !== undefined) {
    const perSecond =
      wall !== undefined && wall > 0
        ? ` (${formatNumber(Math.round(events / wall))} per wall second)`
        : "";
    rows.push(["events", `${formatNumber(events)}${perSecond}`]);
  }
  if (summary !== undefined) rows.push(["trace hash", summary.traceHash]);
  return rows;
}

/** A formatted number, possibly with a unit: "1,613", "55.12 ms", "33.57%", "–". */
const isNumeric = (text: string) => /^([-+]?[\d,.]+(e-?\d+)?( ?[a-zµ%]{1,2})?|–|-?∞)$/.test(text);
const isWords = (text: string) => text !== "" && !isNumeric(text);

function cellText(cell: string | number): string {
  return typeof cell === "number" ? formatNumber(cell) : cell;
}

function tableHtml(
  title: string,
  columns: readonly string[],
  rows: readonly (readonly (string | number)[])[],
  options: { note?: string | undefined; className?: string } = {},
): string {
  const note = options.note === undefined ? "" : `<p class="note">${escapeHtml(options.note)}</p>`;
  // Numbers align right to compare digits; a column of words (after the first) aligns left.
  const texts = rows.map((row) => row.map(cellText));
  const wordy = (i: number) =>
    i > 0 &&
    texts.some((row) => isWords(row[i] ?? "")) &&
    texts.every((row) => !isNumeric(row[i] ?? ""));
  const align = (i: number) => (wordy(i) ? ' class="text"' : "");
  const head =
    columns.length === 0
      ? ""
      : `<thead><tr>${columns.map((c, i) => `<th${align(i)}>${escapeHtml(c)}</th>`).join("")}</tr></thead>`;
  const body = texts
    .map(
      (row) =>
        `<tr>${row.map((cell, i) => `<td${align(i)}>${escapeHtml(cell)}</td>`).join("")}</tr>`,
    )
    .join("");
  const className = options.className === undefined ? "" : ` class="${options.className}"`;
  return `<section><h2>${escapeHtml(title)}</h2>${note}<div class="table-scroll"><table${className}>${head}<tbody>${body}</tbody></table></div></section>`;
}

function chartHtml(chart: ReportChart, index: number): string {
  const empty = chart.series.filter((s) => !s.points.some(([, v]) => isData(v)));
  const note = chart.note === undefined ? "" : `<p class="note">${escapeHtml(chart.note)}</p>`;
  const header = `<h2>${escapeHtml(chart.title)}</h2>${note}`;
  if (empty.length === chart.series.length) {
    const names = chart.series.map((s) => s.name).join(", ");
    const what = chart.series.length === 0 ? "no series" : escapeHtml(names);
    return `<section>${header}<p class="no-data" id="chart-${index}" data-no-data="true">No data: ${what} recorded no value in this run.</p></section>`;
  }
  const emptyNote =
    empty.length === 0
      ? ""
      : `<p class="note">No data in this run: ${escapeHtml(empty.map((s) => s.name).join(", "))}.</p>`;
  const toggle = offersLogScale(chart)
    ? `<label class="log-toggle"><input type="checkbox" id="log-${index}"> log scale</label>`
    : "";
  return `<section>${header}${emptyNote}${toggle}<div class="chart" id="chart-${index}"></div></section>`;
}

function markersHtml(markers: readonly ReportMarker[], clock: boolean): string {
  if (markers.length === 0) return "";
  const rows = markers.map((m) => [
    clock ? formatClock(m.time) : formatSeconds(m.time),
    m.kind ?? "note",
    m.label,
  ]);
  return tableHtml("Crashes, recoveries and other moments", ["time", "kind", "what"], rows, {
    note: "Drawn on every chart as a vertical line: crashes red (dashed), recoveries green (dotted).",
  });
}

function bandsHtml(bands: readonly ReportBand[], clock: boolean): string {
  if (bands.length === 0) return "";
  const time = (t: number) => (clock ? formatClock(t) : formatSeconds(t));
  const rows = bands.map((b) => [time(b.from), b.to === null ? "the end" : time(b.to), b.label]);
  return tableHtml("Faults", ["from", "to", "what"], rows, {
    note: "Shaded on every chart, from when each fault began to when it healed.",
  });
}

export function renderReportHtml(input: ReportInput, library: ChartLibrary): string {
  const clock = timeSpan(input) > CLOCK_AXIS_AFTER_S;
  const markers = input.markers ?? [];
  const bands = input.bands ?? [];
  const partial = input.run?.finished === false;
  const summaryRows = runRows(input.summary, input.run);
  const charts = input.charts.map((chart) => ({
    title: chart.title,
    yLabel: chart.yLabel,
    ...(chart.xLabel === undefined ? {} : { xLabel: chart.xLabel }),
    valueFormat: valueFormatOf(chart),
    hasData: chart.series.some((s) => s.points.some(([, v]) => isData(v))),
    series: chart.series,
  }));
  const stoppedAt =
    input.summary === undefined ? "" : `, at t = ${escapeHtml(formatDuration(input.summary.time))}`;
  const why = input.run?.stopReason;
  // The reason is the caller's text, often a whole error message with its own punctuation: a
  // paragraph of its own, not a parenthesis inside a sentence.
  const banner = partial
    ? `<div class="partial" id="partial-banner"><p>PARTIAL RUN: stopped before its end${stoppedAt}. Every number below covers only the simulated time that ran.</p>${why === undefined ? "" : `<p class="why">Why: ${escapeHtml(why)}</p>`}</div>`
    : "";
  // Each function under the name the page calls it by, even if a bundler renamed it.
  const formatters = Object.entries(PAGE_FORMATTERS)
    .map(([name, f]) =>
      f.name === name ? f.toString() : `${f.toString()}\nvar ${name} = ${f.name};`,
    )
    .join("\n");
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
h1 { font-size: 22px; margin-bottom: 4px; overflow-wrap: anywhere; } h2 { font-size: 16px; margin: 24px 0 4px; }
.subtitle { color: #555; margin-top: 0; }
.note { color: #555; margin: 0 0 6px; }
.no-data { border: 1px dashed #bbb; color: #666; padding: 24px; text-align: center; background: #fafafa; }
.partial { background: #fff3e0; border-left: 4px solid #e65100; padding: 8px 12px; overflow-wrap: anywhere; }
.partial p { margin: 0; } .partial p:first-child { font-weight: 600; } .partial .why { margin-top: 4px; }
.log-toggle { font-size: 12px; color: #444; user-select: none; }
/* Report tables only: uPlot's legend is a table too, with styles of its own. */
/* Separate borders: a sticky cell of a collapsed table leaves its border behind in Chromium. */
.table-scroll table { border-collapse: separate; border-spacing: 0; }
.table-scroll th, .table-scroll td { padding: 3px 10px; border-bottom: 1px solid #ddd; text-align: right; font-variant-numeric: tabular-nums; white-space: nowrap; }
.table-scroll th:first-child, .table-scroll td:first-child { text-align: left; position: sticky; left: 0; background: #fff; }
.table-scroll .run td, .table-scroll .text { text-align: left; }
/* The run table's values are sentences (a whole error message, a model's path): they wrap. */
.table-scroll .run td { vertical-align: top; }
.table-scroll .run td:last-child { white-space: normal; overflow-wrap: anywhere; }
/* A component with many metrics makes a wide table: it scrolls, the page does not. */
.table-scroll { overflow-x: auto; max-width: 100%; }
.chart { width: 100%; min-height: 300px; }
</style>
</head>
<body>
<h1>${escapeHtml(input.title)}</h1>
${input.subtitle ? `<p class="subtitle">${escapeHtml(input.subtitle)}</p>` : ""}
${banner}
${summaryRows.length > 0 ? tableHtml("Run", [], summaryRows, { className: "run" }) : ""}
${markersHtml(markers, clock)}
${bandsHtml(bands, clock)}
${input.charts.map((chart, i) => chartHtml(chart, i)).join("\n")}
${(input.tables ?? []).map((t) => tableHtml(t.title, t.columns, t.rows, { note: t.note })).join("\n")}
<script type="application/json" id="report-data">${scriptJson({ charts, markers, bands, clockAxis: clock })}</script>
<script>${library.script}</script>
<script>${formatters}
${DRAW_CHARTS}</script>
</body>
</html>
`;
}
