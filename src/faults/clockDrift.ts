/**
 * `clock-drift`: each target's `NodeClock` runs `params.ppm` parts per million faster (negative:
 * slower) from `at` until the fault ends (a crystal going bad, a VM's clock source), on top of
 * its own drift. What it gained stays when the fault ends (`params.correction`: "none", the
 * default) or is taken back ("step" or "slew").
 */

import { clockFault, clocksOf, correctionParam } from "./clock.js";
import { checkParamNames, type FaultKind, numberParam } from "./kind.js";
import { faultFieldError } from "./spec.js";

/** NodeClock's `MAX_CLOCK_RATE_PPM` (the fault layer imports no clocks; the clock checks too). */
const MAX_CLOCK_RATE_PPM = 100_000;

function ppmParam(fault: Parameters<FaultKind["check"]>[0], index: number): number {
  const rule = { min: -MAX_CLOCK_RATE_PPM, max: MAX_CLOCK_RATE_PPM };
  const ppm = numberParam(fault, index, "ppm", rule)!;
  if (ppm === 0) throw faultFieldError(index, "params.ppm", "a non-zero rate in ppm", ppm);
  return ppm;
}

export const clockDrift: FaultKind = {
  name: "clock-drift",
  description:
    "each target's NodeClock runs params.ppm faster (or slower) until the fault ends; what it gained stays",
  check(fault, index, sim) {
    clocksOf(fault, index, sim);
    checkParamNames(fault, index, ["ppm", "correction"]);
    ppmParam(fault, index);
    correctionParam(fault, index, "none");
  },
  activate(fault, context) {
    const ppm = ppmParam(fault, context.index);
    const clocks = clocksOf(fault, context.index, context.sim);
    const drifts = clocks.map((clock) => clock.addDrift(ppm));
    return clockFault(
      clocks,
      "drifted",
      `${ppm > 0 ? "+" : ""}${ppm} ppm`,
      correctionParam(fault, context.index, "none"),
      (i) => drifts[i]!.movedSeconds,
      () => {
        for (const drift of drifts) drift.end();
      },
    );
  },
};
