/**
 * `duplication`, on a `Network`: each message in scope delivered twice with
 * `params.probability`, the copy `params.delay` seconds (default 0) after it, until the fault
 * ends. Scope: `nodes`, `links` or `between` (+ `oneWay`); none is every message.
 */
import { checkParamNames, type FaultKind, numberParam } from "./kind.js";
import {
  handlesFault,
  networkOf,
  probabilityParam,
  SCOPE_PARAMS,
  scopeParams,
} from "./networkTarget.js";

export const duplication: FaultKind = {
  name: "duplication",
  description:
    "on a Network: each message in scope delivered twice with params.probability, the copy params.delay seconds later",
  check(fault, index, sim) {
    const network = networkOf(fault, index, sim);
    checkParamNames(fault, index, ["probability", "delay", ...SCOPE_PARAMS]);
    probabilityParam(fault, index);
    numberParam(fault, index, "delay", { min: 0, optional: true });
    scopeParams(fault, index, sim, network);
  },
  activate(fault, { index, sim }) {
    const network = networkOf(fault, index, sim);
    const delay = numberParam(fault, index, "delay", { min: 0, optional: true });
    const scope = scopeParams(fault, index, sim, network);
    const probability = probabilityParam(fault, index);
    const handle = network.addDuplication(
      delay === undefined ? { ...scope, probability } : { ...scope, probability, delay },
    );
    return handlesFault([handle], handle.detail ?? "");
  },
};
