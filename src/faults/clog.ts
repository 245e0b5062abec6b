/**
 * `clog`, on a `Network` (FoundationDB's clog): every message in scope held until the fault
 * ends, then released in the order held, each as if sent then; nothing is lost. Scope: `nodes`,
 * `links` or `between` (+ `oneWay`); none is every message.
 */
import { checkParamNames, type FaultKind } from "./kind.js";
import { handlesFault, networkOf, SCOPE_PARAMS, scopeParams } from "./networkTarget.js";

export const clog: FaultKind = {
  name: "clog",
  description:
    "on a Network: every message in scope held until the fault ends, then released in order",
  check(fault, index, sim) {
    const network = networkOf(fault, index, sim);
    checkParamNames(fault, index, [...SCOPE_PARAMS]);
    scopeParams(fault, index, sim, network);
  },
  activate(fault, { index, sim }) {
    const network = networkOf(fault, index, sim);
    const handle = network.clog(scopeParams(fault, index, sim, network));
    return handlesFault([handle], handle.detail ?? "");
  },
};
