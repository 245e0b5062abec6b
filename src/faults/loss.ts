/**
 * `loss`, on a `Network`: each message in scope dropped with `params.probability` until the
 * fault ends (reason `fault-loss` in the trace). Scope: `nodes`, `links` or `between`
 * (+ `oneWay`); none is every message.
 */
import { checkParamNames, type FaultKind } from "./kind.js";
import {
  handlesFault,
  networkOf,
  probabilityParam,
  SCOPE_PARAMS,
  scopeParams,
} from "./networkTarget.js";

export const loss: FaultKind = {
  name: "loss",
  description: "on a Network: each message in scope dropped with params.probability",
  check(fault, index, sim) {
    const network = networkOf(fault, index, sim);
    checkParamNames(fault, index, ["probability", ...SCOPE_PARAMS]);
    probabilityParam(fault, index);
    scopeParams(fault, index, sim, network);
  },
  activate(fault, { index, sim }) {
    const network = networkOf(fault, index, sim);
    const handle = network.addLoss({
      ...scopeParams(fault, index, sim, network),
      probability: probabilityParam(fault, index),
    });
    return handlesFault([handle], handle.detail ?? "");
  },
};
