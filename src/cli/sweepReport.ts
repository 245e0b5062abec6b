/**
 * A sweep's HTML report, from its merged result: for each measured figure and each numeric
 * parameter, a chart of the figure's mean against the parameter with its confidence band (one
 * line per combination of the other parameters), and a table of every point. Plain report
 * data, drawn by the same machinery as a run's report.
 */
import type { ReportChart, ReportInput, ReportSeries } from "../report/reportInput.js";
import type { Params } from "../sweep/grid.js";
import type { SweepResult } from "../sweep/sweep.js";

/** Charts beyond this many figures are left to the table (and --json): a page stays readable. */
const MAX_CHARTED_FIGURES = 24;

function describeParams(params: Params, leave: string): string {
  const words = Object.entries(params)
    .filter(([name]) => name !== leave)
    .map(([name, value]) => `${name}=${value}`);
  return words.length === 0 ? "mean" : words.join(" ");
}

export function sweepReport(result: SweepResult, title: string): ReportInput {
  const numeric = result.parameters.filter((name) =>
    result.points.every((point) => typeof point.params[name] === "number"),
  );
  const charts: ReportChart[] = [];
  for (const figure of result.figures.slice(0, MAX_CHARTED_FIGURES)) {
    for (const parameter of numeric) {
      // One line (and its band) per combination of the other parameters, in grid order.
      const lines = new Map<
        string,
        { mean: [number, number][]; low: [number, number][]; high: [number, number][] }
      >();
      for (const point of result.points) {
        const key = describeParams(point.params, parameter);
        let line = lines.get(key);
        if (line === undefined) {
          line = { mean: [], low: [], high: [] };
          lines.set(key, line);
        }
        const x = point.params[parameter] as number;
        const summary = point.summary[figure];
        if (summary === undefined || summary.n === 0) continue;
        line.mean.push([x, summary.mean]);
        if (summary.n >= 2) {
          line.low.push([x, summary.ciLow]);
          line.high.push([x, summary.ciHigh]);
        }
      }
      const series: ReportSeries[] = [];
      for (const [name, line] of lines) {
        series.push({ name, points: line.mean });
        if (line.low.length > 0) {
          series.push({ name: `${name} low`, points: line.low, band: true });
          series.push({ name: `${name} high`, points: line.high, band: true });
        }
      }
      charts.push({
        title: `${figure} against ${parameter}`,
        yLabel: figure,
        xLabel: parameter,
        valueFormat: "number",
        series,
        note: `mean over ${result.seeds.length} replication(s) per point; dashed: its ${Math.round(result.confidence * 100)}% confidence interval`,
      });
    }
  }
  const columns = [
    ...result.parameters,
    "runs ok",
    ...result.figures.flatMap((figure) => [
      `${figure} mean`,
      `± ${Math.round(result.confidence * 100)}%`,
    ]),
  ];
  const rows = result.points.map((point) => [
    ...result.parameters.map((name) => {
      const value = point.params[name];
      return typeof value === "number" ? value : String(value);
    }),
    `${point.replications.filter((r) => "figures" in r).length}/${point.replications.length}`,
    ...result.figures.flatMap((figure) => {
      const summary = point.summary[figure];
      return [
        summary?.mean ?? "–",
        summary === undefined || summary.n < 2 ? "–" : summary.halfWidth,
      ];
    }),
  ]);
  const tables = [
    {
      title: "Every point",
      columns,
      rows: rows.map((row) =>
        row.map((cell) => (typeof cell === "number" && !Number.isFinite(cell) ? "–" : cell)),
      ),
      note: "each figure's mean over the point's successful replications, and the half-width of its confidence interval",
    },
  ];
  if (result.failures.length > 0) {
    tables.push({
      title: "Failed runs",
      columns: ["params", "seed", "error"],
      rows: result.failures.map((failure) => [
        describeParams(failure.params, ""),
        String(failure.seed),
        failure.error,
      ]),
      note: "each one runs again alone with distsim run --seed SEED --param ...",
    });
  }
  return {
    title,
    subtitle: `${result.points.length} point(s) × ${result.seeds.length} replication(s)${result.rootSeed === null ? "" : `, root seed ${result.rootSeed}`}`,
    charts,
    tables,
  };
}
