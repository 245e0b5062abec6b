/**
 * `crash-loop`: a node that keeps failing after it restarts (a bad config, a poison message):
 * from `at`, each target crashes, stays down `params.downSeconds`, runs `params.upSeconds`,
 * crashes again, until the fault ends; it ends up. `params.kind` as `crash`'s.
 */

import { CrashedNode, crashEffects, crashKindParam } from "./crash.js";
import {
  type ActiveFault,
  checkParamNames,
  checkTargetsExist,
  type FaultKind,
  numberParam,
} from "./kind.js";

export const crashLoop: FaultKind = {
  name: "crash-loop",
  description:
    "each target crashes, stays down params.downSeconds, runs params.upSeconds, and again, until the fault ends",
  check(fault, index, sim) {
    checkTargetsExist(fault, index, sim);
    checkParamNames(fault, index, ["downSeconds", "upSeconds", "kind"]);
    crashKindParam(fault, index);
    numberParam(fault, index, "downSeconds", { above: 0 });
    numberParam(fault, index, "upSeconds", { above: 0 });
  },
  activate(fault, context): ActiveFault {
    const down = numberParam(fault, context.index, "downSeconds", { above: 0 })!;
    const up = numberParam(fault, context.index, "upSeconds", { above: 0 })!;
    const effects: Record<string, number> = {};
    const how = crashKindParam(fault, context.index);
    const nodes = fault.targets.map((name) => new CrashedNode(context.entity(name), effects, how));
    const crashAll = (): void => {
      for (const node of nodes) node.crash();
      context.after(down, recoverAll);
    };
    const recoverAll = (): void => {
      for (const node of nodes) node.recover();
      context.after(up, crashAll);
    };
    crashAll();
    return {
      detail: `down ${down}s, up ${up}s`,
      heal: () => {
        for (const node of nodes) node.recover();
      },
      effects: () => crashEffects(effects, nodes),
    };
  },
};
