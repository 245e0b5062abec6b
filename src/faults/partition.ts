/**
 * `partition` and `partition-one-way`, on a `Network` (the fault's one target): messages
 * between the groups (`params.groups`, two or more lists of entity names: every pair of groups
 * is cut both ways) or from `params.from` to `params.to` are dropped until the fault ends.
 *
 * Each cut is a partition of the network's own, with its handle: the fault heals its handles
 * and nothing else (not the model's own partitions, nor another fault's), so overlapping faults
 * end independently.
 */

import type { Entity } from "../core/entity.js";
import type { Simulation } from "../core/simulation.js";
import {
  type ActiveFault,
  checkParamNames,
  entityListParam,
  entityNamed,
  type FaultKind,
} from "./kind.js";
import { type FaultSpec, faultFieldError } from "./spec.js";

type Cut = readonly [from: Entity<unknown, unknown>[], to: Entity<unknown, unknown>[]];

/**
 * What the partition kinds use of a `Network`. Recognised by shape, not `instanceof`: the CLI
 * applies `--faults` with its own copy of distsim's modules to a model loaded with another.
 */
interface Network extends Entity<unknown, unknown> {
  partitionOneWay(
    from: readonly Entity<never, unknown>[],
    to: readonly Entity<never, unknown>[],
  ): { heal(): unknown };
  readonly messagesDroppedByPartition: number;
}

function isNetwork(entity: Entity<unknown, unknown>): entity is Network {
  const candidate = entity as Partial<Network>;
  return (
    typeof candidate.partitionOneWay === "function" &&
    typeof candidate.messagesDroppedByPartition === "number"
  );
}

function networkOf(fault: FaultSpec, index: number, sim: Simulation): Network {
  if (fault.targets.length !== 1) {
    throw faultFieldError(index, "targets", "exactly one name: the Network", fault.targets);
  }
  const network = entityNamed(sim, fault.targets[0], index, "targets");
  if (!isNetwork(network)) {
    throw faultFieldError(index, "targets", "the name of a Network", fault.targets[0]);
  }
  return network;
}

function groupsOf(fault: FaultSpec, index: number, sim: Simulation): Entity<unknown, unknown>[][] {
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
      return entity;
    });
  });
}

function activateCuts(network: Network, cuts: readonly Cut[], detail: string): ActiveFault {
  const handles = cuts.map(([from, to]) => network.partitionOneWay(from, to));
  const droppedBefore = network.messagesDroppedByPartition;
  let active = true;
  let dropped = 0;
  return {
    detail,
    heal: () => {
      const now = network.messagesDroppedByPartition;
      dropped = now >= droppedBefore ? now - droppedBefore : now;
      active = false;
      for (const handle of handles) handle.heal();
    },
    effects: (): Record<string, number> => {
      if (active) {
        const now = network.messagesDroppedByPartition;
        return { messagesDropped: now >= droppedBefore ? now - droppedBefore : now };
      }
      return dropped > 0 ? { messagesDropped: dropped } : {};
    },
  };
}

const names = (group: readonly Entity<unknown, unknown>[]) => group.map((e) => e.name).join(",");

export const partition: FaultKind = {
  name: "partition",
  description: "on a Network: every pair of params.groups is cut both ways until the fault ends",
  check(fault, index, sim) {
    networkOf(fault, index, sim);
    checkParamNames(fault, index, ["groups"]);
    groupsOf(fault, index, sim);
  },
  activate(fault, context) {
    const network = networkOf(fault, context.index, context.sim);
    const groups = groupsOf(fault, context.index, context.sim);
    const cuts: Cut[] = [];
    for (let a = 0; a < groups.length; a++) {
      for (let b = 0; b < groups.length; b++) if (a !== b) cuts.push([groups[a]!, groups[b]!]);
    }
    return activateCuts(network, cuts, groups.map(names).join(" | "));
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
    const from = entityListParam(fault, context.index, "from", context.sim);
    const to = entityListParam(fault, context.index, "to", context.sim);
    return activateCuts(network, [[from, to]], `${names(from)} -> ${names(to)}`);
  },
};
