/**
 * `NetworkFault`: the handle every fault method of a `Network` returns (a partition, extra
 * latency, loss, duplication, reordering, a bandwidth cut, a clog). It heals just its own
 * fault, so faults can overlap and end in any order, and it counts what the fault did to the
 * messages it touched. The network writes an `activated` fault record when the fault starts
 * and a `healed` one, with its counts in words, when it ends (docs/core/tracing.md).
 *
 * Faults are plain state of the network: they survive its crash and a statistics reset, and
 * cost nothing per message while none is active.
 */
import type { Entity } from "../../core/entity.js";
import type { FaultHandle } from "../../core/faultHandle.js";
import type { Message } from "../../core/message.js";
import type { Distribution } from "../../random/distributions/distribution.js";
import type { NetworkLink } from "./networkLink.js";

/** What a network fault does (the `fault` field of its trace records). */
export type NetworkFaultKind =
  | "partition"
  | "latency"
  | "loss"
  | "duplication"
  | "reordering"
  | "bandwidth"
  | "clog";

/** What one fault did to messages while it was active. */
export interface NetworkFaultCounts {
  /** Messages it dropped (a partition's cut, a loss fault's draws). */
  readonly dropped: number;
  /** Extra copies it delivered (a duplication fault): each message duplicated arrives twice. */
  readonly duplicated: number;
  /** Messages it slowed down (extra latency; a bandwidth cut: messages over the cut link). */
  readonly delayed: number;
  /** Messages it gave a random delay within its window, so later ones may overtake them. */
  readonly reordered: number;
  /** Messages it held back (a clog); released, in order, when it heals. */
  readonly held: number;
}

/**
 * Which messages a fault touches. At most one of `links`, `nodes` and `between`; none means
 * every message that crosses the network.
 */
export interface NetworkFaultScope {
  /** Messages crossing any of these links (the network's own, default or per pair). */
  readonly links?: readonly NetworkLink[];
  /** Messages from or to any of these entities. */
  readonly nodes?: readonly Entity<never, unknown>[];
  /** Messages from a member of the first group to a member of the second, and back unless `oneWay`. */
  readonly between?: readonly [
    readonly Entity<never, unknown>[],
    readonly Entity<never, unknown>[],
  ];
  /** With `between`: only the first group's messages to the second. Default false. */
  readonly oneWay?: boolean;
}

/** Every fault method's timing option. */
export interface NetworkFaultTiming {
  /** Seconds after which the fault heals itself (> 0). Default: until `heal()`. */
  readonly for?: number;
}

/** Entity ids are small integers, so a directed pair packs into one number (no string keys per message). */
const PAIR_SPACE = 2 ** 21;

/** @internal The key of the directed pair `source -> target`. */
export const pairKey = (source: { id: number }, target: { id: number }): number =>
  source.id * PAIR_SPACE + target.id;

/** @internal What a `Network` needs from a fault handle to end it. */
export interface FaultOwner {
  _healFault(fault: NetworkFault): void;
}

/** @internal A message a clog holds, and when it could have arrived had nothing held it. */
export interface HeldMessage {
  readonly message: Message<unknown>;
  readonly readyNs: number;
}

export class NetworkFault implements FaultHandle {
  /** @internal */ _active = true;
  /** @internal */ _dropped = 0;
  /** @internal */ _duplicated = 0;
  /** @internal */ _delayed = 0;
  /** @internal */ _reordered = 0;
  /** @internal */ _heldTotal = 0;
  /** @internal Messages a clog holds now, oldest first. */
  _held: HeldMessage[] | null = null;
  /** @internal The token of the timer that heals it (`for`), or -1. */
  _timer = -1;

  // Which messages it touches: the first of these that is set decides (see `_matches`).
  /** @internal */ _pairs: Set<number> | null = null;
  /** @internal */ _nodes: Set<number> | null = null;
  /** @internal */ _links: Set<NetworkLink> | null = null;

  // The kind's parameters.
  /** @internal */ _probability = 0;
  /** @internal Seconds of extra latency, or the window of a reordering. */
  _seconds = 0;
  /** @internal */ _latency: Distribution | null = null;
  /** @internal */ _jitter: Distribution | null = null;
  /** @internal */ _factor = 1;

  /** @internal Built by `Network`'s fault methods only. */
  constructor(
    private readonly owner: FaultOwner,
    /** The fault's id in the trace stream (`FaultRecord.faultId`). */
    readonly id: number,
    readonly kind: NetworkFaultKind,
    /** Names of the entities it applies to, as in its trace records. */
    readonly targets: readonly string[],
    /** What it does, in words, as in its `activated` trace record. */
    readonly detail: string,
    /**
     * For a partition, its sides: the two groups (`partition`, `partitionOneWay`, the random
     * halves, a bridge's halves without the bridge node), the node and the rest (`isolate`),
     * or the ring's order as one group (`partitionMajorityRing`). Empty for other kinds.
     */
    readonly groups: readonly (readonly Entity<never, unknown>[])[] = [],
  ) {}

  /** The same as `id` (the name every `FaultHandle` has). */
  get faultId(): number {
    return this.id;
  }

  /** True until it heals (by `heal()`, its `for`, or the network's `heal()`/`healAll()`). */
  get active(): boolean {
    return this._active;
  }

  /** What it has done so far (kept after it heals). */
  get counts(): NetworkFaultCounts {
    return {
      dropped: this._dropped,
      duplicated: this._duplicated,
      delayed: this._delayed,
      reordered: this._reordered,
      held: this._heldTotal,
    };
  }

  /** Messages a clog holds now (0 for other kinds and once healed). */
  get heldNow(): number {
    return this._held === null ? 0 : this._held.length;
  }

  /**
   * Ends this fault now, leaving any other active: a clog releases what it holds, in the order
   * it held it. Healing a healed fault does nothing.
   */
  heal(): void {
    if (this._active) this.owner._healFault(this);
  }

  /** @internal Whether a message from `sourceId` to `targetId` (pair `key`) over `link` is touched. */
  _matches(key: number, sourceId: number, targetId: number, link: NetworkLink): boolean {
    if (this._pairs !== null) return this._pairs.has(key);
    if (this._nodes !== null) return this._nodes.has(sourceId) || this._nodes.has(targetId);
    if (this._links !== null) return this._links.has(link);
    return true;
  }
}
