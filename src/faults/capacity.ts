/**
 * `capacity`: each target's stations (a `Server`'s workers, a `ThreadPool`'s threads, ...)
 * shrink to `params.fraction` of their capacity, rounded down (`Entity.reduceCapacity`: a lost
 * core, a pool shrunk by a bad config) until the fault ends, when waiting work starts at once.
 */
import {
  checkParamNames,
  checkTargetsExist,
  entityNamed,
  type FaultKind,
  numberParam,
} from "./kind.js";
import { nodeFaults } from "./nodeFault.js";
import { faultFieldError } from "./spec.js";

export const capacity: FaultKind = {
  name: "capacity",
  description:
    "each target's stations shrink to params.fraction of their capacity until the fault ends",
  check(fault, index, sim) {
    checkTargetsExist(fault, index, sim);
    fault.targets.forEach((name, i) => {
      if (!entityNamed(sim, name, index, "targets").hasCapacity) {
        throw faultFieldError(
          index,
          `targets[${i}]`,
          "an entity with capacity (a Server, ThreadPool, Resource, ... built on a station)",
          name,
        );
      }
    });
    checkParamNames(fault, index, ["fraction"]);
    numberParam(fault, index, "fraction", { min: 0, max: 1 });
  },
  activate(fault, context) {
    const fraction = numberParam(fault, context.index, "fraction", { min: 0, max: 1 })!;
    return nodeFaults(
      fault.targets.map((name) => context.entity(name)),
      "reduced",
      `capacity x${fraction}`,
      (entity) => entity.reduceCapacity(fraction),
    );
  },
};
