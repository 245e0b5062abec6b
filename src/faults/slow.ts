/**
 * `slow`: each target's service times are multiplied by `params.factor` (`Entity.slowDown`: a
 * slow node, a noisy neighbour, thermal throttling) until the fault ends. Work already started
 * ends when it was due.
 */
import { checkParamNames, checkTargetsExist, type FaultKind, numberParam } from "./kind.js";
import { nodeFaults } from "./nodeFault.js";

export const slow: FaultKind = {
  name: "slow",
  description: "each target's service times x params.factor until the fault ends",
  check(fault, index, sim) {
    checkTargetsExist(fault, index, sim);
    checkParamNames(fault, index, ["factor"]);
    numberParam(fault, index, "factor", { above: 0 });
  },
  activate(fault, context) {
    const factor = numberParam(fault, context.index, "factor", { above: 0 })!;
    return nodeFaults(
      fault.targets.map((name) => context.entity(name)),
      "slowed",
      `service times x${factor}`,
      (entity) => entity.slowDown(factor),
    );
  },
};
