/**
 * Builds a report from a finished run: one chart per probe (grouped by unit, so related
 * series share axes), and a table of every entity's status and counters.
 */
import type { RunSummary, Simulation } from "../core/simulation.js";
import { Probe } from "../metrics/probe.js";
import type { ReportChart, ReportInput } from "./reportInput.js";

/**
 * A probe is recognised by its class's catalog identity rather than `instanceof`, so a model
 * loaded against another copy of distsim (the build, while the caller runs the sources) is
 * still reported.
 */
function isProbe(entity: unknown): entity is Probe {
  const type = (entity as { constructor?: { catalog?: { name?: string } } }).constructor;
  return entity instanceof Probe || type?.catalog?.name === "Probe";
}

export function reportFromRun(
  sim: Simulation,
  summary: RunSummary,
  title: string,
  subtitle?: string,
): ReportInput {
  const byUnit = new Map<string, Probe[]>();
  for (const entity of sim.entities) {
    if (!isProbe(entity)) continue;
    const list = byUnit.get(entity.unit) ?? [];
    list.push(entity);
    byUnit.set(entity.unit, list);
  }
  const charts: ReportChart[] = [...byUnit].map(([unit, probes]) => ({
    title: probes.map((p) => p.name).join(", "),
    yLabel: unit || "value",
    series: probes.map((p) => ({ name: p.name, points: p.points })),
  }));
  return {
    title,
    ...(subtitle === undefined ? {} : { subtitle }),
    summary,
    charts,
    tables: [
      {
        title: "Entities",
        columns: ["entity", "status", "received", "dropped while down", "late replies", "crashes"],
        rows: sim.entities.map((e) => [
          e.name,
          e.status,
          e.counters.received,
          e.counters.droppedWhileDown,
          e.counters.lateReplies,
          e.counters.crashes,
        ]),
      },
    ],
  };
}
