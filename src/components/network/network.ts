/**
 * `Network`: the topology messages cross. Installed as the simulation's transport, it routes
 * every message between two entities through the link configured for that direction (or the
 * default link), and drops messages between partitioned groups, which is how a model sees a
 * partition: as silence, timeouts and retries, never as an error.
 *
 * @example
 * const net = new Network(sim, "net", { defaultLink: new NetworkLink(sim, "lan", conditions.datacenter()) });
 * net.partition([client], [server]);   // both directions
 * sim.at(30, () => net.heal());
 *
 * Messages an entity sends to itself, and messages sent from outside any entity
 * (`sim.send`), do not cross the network.
 */
import { type CatalogEntry, knobs } from "../../catalog/entry.js";
import { Entity, type EntityMetrics } from "../../core/entity.js";
import type { Message } from "../../core/message.js";
import type { Simulation, Transport } from "../../core/simulation.js";
import { ConfigError, SimulationError } from "../../errors/errors.js";
import { LINK_DOWN, NetworkLink } from "./networkLink.js";

export interface NetworkOptions {
  /** Link for any pair without its own. Default: none (a message with no link is an error). */
  defaultLink?: NetworkLink;
}

/** Entity ids are small integers, so a directed pair packs into one number (no string keys per message). */
const PAIR_SPACE = 2 ** 21;
const pairKey = (from: Entity<unknown, unknown>, to: Entity<unknown, unknown>) =>
  from.id * PAIR_SPACE + to.id;

export class Network extends Entity implements Transport {
  static readonly catalog: CatalogEntry = {
    name: "Network",
    kind: "component",
    role: "routing",
    layer: "distributed",
    contract:
      "Carries every message between two entities over the link for that direction (or the default link); drops messages across a partition until heal().",
    requires: ["NetworkLink", "Transport"],
    provides: ["BestEffort"],
    inputs: ["messages sent by entities", "partition and heal commands"],
    outputs: ["delivered messages", "drops by partition"],
    state: "links per directed pair, the default link, blocked directed pairs",
    failure_semantics:
      "A partition drops messages silently in the blocked direction(s); senders see timeouts. Healing does not redeliver what was dropped. A crashed network drops every message between entities until recover() (counters.droppedWhileDown); partitions and links are kept.",
    composition_rules: ["Router", "LoadBalancer", "FailureDetector"],
    operational_knobs: knobs<NetworkOptions>()("defaultLink"),
  };

  private readonly links = new Map<number, NetworkLink>();
  private readonly blocked = new Set<number>();
  private readonly defaultLink: NetworkLink | null;
  private droppedByPartition = 0;

  constructor(sim: Simulation, name: string, options: NetworkOptions = {}) {
    // Validated before registering, so a refused network leaves its name free.
    const defaultLink = validateDefaultLink(sim, name, options);
    super(sim, name);
    this.defaultLink = defaultLink;
    sim.transport = this;
  }

  /** Routes messages from `source` to `target` through `link` (one direction). */
  addLink(source: Entity<never, unknown>, target: Entity<never, unknown>, link: NetworkLink): this {
    this.checkMember("source", source);
    this.checkMember("target", target);
    if (!(link instanceof NetworkLink) || link.sim !== this.sim) {
      throw new ConfigError(
        `Network "${this.name}"`,
        "link",
        "a NetworkLink of this simulation",
        link,
      );
    }
    this.links.set(
      pairKey(source as Entity<unknown, unknown>, target as Entity<unknown, unknown>),
      link,
    );
    return this;
  }

  /** Both directions between `a` and `b`, each over its own link (each direction has its own wire). */
  addBidirectionalLink(
    a: Entity<never, unknown>,
    b: Entity<never, unknown>,
    forward: NetworkLink,
    backward: NetworkLink,
  ): this {
    if (forward === backward) {
      throw new ConfigError(
        `Network "${this.name}"`,
        "backward",
        "a different NetworkLink than forward (each direction has its own wire)",
        backward.name,
      );
    }
    return this.addLink(a, b, forward).addLink(b, a, backward);
  }

  /** Drops messages in both directions between every member of `groupA` and every member of `groupB`. */
  partition(
    groupA: readonly Entity<never, unknown>[],
    groupB: readonly Entity<never, unknown>[],
  ): void {
    this.partitionOneWay(groupA, groupB);
    this.partitionOneWay(groupB, groupA);
  }

  /** Drops messages from any of `from` to any of `to` (the reverse direction still works). */
  partitionOneWay(
    from: readonly Entity<never, unknown>[],
    to: readonly Entity<never, unknown>[],
  ): void {
    for (const a of from) {
      this.checkMember("from", a);
      for (const b of to) {
        this.checkMember("to", b);
        if (a !== b)
          this.blocked.add(pairKey(a as Entity<unknown, unknown>, b as Entity<unknown, unknown>));
      }
    }
  }

  /** Removes every partition. */
  heal(): void {
    this.blocked.clear();
  }

  /** True if messages from `from` to `to` are currently dropped by a partition. */
  isPartitioned(from: Entity<never, unknown>, to: Entity<never, unknown>): boolean {
    return this.blocked.has(
      pairKey(from as Entity<unknown, unknown>, to as Entity<unknown, unknown>),
    );
  }

  override metrics(): EntityMetrics {
    return { droppedByPartition: this.droppedByPartition, partitionedPairs: this.blocked.size };
  }

  /** The drop count restarts; partitions (state) are kept. Each link resets its own counts. */
  protected override onResetStats(): void {
    this.droppedByPartition = 0;
  }

  /** Messages dropped because of a partition (since creation or the last statistics reset). */
  get messagesDroppedByPartition(): number {
    return this.droppedByPartition;
  }

  /** @internal Transport: called for every message sent in the simulation. */
  transmit(message: Message<unknown>, delayNs: number): void {
    const source = message.source;
    const sim = this.sim;
    let totalNs = delayNs;
    if (source !== null && source !== message.target) {
      if (!this.isUp) {
        // A crashed network carries nothing between entities until recover().
        this.counters.droppedWhileDown++;
        this.traceMessageDropped(message, "network-down");
        return;
      }
      // Most networks have no partition and no per-pair link: skip building the pair's key.
      const blocked = this.blocked;
      const links = this.links;
      const key = blocked.size === 0 && links.size === 0 ? 0 : pairKey(source, message.target);
      if (blocked.size !== 0 && blocked.has(key)) {
        this.droppedByPartition++;
        this.traceMessageDropped(message, "partition");
        return;
      }
      const link = (links.size === 0 ? undefined : links.get(key)) ?? this.defaultLink;
      if (link === null) {
        throw new SimulationError(
          `network "${this.name}" has no link from "${source.name}" to "${message.target.name}" and no default link`,
          source.name,
          sim.nowNs,
        );
      }
      const carried = link.carry(message.sizeBytes);
      if (carried < 0) {
        this.traceMessageDropped(message, carried === LINK_DOWN ? "link-down" : "loss");
        return;
      }
      totalNs += carried;
    }
    sim.deliver(message, message.sentAtNs + totalNs);
  }

  private checkMember(parameter: string, entity: unknown): void {
    if (!(entity instanceof Entity) || entity.sim !== this.sim) {
      throw new ConfigError(
        `Network "${this.name}"`,
        parameter,
        "an entity of this simulation",
        entity,
      );
    }
  }
}

function validateDefaultLink(
  sim: Simulation,
  name: string,
  options: NetworkOptions,
): NetworkLink | null {
  const defaultLink = options?.defaultLink;
  if (
    defaultLink !== undefined &&
    (!(defaultLink instanceof NetworkLink) || defaultLink.sim !== sim)
  ) {
    throw new ConfigError(
      `Network "${name}"`,
      "defaultLink",
      "a NetworkLink of this simulation",
      defaultLink,
    );
  }
  if (sim.transport instanceof Network) {
    throw new ConfigError(
      `Network "${name}"`,
      "sim",
      "a simulation without a network",
      `one with network "${sim.transport.name}"`,
    );
  }
  return defaultLink ?? null;
}
