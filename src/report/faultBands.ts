/**
 * `faultBands(schedule.rows())`: the faults that ran, as bands for a report (`reportFromRun`'s
 * `bands`), shaded on every chart from activation to heal (or the end of the run).
 *
 * @example
 * const schedule = new FaultSchedule(sim, spec);
 * const summary = sim.run({ until: 60 });
 * writeReport(reportFromRun(sim, summary, "title", undefined, { bands: faultBands(schedule.rows()) }), "r.html");
 */
import type { FaultRow } from "../faults/schedule.js";
import type { ReportBand } from "./reportInput.js";

export function faultBands(rows: readonly FaultRow[]): ReportBand[] {
  const bands: ReportBand[] = [];
  for (const row of rows) {
    if (row.activatedAt === null) continue;
    bands.push({
      from: row.activatedAt,
      to: row.healedAt,
      label: `#${row.index} ${row.kind} ${row.targets.join(",")}`,
    });
  }
  return bands;
}
