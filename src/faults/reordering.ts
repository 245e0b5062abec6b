/**
 * `reordering`, on a `Network`: each message in scope delayed by a uniform draw in
 * [0, `params.window`) seconds, so a later one may overtake it, until the fault ends. Scope:
 * `nodes`, `links` or `between` (+ `oneWay`); none is every message.
 */
import { checkParamNames, type FaultKind, numberParam } from "./kind.js";
import { handlesFault, networkOf, SCOPE_PARAMS, scopeParams } from "./networkTarget.js";

export const reordering: FaultKind = {
  name: "reordering",
  description:
    "on a Network: each message in scope delayed by a uniform draw in [0, params.window) seconds",
  check(fault, index, sim) {
    const network = networkOf(fault, index, sim);
    checkParamNames(fault, index, ["window", ...SCOPE_PARAMS]);
    numberParam(fault, index, "window", { above: 0 });
    scopeParams(fault, index, sim, network);
  },
  activate(fault, { index, sim }) {
    const network = networkOf(fault, index, sim);
    const handle = network.addReordering({
      ...scopeParams(fault, index, sim, network),
      window: numberParam(fault, index, "window", { above: 0 })!,
    });
    return handlesFault([handle], handle.detail ?? "");
  },
};
