/**
 * `clock-step`: each target's `NodeClock` jumps by `params.by` seconds at `at` (a bad NTP
 * server, a `settimeofday`, a VM resumed on another host; negative: back in time). When the
 * fault ends the jump is taken back (`params.correction`: "step", the default, "slew", or
 * "none" to leave the clock where it is).
 */

import { clockFault, clocksOf, correctionParam } from "./clock.js";
import { checkParamNames, type FaultKind, numberParam } from "./kind.js";
import { faultFieldError } from "./spec.js";

function byParam(fault: Parameters<FaultKind["check"]>[0], index: number): number {
  const by = numberParam(fault, index, "by", {})!;
  if (by === 0) throw faultFieldError(index, "params.by", "a non-zero number of seconds", by);
  return by;
}

export const clockStep: FaultKind = {
  name: "clock-step",
  description: "each target's NodeClock jumps by params.by seconds; taken back when the fault ends",
  check(fault, index, sim) {
    clocksOf(fault, index, sim);
    checkParamNames(fault, index, ["by", "correction"]);
    byParam(fault, index);
    correctionParam(fault, index, "step");
  },
  activate(fault, context) {
    const by = byParam(fault, context.index);
    const clocks = clocksOf(fault, context.index, context.sim);
    const steps = clocks.map((clock) => clock.step(by));
    return clockFault(
      clocks,
      "stepped",
      `by ${by}s`,
      correctionParam(fault, context.index, "step"),
      (i) => steps[i]!.movedSeconds,
    );
  },
};
