/**
 * `Network`: the topology messages cross. Installed as the simulation's transport, it routes
 * every message between two entities through the link configured for that direction (or the
 * default link), and applies the network faults active now: partitions (symmetric, one-way, a
 * node isolated, random halves, a bridge, a majority ring), extra latency, loss, duplication,
 * reordering, bandwidth cuts and clogs. A model sees them as it would on a real network: as
 * silence, late or doubled messages, timeouts and retries, never as an error.
 *
 * @example
 * const net = new Network(sim, "net", { defaultLink: new NetworkLink(sim, "lan", conditions.datacenter()) });
 * const cut = net.partition([client], [server]);   // both directions; a handle
 * sim.at(30, () => cut.heal());                     // heals just this one
 * net.addLoss({ probability: 0.1, nodes: [server], for: 5 });
 *
 * Messages an entity sends to itself, and messages sent from outside any entity
 * (`sim.send`), do not cross the network.
 *
 * A paused network (`pause`, as any entity) is stalled: messages in flight that fall due wait,
 * messages sent meanwhile are not routed, and both go on when the pause ends, in order. A paused
 * link stalls the same way the messages that cross it; other links keep flowing.
 */
import { type CatalogEntry, knobs } from "../../catalog/entry.js";
import { Entity, type EntityMetrics } from "../../core/entity.js";
import type { Message } from "../../core/message.js";
import type { Simulation, Transport } from "../../core/simulation.js";
import { ConfigError, SimulationError } from "../../errors/errors.js";
import { constant } from "../../random/distributions/closedForm.js";
import type { Distribution } from "../../random/distributions/distribution.js";
import type { RandomStream } from "../../random/randomStream.js";
import { requireDistribution, requireSeconds } from "../shared/validate.js";
import {
  type FaultOwner,
  NetworkFault,
  type NetworkFaultKind,
  type NetworkFaultScope,
  type NetworkFaultTiming,
  pairKey,
} from "./networkFault.js";
import { LINK_DOWN, NetworkLink, type StalledMessage } from "./networkLink.js";
import { SwizzleClog } from "./swizzleClog.js";

export interface NetworkOptions {
  /** Link for any pair without its own. Default: none (a message with no link is an error). */
  defaultLink?: NetworkLink;
}

/** A member of a partition's group: any entity of the simulation. */
type Node = Entity<never, unknown>;

/** `isolate`'s options. */
export interface IsolateOptions extends NetworkFaultTiming {
  /** Whom the node is cut off from. Default: every other entity now (links and the network aside). */
  readonly from?: readonly Node[];
}

/** Options of the partitions whose groups are drawn at random. */
export interface RandomPartitionOptions extends NetworkFaultTiming {
  /** The network's random stream the shuffle draws from. Default "partition". */
  readonly stream?: string;
  /** False keeps the nodes in the order given (no draw). Default true. */
  readonly shuffle?: boolean;
}

/** `addLatency`'s options: extra one-way delay for the messages in scope. */
export interface LatencyFaultOptions extends NetworkFaultScope, NetworkFaultTiming {
  /** Seconds added to each message (a number >= 0, or a distribution of seconds). */
  readonly latency: number | Distribution;
  /** Extra random seconds on top, drawn per message. Default: none. */
  readonly jitter?: Distribution;
}

/** `addLoss`'s options. */
export interface LossFaultOptions extends NetworkFaultScope, NetworkFaultTiming {
  /** Probability in [0, 1] that a message in scope is dropped. */
  readonly probability: number;
}

/** `addDuplication`'s options. */
export interface DuplicationFaultOptions extends NetworkFaultScope, NetworkFaultTiming {
  /** Probability in [0, 1] that a message in scope arrives twice. */
  readonly probability: number;
  /** Seconds between the message's arrival and its copy's (a number >= 0 or a distribution). Default 0. */
  readonly delay?: number | Distribution;
}

/** `addReordering`'s options. */
export interface ReorderingFaultOptions extends NetworkFaultScope, NetworkFaultTiming {
  /** Each message in scope is delayed by a uniform draw in [0, window) seconds (> 0). */
  readonly window: number;
}

/** `cutBandwidth`'s options. */
export interface BandwidthFaultOptions extends NetworkFaultTiming {
  /** Multiplies the links' bandwidth, in (0, 1]: 0.1 leaves a tenth. */
  readonly factor: number;
  /** The links to cut. Default: every link the network has now (default and per pair). */
  readonly links?: readonly NetworkLink[];
}

/** `clog`'s options: which messages to hold, and for how long. */
export interface ClogOptions extends NetworkFaultScope, NetworkFaultTiming {}

/** `swizzleClog`'s options. */
export interface SwizzleClogOptions {
  /** Seconds between one clog and the next, and between one unclog and the next (> 0). */
  readonly interval: number;
  /** Seconds from the last clog to the first unclog (> 0). Default: `interval`. */
  readonly holdFor?: number;
  /** The network's random stream both orders are drawn from. Default "swizzle". */
  readonly stream?: string;
}

/** Everything the network's faults have done (since creation or the last statistics reset). */
export interface NetworkFaultStats {
  /** Faults active now, of every kind. */
  readonly activeFaults: number;
  readonly droppedByPartition: number;
  /** Dropped by loss faults (`addLoss`), not by a link's own `lossProbability`. */
  readonly droppedByLossFault: number;
  /** Extra copies delivered by duplication faults. */
  readonly duplicated: number;
  /** Messages slowed by a latency fault or a bandwidth cut (once per fault that slowed it). */
  readonly delayed: number;
  /** Messages a reordering fault delayed within its window. */
  readonly reordered: number;
  /** Messages clogs held (a message held twice counts twice). */
  readonly held: number;
  /** Messages clogs hold now. */
  readonly heldNow: number;
}

/** Named, so the trace's timer record says what the timer was for. */
function healNetworkFault(fault: NetworkFault): void {
  fault.heal();
}

/** Named, so the trace's timer record says what the timer was for. */
function releaseStalled(network: Network): void {
  network._releaseStalled();
}

/** Named, so the trace's timer record says what the timer was for (a paused link's, see `NetworkLink._stall`). */
function releaseLinkStalled(link: NetworkLink): void {
  (link.sim.transport as Network)._releaseLinkStalled(link);
}

export class Network extends Entity implements Transport, FaultOwner {
  static readonly catalog: CatalogEntry = {
    name: "Network",
    kind: "component",
    role: "routing",
    layer: "distributed",
    contract:
      "Carries every message between two entities over the link for that direction (or the default link), applying the faults active now: partitions drop, loss drops, latency and reordering delay, duplication delivers twice, clogs hold until healed.",
    requires: ["NetworkLink", "Transport"],
    provides: ["BestEffort"],
    inputs: [
      "messages sent by entities",
      "fault commands (partition, latency, loss, ...) and heals",
    ],
    outputs: ["delivered messages", "drops by partition and loss", "per-fault counts"],
    state:
      "links per directed pair, the default link, active faults (each with its counts and, for a clog, the messages it holds)",
    failure_semantics:
      "Faults are silent to both ends; senders see timeouts, late, doubled or reordered messages. Healing does not redeliver what was dropped; a clog's held messages go on when it heals. A crashed network drops every message between entities until recover() (counters.droppedWhileDown); faults, held messages and links are kept. A paused network carries nothing: messages in flight and those sent meanwhile go on when it resumes, in order; a paused link stalls so the messages crossing it, and other links keep flowing.",
    composition_rules: ["Router", "LoadBalancer", "FailureDetector"],
    operational_knobs: knobs<NetworkOptions>()("defaultLink"),
  };

  private readonly links = new Map<number, NetworkLink>();
  private readonly defaultLink: NetworkLink | null;

  /** Every active fault, in activation order. */
  private readonly active: NetworkFault[] = [];
  /** `active.length`, kept as a small integer field: the one check on the fast path. */
  private faultCount = 0;
  // The active faults by kind, each in activation order: the order a message meets them.
  private readonly partitions: NetworkFault[] = [];
  private readonly clogs: NetworkFault[] = [];
  /** Swizzle-clogs that may still be under way, for `healAll` (their timers are not faults). */
  private swizzles: SwizzleClog[] = [];
  private readonly losses: NetworkFault[] = [];
  private readonly bandwidthCuts: NetworkFault[] = [];
  private readonly latencies: NetworkFault[] = [];
  private readonly reorderings: NetworkFault[] = [];
  private readonly duplications: NetworkFault[] = [];
  /** Set by the first fault: only then does `metrics()` list the fault counts. */
  private faultsUsed = false;
  /** Messages sent while the network is paused, in the order sent: routed when it resumes. */
  private stalled: StalledMessage[] = [];
  /** Links the network kept messages for while they were paused (each once): they keep them. */
  private stallingLinks: NetworkLink[] = [];

  private droppedByPartition = 0;
  private lostToCrash = 0;
  private droppedByLossFault = 0;
  private duplicated = 0;
  private delayed = 0;
  private reordered = 0;
  private held = 0;

  private lossDraws: RandomStream | null = null;
  private latencyDraws: RandomStream | null = null;
  private reorderingDraws: RandomStream | null = null;
  private duplicationDraws: RandomStream | null = null;

  constructor(sim: Simulation, name: string, options: NetworkOptions = {}) {
    // Validated before registering, so a refused network leaves its name free.
    const defaultLink = validateDefaultLink(sim, name, options);
    super(sim, name);
    this.defaultLink = defaultLink;
    sim.transport = this;
  }

  /** Routes messages from `source` to `target` through `link` (one direction). */
  addLink(source: Entity<never, unknown>, target: Entity<never, unknown>, link: NetworkLink): this {
    this.checkMember(`Network "${this.name}"`, "source", source);
    this.checkMember(`Network "${this.name}"`, "target", target);
    this.checkLink(`Network "${this.name}"`, "link", link);
    this.links.set(pairKey(source, target), link);
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

  // ---- Partitions -------------------------------------------------------------------------

  /**
   * Drops messages in both directions between every member of `groupA` and every member of
   * `groupB`, until the returned handle (or `heal()`) heals it.
   */
  partition(
    groupA: readonly Node[],
    groupB: readonly Node[],
    options: NetworkFaultTiming = {},
  ): NetworkFault {
    const api = this.api("partition");
    const a = this.members(api, "groupA", groupA, 0);
    const b = this.members(api, "groupB", groupB, 0);
    const pairs = new Set<number>();
    addPairs(pairs, a, b);
    addPairs(pairs, b, a);
    return this.cut(api, pairs, [a, b], `between ${names(a)} and ${names(b)}`, options);
  }

  /** Drops messages from any of `from` to any of `to` (the reverse direction still works). */
  partitionOneWay(
    from: readonly Node[],
    to: readonly Node[],
    options: NetworkFaultTiming = {},
  ): NetworkFault {
    const api = this.api("partitionOneWay");
    const source = this.members(api, "from", from, 0);
    const target = this.members(api, "to", to, 0);
    const pairs = new Set<number>();
    addPairs(pairs, source, target);
    return this.cut(
      api,
      pairs,
      [source, target],
      `one-way from ${names(source)} to ${names(target)}`,
      options,
    );
  }

  /** Cuts `node` off, both ways, from every other entity (or from `options.from`). */
  isolate(node: Node, options: IsolateOptions = {}): NetworkFault {
    const api = this.api("isolate");
    this.checkMember(api, "node", node);
    const others =
      options?.from === undefined
        ? (this.sim.entities.filter(
            (e) => e !== node && e !== this && !(e instanceof NetworkLink),
          ) as Node[])
        : this.members(api, "from", options.from, 0);
    const pairs = new Set<number>();
    addPairs(pairs, [node], others);
    addPairs(pairs, others, [node]);
    const whom = options?.from === undefined ? "every other entity" : names(others);
    return this.cut(api, pairs, [[node], others], `isolate ${node.name} from ${whom}`, options);
  }

  /**
   * Shuffles `nodes` (at least 2) with the network's seeded stream and cuts them into two
   * halves, both ways; the handle's `groups` are the halves (the first has the smaller half
   * of an odd count).
   */
  partitionRandomHalves(
    nodes: readonly Node[],
    options: RandomPartitionOptions = {},
  ): NetworkFault {
    const api = this.api("partitionRandomHalves");
    const order = this.ordered(api, nodes, 2, options);
    const [a, b] = bisect(order);
    const pairs = new Set<number>();
    addPairs(pairs, a, b);
    addPairs(pairs, b, a);
    return this.cut(api, pairs, [a, b], `random halves ${names(a)} and ${names(b)}`, options);
  }

  /**
   * Jepsen's bridge: shuffles `nodes` (at least 3), cuts them into two halves both ways, but
   * keeps one node of the second half (the bridge) connected to everyone. The handle's
   * `groups` are the halves without the bridge.
   */
  partitionBridge(nodes: readonly Node[], options: RandomPartitionOptions = {}): NetworkFault {
    const api = this.api("partitionBridge");
    const order = this.ordered(api, nodes, 3, options);
    const [a, rest] = bisect(order);
    const bridge = rest[0]!;
    const b = rest.slice(1);
    const pairs = new Set<number>();
    addPairs(pairs, a, b);
    addPairs(pairs, b, a);
    const detail = `bridge ${bridge.name} between ${names(a)} and ${names(b)}`;
    return this.cut(api, pairs, [a, b], detail, options);
  }

  /**
   * Jepsen's majority ring: shuffles `nodes` (at least 4) into a ring where each node reaches
   * only its nearest neighbours on both sides, as many as make a majority with itself, and is
   * cut (both ways) from the rest. Every node sees a majority, no two the same one: a
   * protocol that trusts "I can reach a majority" elects several leaders.
   */
  partitionMajorityRing(
    nodes: readonly Node[],
    options: RandomPartitionOptions = {},
  ): NetworkFault {
    const api = this.api("partitionMajorityRing");
    const ring = this.ordered(api, nodes, 4, options);
    const n = ring.length;
    const majority = Math.floor(n / 2) + 1;
    // Each side reaches `reach` neighbours: with itself, at least a majority.
    const reach = Math.ceil((majority - 1) / 2);
    const pairs = new Set<number>();
    for (let i = 0; i < n; i++) {
      for (let j = 0; j < n; j++) {
        const apart = Math.min(Math.abs(i - j), n - Math.abs(i - j));
        if (apart > reach) pairs.add(pairKey(ring[i]!, ring[j]!));
      }
    }
    const detail = `majority ring ${ring.map((e) => e.name).join(" - ")}: each node reaches ${reach} on each side`;
    return this.cut(api, pairs, [ring], detail, options);
  }

  /** Heals every partition (not the other faults: see `healAll`). */
  heal(): void {
    for (const fault of this.partitions.slice()) this._healFault(fault);
  }

  /** Heals every active fault of every kind, in the order they began; stops swizzles under way. */
  healAll(): void {
    for (const swizzle of this.swizzles) swizzle.heal();
    this.swizzles = [];
    for (const fault of this.active.slice()) this._healFault(fault);
  }

  /** True if messages from `from` to `to` are currently dropped by a partition. */
  isPartitioned(from: Entity<never, unknown>, to: Entity<never, unknown>): boolean {
    const key = pairKey(from, to);
    return this.partitions.some((fault) => fault._pairs!.has(key));
  }

  // ---- Link conditions --------------------------------------------------------------------

  /** Adds `latency` (plus `jitter`) seconds to each message in scope. Counts: `delayed`. */
  addLatency(options: LatencyFaultOptions): NetworkFault {
    const api = this.api("addLatency");
    const latency = seconds(api, "latency", options?.latency, true);
    const jitter =
      options.jitter === undefined ? null : requireDistribution(api, "jitter", options.jitter);
    const fault = this.condition(
      api,
      "latency",
      options,
      () => `+${latency.description}${jitter === null ? "" : ` + ${jitter.description}`}`,
    );
    fault._latency = latency;
    fault._jitter = jitter;
    return this.activate(api, fault, this.latencies, options);
  }

  /** Drops each message in scope with `probability`. Counts: `dropped`. */
  addLoss(options: LossFaultOptions): NetworkFault {
    const api = this.api("addLoss");
    const probability = requireProbability(api, options?.probability);
    const fault = this.condition(api, "loss", options, () => `probability ${probability}`);
    fault._probability = probability;
    return this.activate(api, fault, this.losses, options);
  }

  /**
   * Delivers each message in scope twice with `probability`, the copy `delay` after the
   * original (the same message: same id, same payload). Counts: `duplicated`.
   */
  addDuplication(options: DuplicationFaultOptions): NetworkFault {
    const api = this.api("addDuplication");
    const probability = requireProbability(api, options?.probability);
    const delay = options.delay === undefined ? null : seconds(api, "delay", options.delay, true);
    const fault = this.condition(
      api,
      "duplication",
      options,
      () =>
        `probability ${probability}${delay === null ? "" : `, copy after ${delay.description}`}`,
    );
    fault._probability = probability;
    fault._latency = delay;
    return this.activate(api, fault, this.duplications, options);
  }

  /**
   * Delays each message in scope by a uniform draw in [0, window) seconds, so a message sent
   * later may overtake it. Counts: `reordered` (messages given a delay).
   */
  addReordering(options: ReorderingFaultOptions): NetworkFault {
    const api = this.api("addReordering");
    const window = requireSeconds(api, "window", options?.window);
    const fault = this.condition(api, "reordering", options, () => `window ${window}s`);
    fault._seconds = window;
    return this.activate(api, fault, this.reorderings, options);
  }

  /**
   * Multiplies the bandwidth of `links` (default: every link now) by `factor`; cuts on one
   * link multiply. A link without a bandwidth limit is not slowed. Counts: `delayed`
   * (messages of > 0 bytes over a cut, limited link).
   */
  cutBandwidth(options: BandwidthFaultOptions): NetworkFault {
    const api = this.api("cutBandwidth");
    const factor = options?.factor;
    if (typeof factor !== "number" || !(factor > 0 && factor <= 1)) {
      throw new ConfigError(api, "factor", "a number in (0, 1]", factor);
    }
    const links = options.links === undefined ? this.allLinks() : this.linkList(api, options.links);
    const fault = new NetworkFault(
      this,
      this.sim.nextFaultId(),
      "bandwidth",
      links.map((link) => link.name),
      `factor ${factor} on ${names(links)}`,
    );
    fault._links = new Set(links);
    fault._factor = factor;
    this.activate(api, fault, this.bandwidthCuts, options);
    for (const link of links) this.refreshBandwidth(link);
    return fault;
  }

  /**
   * Holds every message in scope (FoundationDB's clog): nothing is lost, and when the clog
   * heals the held messages go on, in the order they were held, as if sent at that instant.
   * Counts: `held`.
   */
  clog(options: ClogOptions = {}): NetworkFault {
    const api = this.api("clog");
    const fault = this.condition(api, "clog", options, () => "hold");
    fault._held = [];
    return this.activate(api, fault, this.clogs, options);
  }

  /**
   * FoundationDB's swizzle-clog: clogs `targets` one by one, `interval` apart, in an order
   * drawn from the network's seeded stream; `holdFor` after the last, unclogs them one by one,
   * `interval` apart, in another drawn order. A target that is a `NetworkLink` clogs the
   * messages crossing it; any other entity, the messages from or to it.
   */
  swizzleClog(
    targets: readonly Entity<never, unknown>[],
    options: SwizzleClogOptions,
  ): SwizzleClog {
    const api = this.api("swizzleClog");
    if (!Array.isArray(targets) || targets.length === 0) {
      throw new ConfigError(api, "targets", "a non-empty array of entities or links", targets);
    }
    const distinct = this.members(api, "targets", targets, 1);
    const interval = requireSeconds(api, "interval", options?.interval);
    const holdFor =
      options.holdFor === undefined ? interval : requireSeconds(api, "holdFor", options.holdFor);
    const draws = this.random(streamName(api, options.stream, "swizzle"));
    const clogOrder = draws.shuffle(distinct.slice());
    const unclogOrder = draws.shuffle(distinct.slice());
    if (distinct.length > 1 && unclogOrder.every((e, i) => e === clogOrder[i])) {
      // A different order is the point: turn the draw by one rather than draw again.
      unclogOrder.push(unclogOrder.shift()!);
    }
    const swizzle = new SwizzleClog(
      this,
      this.sim.nextFaultId(),
      clogOrder,
      unclogOrder,
      interval,
      holdFor,
    );
    this.swizzles = this.swizzles.filter((other) => other.active);
    this.swizzles.push(swizzle);
    return swizzle;
  }

  /** @internal The clog a swizzle puts on one target. */
  _clogTarget(target: Entity<never, unknown>): NetworkFault {
    return target instanceof NetworkLink
      ? this.clog({ links: [target] })
      : this.clog({ nodes: [target] });
  }

  /** @internal A swizzle's own trace record (its clogs, part of it, write none). */
  _traceSwizzle(
    id: number,
    phase: "activated" | "healed",
    targets: readonly string[],
    detail: string,
  ): void {
    this.sim._traceDrivenFault(id, "swizzle-clog", phase, targets, detail);
  }

  /** The faults active now, in the order they began. */
  get activeFaults(): readonly NetworkFault[] {
    return this.active.slice();
  }

  /** What the faults did, summed over faults (since creation or the last statistics reset). */
  get faultStats(): NetworkFaultStats {
    let heldNow = 0;
    for (const clog of this.clogs) heldNow += clog.heldNow;
    return {
      activeFaults: this.active.length,
      droppedByPartition: this.droppedByPartition,
      droppedByLossFault: this.droppedByLossFault,
      duplicated: this.duplicated,
      delayed: this.delayed,
      reordered: this.reordered,
      held: this.held,
      heldNow,
    };
  }

  override metrics(): EntityMetrics {
    const base = {
      droppedByPartition: this.droppedByPartition,
      partitionedPairs: this.partitionedPairs(),
    };
    // Fault counts appear once a fault has been used, so a fault-free model's summary is as it was.
    if (!this.faultsUsed) return base;
    const { droppedByPartition: _, ...rest } = this.faultStats;
    return { ...base, ...rest };
  }

  /** The counts restart; faults, what clogs hold and partitions (state) are kept. Each link resets its own counts. */
  protected override onResetStats(): void {
    this.droppedByPartition = 0;
    this.lostToCrash = 0;
    this.droppedByLossFault = 0;
    this.duplicated = 0;
    this.delayed = 0;
    this.reordered = 0;
    this.held = 0;
  }

  /**
   * Messages sent while the network, or the link they would cross, is paused, waiting for the
   * pause to end before they are routed (offered to no link yet). Each link's `messagesStalled`
   * counts its own part.
   */
  get messagesStalled(): number {
    let stalled = this.stalled.length;
    for (const link of this.stallingLinks) stalled += link.messagesStalled;
    return stalled;
  }

  /**
   * Messages a link had carried, in flight and held by a pause when the network crashed, lost
   * from its buffers (since creation or the last statistics reset). Not in
   * `counters.droppedWhileDown`, which counts messages refused at sending while it was down:
   * these were counted as carried by their link.
   */
  get messagesLostToCrash(): number {
    return this.lostToCrash;
  }

  /** @internal A carried message held by the pause was lost in the crash (see `Entity.crash`). */
  override _carriedMessageLost(): void {
    this.lostToCrash++;
  }

  /** Messages dropped because of a partition (since creation or the last statistics reset). */
  get messagesDroppedByPartition(): number {
    return this.droppedByPartition;
  }

  /**
   * @internal Transport: the network (paused) or the link (paused) that carried a message
   * between entities holds it when it falls due (see `pause`). The link is the one its
   * direction routes over now.
   */
  pausedCarrierOf(message: Message<unknown>): Entity<unknown, unknown> | null {
    const source = message.source;
    if (source === null || source === message.target) return null;
    if (this._pauseDepth !== 0) return this;
    const links = this.links;
    const link =
      (links.size === 0 ? undefined : links.get(pairKey(source, message.target))) ??
      this.defaultLink;
    return link !== null && link._pauseDepth !== 0 ? link : null;
  }

  /** @internal Transport: called for every message sent in the simulation. */
  transmit(message: Message<unknown>, delayNs: number): void {
    const source = message.source;
    let totalNs = delayNs;
    if (source !== null && source !== message.target) {
      if (!this.isUp) {
        // A crashed network carries nothing between entities until recover().
        this.counters.droppedWhileDown++;
        this.traceMessageDropped(message, "network-down");
        return;
      }
      if (this._pauseDepth !== 0) {
        this.stall(message, message.sentAtNs + delayNs);
        return;
      }
      // The one check faults cost a network that has none active.
      if (this.faultCount !== 0) {
        this.transmitWithFaults(message, message.sentAtNs + delayNs);
        return;
      }
      // Most networks have no per-pair link: skip building the pair's key.
      const links = this.links;
      const link =
        (links.size === 0 ? undefined : links.get(pairKey(source, message.target))) ??
        this.defaultLink;
      if (link === null) throw this.noLink(source, message.target);
      if (link._pauseDepth !== 0) {
        this.stallOnLink(link, message, message.sentAtNs + delayNs);
        return;
      }
      const carried = link.carry(message.sizeBytes);
      if (carried < 0) {
        this.traceMessageDropped(message, carried === LINK_DOWN ? "link-down" : "loss");
        return;
      }
      totalNs += carried;
    }
    this.sim.deliver(message, message.sentAtNs + totalNs);
  }

  /**
   * A message while faults are active (or one the network kept): a paused link first (it
   * waits untouched), then partitions, then clogs, then loss faults, then the link, then the
   * delays, then duplication. `readyNs` is when it could arrive at the earliest (sent, plus the
   * delay the sender asked for).
   */
  private transmitWithFaults(message: Message<unknown>, readyNs: number): void {
    const source = message.source!;
    const target = message.target;
    const key = pairKey(source, target);
    const link = (this.links.size === 0 ? undefined : this.links.get(key)) ?? this.defaultLink;
    if (link !== null && link._pauseDepth !== 0) {
      this.stallOnLink(link, message, readyNs);
      return;
    }
    // Partitions first: the oldest that cuts this direction counts the drop.
    for (const partition of this.partitions) {
      if (partition._pairs!.has(key)) {
        partition._dropped++;
        this.droppedByPartition++;
        this.traceMessageDropped(message, "partition");
        return;
      }
    }
    if (link === null) throw this.noLink(source, target);
    const sourceId = source.id;
    const targetId = target.id;
    for (const clog of this.clogs) {
      if (clog._matches(key, sourceId, targetId, link)) {
        clog._held!.push({ message, readyNs });
        clog._heldTotal++;
        this.held++;
        return;
      }
    }
    for (const loss of this.losses) {
      if (
        loss._matches(key, sourceId, targetId, link) &&
        this.lossStream().next() < loss._probability
      ) {
        loss._dropped++;
        this.droppedByLossFault++;
        this.traceMessageDropped(message, "fault-loss");
        return;
      }
    }
    const carried = link.carry(message.sizeBytes);
    if (carried < 0) {
      this.traceMessageDropped(message, carried === LINK_DOWN ? "link-down" : "loss");
      return;
    }
    if (message.sizeBytes > 0 && link._bandwidthLimited) {
      for (const cut of this.bandwidthCuts) {
        if (cut._links!.has(link)) {
          cut._delayed++;
          this.delayed++;
        }
      }
    }
    const now = this.now;
    let extra = 0;
    for (const fault of this.latencies) {
      if (fault._matches(key, sourceId, targetId, link)) {
        const draws = this.latencyStream();
        extra += fault._latency!.sample(draws, now);
        if (fault._jitter !== null) extra += fault._jitter.sample(draws, now);
        fault._delayed++;
        this.delayed++;
      }
    }
    for (const fault of this.reorderings) {
      if (fault._matches(key, sourceId, targetId, link)) {
        extra += this.reorderingStream().next() * fault._seconds;
        fault._reordered++;
        this.reordered++;
      }
    }
    const arrivesNs = readyNs + carried + this.durationNs(extra);
    this.sim.deliver(message, arrivesNs);
    for (const fault of this.duplications) {
      if (fault._matches(key, sourceId, targetId, link)) {
        const draws = this.duplicationStream();
        if (draws.next() < fault._probability) {
          fault._duplicated++;
          this.duplicated++;
          const after = fault._latency === null ? 0 : fault._latency.sample(draws, now);
          this.sim.deliver(message, arrivesNs + this.durationNs(after));
        }
      }
    }
  }

  /** @internal Ends `fault` (its handle's `heal()`); a clog then releases what it holds. */
  _healFault(fault: NetworkFault): void {
    if (!fault._active) return;
    fault._active = false;
    remove(this.active, fault);
    this.faultCount--;
    remove(this.listOf(fault.kind), fault);
    if (fault._timer >= 0) {
      this.sim.cancel(fault._timer);
      fault._timer = -1;
    }
    if (fault.kind === "bandwidth") for (const link of fault._links!) this.refreshBandwidth(link);
    this.traceFault(fault, "healed", healedDetail(fault));
    const held = fault._held;
    if (held !== null) {
      fault._held = null;
      // In the order they were held, each as if sent now: the wire and the other faults apply.
      const nowNs = this.nowNs;
      for (const { message, readyNs } of held) this.release(message, Math.max(nowNs, readyNs));
    }
  }

  /**
   * Routes a message the network kept (a clog's, a pause's) as if sent now (`readyNs` at the
   * earliest): a down network drops it, a paused one keeps it again, a paused link too.
   */
  private release(message: Message<unknown>, readyNs: number): void {
    if (!this.isUp) {
      this.counters.droppedWhileDown++;
      this.traceMessageDropped(message, "network-down");
      return;
    }
    if (this._pauseDepth !== 0) {
      this.stall(message, readyNs);
      return;
    }
    this.transmitWithFaults(message, readyNs);
  }

  /**
   * A paused network routes nothing: a message sent meanwhile waits, untouched by links and
   * faults, and a timer of the network's own (held by the pause, so it runs when the pause
   * ends, in order with what the pause held) routes the waiting ones then.
   */
  private stall(message: Message<unknown>, readyNs: number): void {
    if (this.stalled.length === 0) this.after(0, releaseStalled, this);
    this.stalled.push({ message, readyNs });
    this._countHeldMessage(1);
  }

  /** @internal The pause ended: route what was sent during it, in the order sent, as if sent now. */
  _releaseStalled(): void {
    const stalled = this.stalled;
    this.stalled = [];
    const nowNs = this.nowNs;
    for (const { message, readyNs } of stalled) this.release(message, Math.max(nowNs, readyNs));
  }

  /**
   * A message over a paused link waits, untouched by the link and the faults, until the link's
   * pause ends (the link keeps it; a timer of the link's own routes it then).
   */
  private stallOnLink(link: NetworkLink, message: Message<unknown>, readyNs: number): void {
    if (!this.stallingLinks.includes(link)) this.stallingLinks.push(link);
    link._stall(message, readyNs, releaseLinkStalled);
  }

  /** @internal `link`'s pause ended: route what was sent over it meanwhile, in order, as if sent now. */
  _releaseLinkStalled(link: NetworkLink): void {
    const stalled = link._takeStalled();
    const nowNs = this.nowNs;
    for (const { message, readyNs } of stalled) this.release(message, Math.max(nowNs, readyNs));
  }

  /**
   * @internal A crash ends the pause: what was sent during it was in the network's buffers, and
   * is lost (counted in the pause's record with what it held, by `Entity.crash`).
   */
  override _dropKeptMessages(): number {
    const stalled = this.stalled;
    this.stalled = [];
    for (const { message } of stalled) {
      this.counters.droppedWhileDown++;
      this.traceMessageDropped(message, "network-down");
    }
    return stalled.length;
  }

  /**
   * A crash in the instant a pause ended, before the timer that routes the stalled messages
   * ran, loses them too (the timer is cancelled with the network's others).
   */
  protected override onCrash(): void {
    this._dropKeptMessages();
    // What waits for a paused link was never routed: it was in the network's buffers too (the
    // link's pause no longer holds it, so its record does not count it as held).
    for (const link of this.stallingLinks) {
      const stalled = link._takeStalled();
      link._countHeldMessage(-stalled.length);
      for (const { message } of stalled) {
        this.counters.droppedWhileDown++;
        this.traceMessageDropped(message, "network-down");
      }
    }
  }

  private listOf(kind: NetworkFaultKind): NetworkFault[] {
    switch (kind) {
      case "partition":
        return this.partitions;
      case "clog":
        return this.clogs;
      case "loss":
        return this.losses;
      case "bandwidth":
        return this.bandwidthCuts;
      case "latency":
        return this.latencies;
      case "reordering":
        return this.reorderings;
      case "duplication":
        return this.duplications;
    }
  }

  private cut(
    api: string,
    pairs: Set<number>,
    groups: readonly (readonly Node[])[],
    detail: string,
    timing: NetworkFaultTiming,
  ): NetworkFault {
    const targets: string[] = [];
    for (const group of groups)
      for (const node of group) if (!targets.includes(node.name)) targets.push(node.name);
    const fault = new NetworkFault(
      this,
      this.sim.nextFaultId(),
      "partition",
      targets,
      detail,
      groups,
    );
    fault._pairs = pairs;
    return this.activate(api, fault, this.partitions, timing);
  }

  /** A fault of a message-condition kind, its scope read from `options`. */
  private condition(
    api: string,
    kind: NetworkFaultKind,
    options: NetworkFaultScope,
    what: () => string,
  ): NetworkFault {
    const scope = this.scopeOf(api, options);
    const fault = new NetworkFault(
      this,
      this.sim.nextFaultId(),
      kind,
      scope.targets,
      `${what()} ${scope.where}`,
    );
    fault._pairs = scope.pairs;
    fault._nodes = scope.nodes;
    fault._links = scope.links;
    return fault;
  }

  private activate(
    api: string,
    fault: NetworkFault,
    list: NetworkFault[],
    timing: NetworkFaultTiming,
  ): NetworkFault {
    const lasts = timing?.for === undefined ? null : requireSeconds(api, "for", timing.for);
    this.active.push(fault);
    this.faultCount++;
    list.push(fault);
    this.faultsUsed = true;
    this.traceFault(fault, "activated", fault.detail);
    if (lasts !== null) fault._timer = this.sim.after(lasts, healNetworkFault, fault);
    return fault;
  }

  private traceFault(fault: NetworkFault, phase: "activated" | "healed", detail: string): void {
    this.sim.traceFault(fault.id, fault.kind, phase, fault.targets, detail);
  }

  private scopeOf(api: string, options: NetworkFaultScope) {
    if (options === null || typeof options !== "object") {
      throw new ConfigError(api, "options", "an options object", options);
    }
    const given = (["links", "nodes", "between"] as const).filter((k) => options[k] !== undefined);
    if (given.length > 1) {
      throw new ConfigError(
        api,
        given.join(", "),
        "at most one of links, nodes and between",
        "several",
      );
    }
    if (
      options.oneWay !== undefined &&
      (typeof options.oneWay !== "boolean" || options.between === undefined)
    ) {
      throw new ConfigError(api, "oneWay", "true or false, with between", options.oneWay);
    }
    let pairs: Set<number> | null = null;
    let nodes: Set<number> | null = null;
    let links: Set<NetworkLink> | null = null;
    let targets: string[] = [this.name];
    let where = "on every message";
    if (options.links !== undefined) {
      const list = this.linkList(api, options.links);
      links = new Set(list);
      targets = list.map((link) => link.name);
      where = `on ${names(list)}`;
    } else if (options.nodes !== undefined) {
      const list = this.members(api, "nodes", options.nodes, 1);
      nodes = new Set(list.map((node) => node.id));
      targets = list.map((node) => node.name);
      where = `from or to ${names(list)}`;
    } else if (options.between !== undefined) {
      const between = options.between;
      if (!Array.isArray(between) || between.length !== 2) {
        throw new ConfigError(api, "between", "two groups of entities [groupA, groupB]", between);
      }
      const a = this.members(api, "between[0]", between[0], 1);
      const b = this.members(api, "between[1]", between[1], 1);
      pairs = new Set();
      addPairs(pairs, a, b);
      if (options.oneWay !== true) addPairs(pairs, b, a);
      targets = [...new Set([...a, ...b])].map((node) => node.name);
      where =
        options.oneWay === true
          ? `from ${names(a)} to ${names(b)}`
          : `between ${names(a)} and ${names(b)}`;
    }
    return { pairs, nodes, links, targets, where };
  }

  /** Shuffled (unless `shuffle: false`) distinct members, at least `min`. */
  private ordered(
    api: string,
    nodes: readonly Node[],
    min: number,
    options: RandomPartitionOptions,
  ): Node[] {
    const list = this.members(api, "nodes", nodes, min);
    const shuffle = options?.shuffle ?? true;
    if (typeof shuffle !== "boolean")
      throw new ConfigError(api, "shuffle", "true or false", shuffle);
    return shuffle ? this.random(streamName(api, options.stream, "partition")).shuffle(list) : list;
  }

  /** Distinct entities of this simulation, at least `min` of them (a copy). */
  private members(api: string, parameter: string, value: unknown, min: number): Node[] {
    if (!Array.isArray(value)) throw new ConfigError(api, parameter, "an array of entities", value);
    const list: Node[] = [];
    for (const entity of value) {
      this.checkMember(api, parameter, entity);
      if (!list.includes(entity)) list.push(entity);
    }
    if (list.length < min) {
      throw new ConfigError(
        api,
        parameter,
        `at least ${min} distinct entit${min === 1 ? "y" : "ies"}`,
        value,
      );
    }
    return list;
  }

  private linkList(api: string, value: unknown): NetworkLink[] {
    if (!Array.isArray(value) || value.length === 0) {
      throw new ConfigError(api, "links", "a non-empty array of NetworkLinks", value);
    }
    const list: NetworkLink[] = [];
    for (const link of value) {
      this.checkLink(api, "links", link);
      if (!list.includes(link)) list.push(link);
    }
    return list;
  }

  /** The default link and every per-pair link, each once, in the order they were added. */
  private allLinks(): NetworkLink[] {
    const list: NetworkLink[] = this.defaultLink === null ? [] : [this.defaultLink];
    for (const link of this.links.values()) if (!list.includes(link)) list.push(link);
    return list;
  }

  private refreshBandwidth(link: NetworkLink): void {
    let factor = 1;
    for (const cut of this.bandwidthCuts) if (cut._links!.has(link)) factor *= cut._factor;
    link._setBandwidthFactor(factor);
  }

  private partitionedPairs(): number {
    const partitions = this.partitions;
    if (partitions.length === 0) return 0;
    if (partitions.length === 1) return partitions[0]!._pairs!.size;
    const union = new Set<number>();
    for (const partition of partitions) for (const key of partition._pairs!) union.add(key);
    return union.size;
  }

  private durationNs(seconds: number): number {
    if (!(seconds >= 0)) {
      throw new SimulationError(
        `a network fault drew a delay of ${seconds}s; use non-negative distributions`,
        this.name,
        this.sim.nowNs,
      );
    }
    return Math.round(seconds * 1e9);
  }

  private lossStream(): RandomStream {
    this.lossDraws ??= this.random("fault-loss");
    return this.lossDraws;
  }

  private latencyStream(): RandomStream {
    this.latencyDraws ??= this.random("fault-latency");
    return this.latencyDraws;
  }

  private reorderingStream(): RandomStream {
    this.reorderingDraws ??= this.random("fault-reordering");
    return this.reorderingDraws;
  }

  private duplicationStream(): RandomStream {
    this.duplicationDraws ??= this.random("fault-duplication");
    return this.duplicationDraws;
  }

  private api(method: string): string {
    return `Network "${this.name}".${method}`;
  }

  private noLink(
    source: Entity<unknown, unknown>,
    target: Entity<unknown, unknown>,
  ): SimulationError {
    return new SimulationError(
      `network "${this.name}" has no link from "${source.name}" to "${target.name}" and no default link`,
      source.name,
      this.sim.nowNs,
    );
  }

  private checkMember(component: string, parameter: string, entity: unknown): void {
    if (!(entity instanceof Entity) || entity.sim !== this.sim) {
      throw new ConfigError(component, parameter, "an entity of this simulation", entity);
    }
  }

  private checkLink(component: string, parameter: string, link: unknown): void {
    if (!(link instanceof NetworkLink) || link.sim !== this.sim) {
      throw new ConfigError(component, parameter, "a NetworkLink of this simulation", link);
    }
  }
}

function addPairs(pairs: Set<number>, from: readonly Node[], to: readonly Node[]): void {
  for (const a of from) for (const b of to) if (a !== b) pairs.add(pairKey(a, b));
}

/** Jepsen's bisect: the first half is the smaller one of an odd count. */
function bisect<T>(items: readonly T[]): [T[], T[]] {
  const half = Math.floor(items.length / 2);
  return [items.slice(0, half), items.slice(half)];
}

function names(entities: readonly { name: string }[]): string {
  return `[${entities.map((e) => e.name).join(", ")}]`;
}

function remove<T>(list: T[], item: T): void {
  const at = list.indexOf(item);
  if (at >= 0) list.splice(at, 1);
}

function requireProbability(api: string, value: unknown): number {
  if (typeof value !== "number" || !(value >= 0 && value <= 1)) {
    throw new ConfigError(api, "probability", "a probability in [0, 1]", value);
  }
  return value;
}

/** Seconds as a distribution: a number >= 0 becomes a constant. */
function seconds(api: string, parameter: string, value: unknown, allowZero: boolean): Distribution {
  if (typeof value === "number") return constant(requireSeconds(api, parameter, value, allowZero));
  return requireDistribution(api, parameter, value);
}

function streamName(api: string, value: unknown, fallback: string): string {
  if (value === undefined) return fallback;
  if (typeof value !== "string" || value === "") {
    throw new ConfigError(api, "stream", "a non-empty stream name", value);
  }
  return value;
}

function healedDetail(fault: NetworkFault): string {
  const counts = fault.counts;
  switch (fault.kind) {
    case "partition":
    case "loss":
      return `dropped ${counts.dropped} messages`;
    case "latency":
    case "bandwidth":
      return `delayed ${counts.delayed} messages`;
    case "reordering":
      return `reordered ${counts.reordered} messages`;
    case "duplication":
      return `duplicated ${counts.duplicated} messages`;
    case "clog":
      return `held ${counts.held} messages, released ${fault.heldNow}`;
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
