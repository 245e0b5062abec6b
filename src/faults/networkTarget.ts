/**
 * What the network fault kinds share: the one target that must be a `Network`, message scopes
 * read from a fault's params (`nodes`, `links`, `between` + `oneWay`), and a handle's counts as
 * effects. Networks and links are recognised by shape, not `instanceof`: the CLI applies
 * `--faults` with its own copy of distsim's modules to a model loaded with another.
 */
import type { Entity } from "../core/entity.js";
import type { Simulation } from "../core/simulation.js";
import type { Distribution } from "../random/distributions/distribution.js";
import { type ActiveFault, entityListParam, entityNamed, numberParam } from "./kind.js";
import { type FaultSpec, faultFieldError } from "./spec.js";

type Node = Entity<never, unknown>;

/** What one network fault did (a `NetworkFault`'s `counts`). */
export interface FaultCounts {
  readonly dropped: number;
  readonly duplicated: number;
  readonly delayed: number;
  readonly reordered: number;
  readonly held: number;
}

/** A `NetworkFault` or `SwizzleClog` handle, as the kinds use it. */
export interface FaultHandle {
  readonly detail?: string;
  readonly counts: FaultCounts;
  heal(): void;
}

/** The scope options of `Network`'s message faults. */
export interface Scope {
  readonly nodes?: readonly Node[];
  readonly links?: readonly Node[];
  readonly between?: readonly [readonly Node[], readonly Node[]];
  readonly oneWay?: boolean;
}

interface RandomShapeOptions {
  readonly shuffle?: boolean;
}

/** What the network kinds use of a `Network`. */
export interface NetworkLike extends Entity<unknown, unknown> {
  partition(a: readonly Node[], b: readonly Node[]): FaultHandle;
  partitionOneWay(from: readonly Node[], to: readonly Node[]): FaultHandle;
  isolate(node: Node, options?: { from?: readonly Node[] }): FaultHandle;
  partitionRandomHalves(nodes: readonly Node[], options?: RandomShapeOptions): FaultHandle;
  partitionBridge(nodes: readonly Node[], options?: RandomShapeOptions): FaultHandle;
  partitionMajorityRing(nodes: readonly Node[], options?: RandomShapeOptions): FaultHandle;
  addLatency(options: Scope & { latency: number; jitter?: Distribution }): FaultHandle;
  addLoss(options: Scope & { probability: number }): FaultHandle;
  addDuplication(options: Scope & { probability: number; delay?: number }): FaultHandle;
  addReordering(options: Scope & { window: number }): FaultHandle;
  cutBandwidth(options: { factor: number; links?: readonly Node[] }): FaultHandle;
  clog(options: Scope): FaultHandle;
  swizzleClog(
    targets: readonly Node[],
    options: { interval: number; holdFor?: number },
  ): FaultHandle & { readonly clogOrder: readonly Node[]; readonly unclogOrder: readonly Node[] };
}

function isNetwork(entity: Entity<unknown, unknown>): entity is NetworkLike {
  const candidate = entity as Partial<NetworkLike>;
  return (
    typeof candidate.partitionOneWay === "function" &&
    typeof candidate.addLoss === "function" &&
    typeof candidate.swizzleClog === "function"
  );
}

/** A `NetworkLink`, by shape. */
function isLink(entity: Entity<unknown, unknown>): boolean {
  const candidate = entity as unknown as { carry?: unknown; _setBandwidthFactor?: unknown };
  return (
    typeof candidate.carry === "function" && typeof candidate._setBandwidthFactor === "function"
  );
}

/** The fault's one target, a Network, or the schedule's error naming `targets`. */
export function networkOf(fault: FaultSpec, index: number, sim: Simulation): NetworkLike {
  if (fault.targets.length !== 1) {
    throw faultFieldError(index, "targets", "exactly one name: the Network", fault.targets);
  }
  const network = entityNamed(sim, fault.targets[0], index, "targets");
  if (!isNetwork(network)) {
    throw faultFieldError(index, "targets", "the name of a Network", fault.targets[0]);
  }
  return network;
}

/** A non-empty list of entity names, each a node (not a link, not the network). */
export function nodeListParam(
  fault: FaultSpec,
  index: number,
  name: string,
  sim: Simulation,
  network: NetworkLike,
  min = 1,
): Node[] {
  const value = fault.params?.[name];
  const list = entityListParam(fault, index, name, sim);
  const seen = new Set<string>();
  list.forEach((entity, i) => {
    if (entity === network || isLink(entity)) {
      throw faultFieldError(
        index,
        `params.${name}[${i}]`,
        "the name of a node (not a link or the network)",
        entity.name,
      );
    }
    if (seen.has(entity.name)) {
      throw faultFieldError(index, `params.${name}[${i}]`, "a name not listed before", entity.name);
    }
    seen.add(entity.name);
  });
  if (list.length < min) {
    throw faultFieldError(index, `params.${name}`, `at least ${min} distinct node names`, value);
  }
  return list as Node[];
}

/** A non-empty list of NetworkLink names. */
export function linkListParam(
  fault: FaultSpec,
  index: number,
  name: string,
  sim: Simulation,
): Node[] {
  const list = entityListParam(fault, index, name, sim);
  list.forEach((entity, i) => {
    if (!isLink(entity)) {
      throw faultFieldError(
        index,
        `params.${name}[${i}]`,
        "the name of a NetworkLink",
        entity.name,
      );
    }
  });
  return list as Node[];
}

/** The scope params every message fault takes. */
export const SCOPE_PARAMS = ["nodes", "links", "between", "oneWay"] as const;

/** Reads `nodes`, `links` or `between` (+ `oneWay`): at most one; none is every message. */
export function scopeParams(
  fault: FaultSpec,
  index: number,
  sim: Simulation,
  network: NetworkLike,
): Scope {
  const params = fault.params ?? {};
  const given = (["nodes", "links", "between"] as const).filter((k) => params[k] !== undefined);
  if (given.length > 1) {
    throw faultFieldError(
      index,
      `params.${given[1]}`,
      `absent (at most one of nodes, links and between; ${given[0]} is given)`,
      params[given[1]!],
    );
  }
  const oneWay = params.oneWay;
  if (oneWay !== undefined && (typeof oneWay !== "boolean" || params.between === undefined)) {
    throw faultFieldError(index, "params.oneWay", "true or false, with between", oneWay);
  }
  if (params.nodes !== undefined)
    return { nodes: nodeListParam(fault, index, "nodes", sim, network) };
  if (params.links !== undefined) return { links: linkListParam(fault, index, "links", sim) };
  const between = params.between;
  if (between === undefined) return {};
  if (!Array.isArray(between) || between.length !== 2) {
    throw faultFieldError(
      index,
      "params.between",
      "two arrays of node names [groupA, groupB]",
      between,
    );
  }
  const groups = [0, 1].map((g) => {
    const group = between[g];
    if (!Array.isArray(group) || group.length === 0) {
      throw faultFieldError(
        index,
        `params.between[${g}]`,
        "a non-empty array of node names",
        group,
      );
    }
    return group.map((item, i) =>
      entityNamed(sim, item, index, `params.between[${g}][${i}]`),
    ) as Node[];
  }) as [Node[], Node[]];
  return oneWay === true ? { between: groups, oneWay: true } : { between: groups };
}

/** A probability in [0, 1] (required). */
export function probabilityParam(fault: FaultSpec, index: number, name = "probability"): number {
  return numberParam(fault, index, name, { min: 0, max: 1 })!;
}

/** Adds a handle's counts to `into` under the effects' names. */
function addCounts(into: Record<string, number>, counts: FaultCounts): void {
  const add = (key: string, amount: number) => {
    if (amount > 0) into[key] = (into[key] ?? 0) + amount;
  };
  add("messagesDropped", counts.dropped);
  add("messagesDuplicated", counts.duplicated);
  add("messagesDelayed", counts.delayed);
  add("messagesReordered", counts.reordered);
  add("messagesHeld", counts.held);
}

/**
 * The active fault for one or more network handles: healing heals just them (the network's
 * other faults, by hand or by other schedule entries, stay), and the effects are their counts.
 */
export function handlesFault(handles: readonly FaultHandle[], detail: string): ActiveFault {
  return {
    detail,
    heal: () => {
      for (const handle of handles) handle.heal();
    },
    effects: () => {
      const effects: Record<string, number> = {};
      for (const handle of handles) addCounts(effects, handle.counts);
      return effects;
    },
  };
}

/** "a,b" */
export const names = (group: readonly { name: string }[]): string =>
  group.map((e) => e.name).join(",");
