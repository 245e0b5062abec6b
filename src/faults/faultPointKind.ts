/**
 * `fault-point`: switches on the fault point `params.point` that each target declared
 * (`declareFaultPoint`), taken with `params.probability` (adding `params.delaySeconds` where the
 * component asks for a delay), until the fault ends.
 */

import { type FaultPoint, faultPointsOf } from "../core/faultPoint.js";
import type { Simulation } from "../core/simulation.js";
import {
  type ActiveFault,
  checkParamNames,
  entityNamed,
  type FaultKind,
  numberParam,
} from "./kind.js";
import type { FaultSpec } from "./spec.js";
import { faultFieldError } from "./spec.js";

function pointsOf(fault: FaultSpec, index: number, sim: Simulation): FaultPoint[] {
  const name = fault.params?.point;
  if (typeof name !== "string" || name === "") {
    throw faultFieldError(index, "params.point", "the name of a fault point", name);
  }
  return fault.targets.map((target) => {
    const entity = entityNamed(sim, target, index, "targets");
    const point = faultPointsOf(entity).get(name);
    if (point === undefined) {
      const declared = [...faultPointsOf(entity).keys()];
      throw faultFieldError(
        index,
        "params.point",
        declared.length === 0
          ? `a fault point of "${target}" (it declares none)`
          : `a fault point of "${target}" (${declared.join(", ")})`,
        name,
      );
    }
    return point;
  });
}

export const faultPoint: FaultKind = {
  name: "fault-point",
  description:
    "switches on each target's fault point params.point with params.probability (and params.delaySeconds) until the fault ends",
  check(fault, index, sim) {
    checkParamNames(fault, index, ["point", "probability", "delaySeconds"]);
    pointsOf(fault, index, sim);
    numberParam(fault, index, "probability", { above: 0, max: 1 });
    numberParam(fault, index, "delaySeconds", { min: 0, optional: true });
  },
  activate(fault, context): ActiveFault {
    const points = pointsOf(fault, context.index, context.sim);
    const probability = numberParam(fault, context.index, "probability", { above: 0, max: 1 })!;
    const delay =
      numberParam(fault, context.index, "delaySeconds", { min: 0, optional: true }) ?? 0;
    const takenBefore = points.map((point) => point.taken);
    for (const point of points) point.enable(probability, delay);
    const taken = () => points.reduce((sum, point, i) => sum + point.taken - takenBefore[i]!, 0);
    let takenAtHeal: number | null = null;
    return {
      detail: `${points[0]!.name} p=${probability}${delay > 0 ? ` +${delay}s` : ""}`,
      heal: () => {
        takenAtHeal = taken();
        for (const point of points) point.disable();
      },
      effects: (): Record<string, number> => {
        const count = takenAtHeal ?? taken();
        return count > 0 ? { taken: count } : {};
      },
    };
  },
};
