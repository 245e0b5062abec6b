/**
 * `latency`, on a `Network`: `params.latency` seconds (>= 0) added to each message in scope,
 * plus, with `params.jitter`, an exponential extra delay of that mean drawn per message, until
 * the fault ends. Scope: `nodes`, `links` or `between` (+ `oneWay`); none is every message.
 */
import { exponential } from "../random/distributions/closedForm.js";
import { checkParamNames, type FaultKind, numberParam } from "./kind.js";
import { handlesFault, networkOf, SCOPE_PARAMS, scopeParams } from "./networkTarget.js";

export const latency: FaultKind = {
  name: "latency",
  description:
    "on a Network: params.latency seconds (plus an exponential params.jitter of that mean) added to each message in scope",
  check(fault, index, sim) {
    const network = networkOf(fault, index, sim);
    checkParamNames(fault, index, ["latency", "jitter", ...SCOPE_PARAMS]);
    numberParam(fault, index, "latency", { min: 0 });
    numberParam(fault, index, "jitter", { above: 0, optional: true });
    scopeParams(fault, index, sim, network);
  },
  activate(fault, { index, sim }) {
    const network = networkOf(fault, index, sim);
    const seconds = numberParam(fault, index, "latency", { min: 0 })!;
    const jitter = numberParam(fault, index, "jitter", { above: 0, optional: true });
    const scope = scopeParams(fault, index, sim, network);
    const handle = network.addLatency(
      jitter === undefined
        ? { ...scope, latency: seconds }
        : { ...scope, latency: seconds, jitter: exponential(jitter) },
    );
    return handlesFault([handle], handle.detail ?? "");
  },
};
