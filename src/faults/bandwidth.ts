/**
 * `bandwidth`, on a `Network`: the bandwidth of `params.links` (default: every link the network
 * has when the fault activates) multiplied by `params.factor` in (0, 1] until the fault ends;
 * cuts on one link multiply, and a link without a bandwidth limit is not slowed.
 */
import { checkParamNames, type FaultKind, numberParam } from "./kind.js";
import { handlesFault, linkListParam, networkOf } from "./networkTarget.js";

export const bandwidth: FaultKind = {
  name: "bandwidth",
  description:
    "on a Network: the bandwidth of params.links (default every link) multiplied by params.factor in (0, 1]",
  check(fault, index, sim) {
    networkOf(fault, index, sim);
    checkParamNames(fault, index, ["factor", "links"]);
    numberParam(fault, index, "factor", { above: 0, max: 1 });
    if (fault.params?.links !== undefined) linkListParam(fault, index, "links", sim);
  },
  activate(fault, { index, sim }) {
    const network = networkOf(fault, index, sim);
    const factor = numberParam(fault, index, "factor", { above: 0, max: 1 })!;
    const handle = network.cutBandwidth(
      fault.params?.links === undefined
        ? { factor }
        : { factor, links: linkListParam(fault, index, "links", sim) },
    );
    return handlesFault([handle], handle.detail ?? "");
  },
};
