/**
 * `pause`: each target stalls (a GC pause, a VM stall, SIGSTOP: `Entity.pause`) from `at` until
 * the fault ends: nothing of it runs, its timers and the messages that reach it wait, and run
 * late when it resumes. A target down when the fault fires is skipped; a crash ends its pause
 * (what the pause held is lost).
 */
import { checkParamNames, checkTargetsExist, type FaultKind } from "./kind.js";
import { nodeFaults } from "./nodeFault.js";

export const pause: FaultKind = {
  name: "pause",
  description: "each target stalls until the fault ends: its events wait, then run late",
  check(fault, index, sim) {
    checkTargetsExist(fault, index, sim);
    checkParamNames(fault, index, []);
  },
  activate(fault, context) {
    return nodeFaults(
      fault.targets.map((name) => context.entity(name)),
      "pauses",
      "",
      (entity) => entity.pause(),
      (entity) => (entity.isUp ? null : "(down)"),
    );
  },
};
