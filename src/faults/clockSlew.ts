/**
 * `clock-slew`: each target's `NodeClock` starts slewing by `params.by` seconds at `at`, at its
 * slew rate (a time source that pulls it off gradually; `adjtime`). When the fault ends, what
 * it slewed so far is taken back (`params.correction`: "slew", the default, "step", or "none").
 * A later slew of the same clock cuts this one short, as `adjtime` does.
 */

import { clockFault, clocksOf, correctionParam } from "./clock.js";
import { checkParamNames, type FaultKind, numberParam } from "./kind.js";
import { faultFieldError } from "./spec.js";

function byParam(fault: Parameters<FaultKind["check"]>[0], index: number): number {
  const by = numberParam(fault, index, "by", {})!;
  if (by === 0) throw faultFieldError(index, "params.by", "a non-zero number of seconds", by);
  return by;
}

export const clockSlew: FaultKind = {
  name: "clock-slew",
  description:
    "each target's NodeClock slews by params.by seconds; what it slewed is taken back when the fault ends",
  check(fault, index, sim) {
    clocksOf(fault, index, sim);
    checkParamNames(fault, index, ["by", "correction"]);
    byParam(fault, index);
    correctionParam(fault, index, "slew");
  },
  activate(fault, context) {
    const by = byParam(fault, context.index);
    const clocks = clocksOf(fault, context.index, context.sim);
    const slews = clocks.map((clock) => clock.slew(by));
    return clockFault(
      clocks,
      "slewed",
      `by ${by}s`,
      correctionParam(fault, context.index, "slew"),
      (i) => slews[i]!.movedSeconds,
    );
  },
};
