/**
 * `swizzle-clog`, on a `Network` (FoundationDB's swizzle-clog): `params.nodes` (nodes or links)
 * clogged one by one, `params.interval` seconds apart, in an order drawn from the network's
 * "swizzle" stream; `params.holdFor` (default the interval) after the last, unclogged one by one
 * in another drawn order. When the fault ends, whatever is still clogged is unclogged at once;
 * a swizzle that ends first is left as it is. Its steps are ordinary timers of the network.
 */
import type { Entity } from "../core/entity.js";
import { checkParamNames, entityListParam, type FaultKind, numberParam } from "./kind.js";
import { handlesFault, networkOf } from "./networkTarget.js";
import { faultFieldError } from "./spec.js";

export const swizzleClog: FaultKind = {
  name: "swizzle-clog",
  description:
    "on a Network: params.nodes (nodes or links) clogged one by one every params.interval seconds, then unclogged one by one in another order",
  check(fault, index, sim) {
    const network = networkOf(fault, index, sim);
    checkParamNames(fault, index, ["nodes", "interval", "holdFor"]);
    const seen = new Set<string>();
    entityListParam(fault, index, "nodes", sim).forEach((entity, i) => {
      if (entity === network || seen.has(entity.name)) {
        throw faultFieldError(
          index,
          `params.nodes[${i}]`,
          "a node or link, not the network, listed once",
          entity.name,
        );
      }
      seen.add(entity.name);
    });
    numberParam(fault, index, "interval", { above: 0 });
    numberParam(fault, index, "holdFor", { above: 0, optional: true });
  },
  activate(fault, { index, sim }) {
    const network = networkOf(fault, index, sim);
    const targets = entityListParam(fault, index, "nodes", sim) as Entity<never, unknown>[];
    const interval = numberParam(fault, index, "interval", { above: 0 })!;
    const holdFor = numberParam(fault, index, "holdFor", { above: 0, optional: true });
    const handle = network.swizzleClog(
      targets,
      holdFor === undefined ? { interval } : { interval, holdFor },
    );
    const order = (list: readonly Entity<never, unknown>[]) => list.map((e) => e.name).join(",");
    return handlesFault(
      [handle],
      `clog ${order(handle.clogOrder)}; unclog ${order(handle.unclogOrder)}`,
    );
  },
};
