/**
 * `watchCrashes(sim)`: notes every crash and recovery of the simulation's entities from now
 * on, as report markers (vertical lines on every chart). A collapse often starts at a crash;
 * seeing the line where the latency jumps or the gap begins saves reading the trace.
 *
 * It listens through each entity's lifecycle hooks rather than the trace stream: the trace
 * costs a record per message when on, a hook costs nothing until an entity crashes, so a
 * day-long run can keep it. Call it after the model is built and before it runs; entities
 * created later are not watched.
 *
 * @example
 * const crashes = watchCrashes(sim);
 * const summary = sim.run({ until: 60 });
 * writeReport(reportFromRun(sim, summary, "title", undefined, { markers: crashes.markers }), "r.html");
 */
import type { Simulation } from "../core/simulation.js";
import type { ReportMarker } from "./reportInput.js";

export interface CrashWatch {
  /** Crashes and recoveries so far, in the order they happened. */
  readonly markers: readonly ReportMarker[];
}

export function watchCrashes(sim: Simulation): CrashWatch {
  const markers: ReportMarker[] = [];
  for (const entity of sim.entities) {
    const name = entity.name;
    entity.addLifecycleHook({
      onCrash: () => markers.push({ time: sim.now, label: `${name} crashed`, kind: "crash" }),
      onRecover: () =>
        markers.push({ time: sim.now, label: `${name} recovered`, kind: "recovery" }),
    });
  }
  return { markers };
}
