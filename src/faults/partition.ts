/**
 * `partition` and `partition-one-way`, on a `Network` (the fault's one target), each through
 * the network's partition handles, so healing one ends just its own cuts: other partitions (by
 * hand or by other faults) stay, and each counts only the drops it made (when two cut one
 * direction, the older counts).
 *
 * `partition` takes either `groups` (two or more lists of node names: every pair of groups is
 * cut both ways) or a Jepsen `shape` over `nodes`, taken in the order given (a schedule is data:
 * it reads as it acts; `randomFaultSchedule` draws the order, `shuffle: true` lets the network
 * draw it from its "partition" stream instead).
 */

import type { Entity } from "../core/entity.js";
import type { Simulation } from "../core/simulation.js";
import { checkParamNames, entityListParam, entityNamed, type FaultKind } from "./kind.js";
import {
  type FaultHandle,
  handlesFault,
  type NetworkLike,
  names,
  networkOf,
  nodeListParam,
} from "./networkTarget.js";
import { type FaultSpec, faultFieldError } from "./spec.js";

type Node = Entity<never, unknown>;

/** The shapes `partition` takes with `nodes`, and the fewest nodes each needs. */
export const PARTITION_SHAPES = {
  /** The first node cut both ways from the others listed (from every other entity, if alone). */
  isolate: 1,
  /** The first half (the smaller of an odd count) from the second, both ways. */
  halves: 2,
  /** Halves, but the second half's first node (the bridge) reaches everyone. */
  bridge: 3,
  /** A ring in the order given: each node reaches the nearest neighbours that make a majority with it. */
  "majority-ring": 4,
} as const;

export type PartitionShape = keyof typeof PARTITION_SHAPES;

function groupsOf(fault: FaultSpec, index: number, sim: Simulation): Node[][] {
  const groups = fault.params?.groups;
  if (!Array.isArray(groups) || groups.length < 2) {
    throw faultFieldError(
      index,
      "params.groups",
      "an array of two or more arrays of entity names",
      groups,
    );
  }
  const seen = new Set<string>();
  return groups.map((group, g) => {
    if (!Array.isArray(group) || group.length === 0) {
      throw faultFieldError(
        index,
        `params.groups[${g}]`,
        "a non-empty array of entity names",
        group,
      );
    }
    return group.map((name, i) => {
      const entity = entityNamed(sim, name, index, `params.groups[${g}][${i}]`);
      if (seen.has(entity.name)) {
        throw faultFieldError(
          index,
          `params.groups[${g}][${i}]`,
          "an entity in no other group",
          name,
        );
      }
      seen.add(entity.name);
      return entity as Node;
    });
  });
}

interface ShapeSpec {
  readonly shape: PartitionShape;
  readonly nodes: Node[];
  readonly shuffle: boolean;
}

function shapeOf(
  fault: FaultSpec,
  index: number,
  sim: Simulation,
  network: NetworkLike,
): ShapeSpec {
  const params = fault.params ?? {};
  const shape = params.shape;
  if (typeof shape !== "string" || !Object.hasOwn(PARTITION_SHAPES, shape)) {
    throw faultFieldError(
      index,
      "params.shape",
      `one of ${Object.keys(PARTITION_SHAPES).join(", ")}`,
      shape,
    );
  }
  const min = PARTITION_SHAPES[shape as PartitionShape];
  const nodes = nodeListParam(fault, index, "nodes", sim, network, min);
  const shuffle = params.shuffle ?? false;
  if (typeof shuffle !== "boolean") {
    throw faultFieldError(index, "params.shuffle", "true or false", shuffle);
  }
  if (shuffle && shape === "isolate") {
    throw faultFieldError(index, "params.shuffle", "absent (isolate draws nothing)", shuffle);
  }
  return { shape: shape as PartitionShape, nodes, shuffle };
}

function checkPartition(fault: FaultSpec, index: number, sim: Simulation): void {
  const network = networkOf(fault, index, sim);
  const params = fault.params ?? {};
  if (params.groups !== undefined || params.shape === undefined) {
    if (params.shape !== undefined) {
      throw faultFieldError(
        index,
        "params.shape",
        "absent when groups is given (groups, or shape with nodes)",
        params.shape,
      );
    }
    checkParamNames(fault, index, ["groups"]);
    groupsOf(fault, index, sim);
    return;
  }
  checkParamNames(fault, index, ["shape", "nodes", "shuffle"]);
  shapeOf(fault, index, sim, network);
}

function applyShape(network: NetworkLike, { shape, nodes, shuffle }: ShapeSpec): FaultHandle {
  const options = { shuffle };
  switch (shape) {
    case "isolate":
      return nodes.length === 1
        ? network.isolate(nodes[0]!)
        : network.isolate(nodes[0]!, { from: nodes.slice(1) });
    case "halves":
      return network.partitionRandomHalves(nodes, options);
    case "bridge":
      return network.partitionBridge(nodes, options);
    case "majority-ring":
      return network.partitionMajorityRing(nodes, options);
  }
}

export const partition: FaultKind = {
  name: "partition",
  description:
    "on a Network: every pair of params.groups cut both ways, or a params.shape (isolate, halves, bridge, majority-ring) over params.nodes, until the fault ends",
  check: checkPartition,
  activate(fault, context) {
    const network = networkOf(fault, context.index, context.sim);
    if (fault.params?.shape !== undefined) {
      const handle = applyShape(network, shapeOf(fault, context.index, context.sim, network));
      return handlesFault([handle], handle.detail ?? "");
    }
    const groups = groupsOf(fault, context.index, context.sim);
    const handles: FaultHandle[] = [];
    for (let a = 0; a < groups.length; a++) {
      for (let b = a + 1; b < groups.length; b++) {
        handles.push(network.partition(groups[a]!, groups[b]!));
      }
    }
    return handlesFault(handles, groups.map(names).join(" | "));
  },
};

export const partitionOneWay: FaultKind = {
  name: "partition-one-way",
  description:
    "on a Network: messages from params.from to params.to are dropped until the fault ends",
  check(fault, index, sim) {
    networkOf(fault, index, sim);
    checkParamNames(fault, index, ["from", "to"]);
    entityListParam(fault, index, "from", sim);
    entityListParam(fault, index, "to", sim);
  },
  activate(fault, context) {
    const network = networkOf(fault, context.index, context.sim);
    const from = entityListParam(fault, context.index, "from", context.sim) as Node[];
    const to = entityListParam(fault, context.index, "to", context.sim) as Node[];
    return handlesFault([network.partitionOneWay(from, to)], `${names(from)} -> ${names(to)}`);
  },
};
