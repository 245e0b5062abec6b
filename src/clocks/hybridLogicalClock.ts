/**
 * `HybridLogicalClock`: Kulkarni, Demirbas et al.'s hybrid logical clock (2014), the clock of
 * CockroachDB, YugabyteDB and MongoDB. A timestamp is a pair (wall, logical): `wallNs` is the
 * largest physical time the node has heard of (its own clock's, or one carried by a message),
 * `logical` counts events that share it. Compared as pairs, the timestamps order events
 * consistently with causality, as Lamport times do, while staying close to physical time: the
 * wall part is never behind the local physical clock, and never ahead of it by more than the
 * largest clock offset between nodes. So a last-writer-wins store that stamps writes with it
 * never lets a causally later write lose to an earlier one, however the nodes' clocks are
 * skewed; and a timestamp still says roughly when an event happened.
 *
 * The rules (the paper's Figure 5), with pt the local physical reading:
 * - send or local event: wall' = max(wall, pt); logical' = wall' = wall ? logical + 1 : 0.
 * - receive of (wallM, logicalM): wall' = max(wall, wallM, pt); logical' is one more than the
 *   largest logical among the parts equal to wall' (0 if only pt is).
 *
 * The maximum-offset check (CockroachDB's `--max-offset`): a remote timestamp whose wall part
 * is more than `maxOffset` ahead of the local physical reading comes from a clock that is out
 * of bounds (or a forged or corrupted one); taking it would drag this clock, and every clock
 * that hears from it, away from physical time. `receive` refuses it: it throws a
 * `ClockOffsetError` (a modelled outcome, so the node can drop the message or fail the
 * request), leaves the clock unchanged and counts it in `rejected`.
 *
 * A new clock starts at (its physical reading, 0), as if its creation were an event.
 *
 * The physical source is anything with `nowNs()`: usually the node's `NodeClock`, so skew,
 * drift and NTP steps reach the timestamps. If the physical reading goes back (a backward
 * step), the wall part does not: the clock stays monotonic and counts on `logical` until the
 * physical reading catches up.
 *
 * @example
 * const clock = new HybridLogicalClock(new NodeClock(node, { offset: -0.05 }), {
 *   maxOffset: 0.25,
 * });
 * const stamp = clock.send();      // { wallNs: ..., logical: 0 }, on the outgoing message
 * clock.receive(message.payload.stamp); // merges a remote one, or throws ClockOffsetError
 */

import { MAX_TIME_NS } from "../core/time.js";
import { ConfigError, DistsimError, formatTimeNs } from "../errors/errors.js";
import { NodeClock } from "./nodeClock.js";

/** A hybrid logical timestamp: compare with `HybridLogicalClock.compare`. */
export interface HlcTimestamp {
  /** The physical part: the largest physical reading heard of, in integer ns of local time. */
  readonly wallNs: number;
  /** Events seen with this same wall part: 0, 1, 2, ... */
  readonly logical: number;
}

/** Where a hybrid logical clock reads physical time: a `NodeClock`, or any such source. */
export interface PhysicalTimeSource {
  /** The physical reading now, in integer ns. */
  nowNs(): number;
}

export interface HybridLogicalClockOptions {
  /**
   * The largest lead, in seconds, of a remote timestamp's wall part over the local physical
   * reading that `receive` accepts; larger leads are refused with `ClockOffsetError`. > 0, or
   * Infinity for no check. Default 0.5 (CockroachDB's default maximum offset).
   */
  maxOffset?: number;
  /** Name for messages and errors. Default: a `NodeClock`'s owner's name, else "hlc". */
  name?: string;
}

/**
 * A remote hybrid logical timestamp ran further ahead of the local physical clock than the
 * receiving clock's `maxOffset`: a modelled outcome, thrown by `HybridLogicalClock.receive`.
 */
export class ClockOffsetError extends DistsimError {
  override name = "ClockOffsetError";
  constructor(
    /** The refusing clock's name. */
    readonly clock: string,
    readonly remote: HlcTimestamp,
    /** The local physical reading it was compared with, in ns. */
    readonly physicalNs: number,
    readonly maxOffsetNs: number,
  ) {
    super(
      `HybridLogicalClock "${clock}" refused a remote timestamp ${formatSignedNs(remote.wallNs)} ` +
        `(logical ${remote.logical}): it is ${formatSignedNs(remote.wallNs - physicalNs)} ahead of ` +
        `the local physical time ${formatSignedNs(physicalNs)}, more than the maximum offset ` +
        `${formatTimeNs(maxOffsetNs)}`,
    );
  }

  /** How far the remote timestamp was ahead of the local physical reading, in ns. */
  get aheadByNs(): number {
    return this.remote.wallNs - this.physicalNs;
  }
}

export class HybridLogicalClock {
  readonly name: string;
  /** The maximum offset in ns (Infinity: no check). */
  readonly maxOffsetNs: number;
  private wallNs: number;
  private logical = 0;
  private rejectedCount = 0;

  constructor(
    private readonly physical: PhysicalTimeSource,
    options: HybridLogicalClockOptions = {},
  ) {
    const name = options.name ?? (physical instanceof NodeClock ? physical.owner.name : "hlc");
    if (typeof name !== "string" || name.length === 0) {
      throw new ConfigError("HybridLogicalClock", "name", "a non-empty string", name);
    }
    this.name = name;
    const component = `HybridLogicalClock "${name}"`;
    if (
      typeof physical !== "object" ||
      physical === null ||
      typeof (physical as { nowNs?: unknown }).nowNs !== "function"
    ) {
      throw new ConfigError(
        component,
        "physical",
        "a physical time source (a NodeClock, or any { nowNs(): number })",
        physical,
      );
    }
    const maxOffset = options.maxOffset ?? 0.5;
    if (typeof maxOffset !== "number" || !(maxOffset > 0)) {
      throw new ConfigError(
        component,
        "maxOffset",
        "a duration in seconds > 0, or Infinity",
        maxOffset,
      );
    }
    this.maxOffsetNs =
      maxOffset === Number.POSITIVE_INFINITY ? maxOffset : Math.round(maxOffset * 1e9);
    this.wallNs = this.readPhysical();
  }

  /**
   * Orders two timestamps: negative if `a` is earlier, positive if later, 0 if equal. Equal
   * timestamps from different nodes are concurrent events: break the tie by node id when a
   * total order is needed.
   */
  static compare(a: HlcTimestamp, b: HlcTimestamp): number {
    return a.wallNs !== b.wallNs ? a.wallNs - b.wallNs : a.logical - b.logical;
  }

  /** The latest timestamp this clock gave or took (its state), without advancing it. */
  get current(): HlcTimestamp {
    return { wallNs: this.wallNs, logical: this.logical };
  }

  /** Remote timestamps refused by the maximum-offset check. */
  get rejected(): number {
    return this.rejectedCount;
  }

  /** A local event: advances the clock and returns the event's timestamp. */
  tick(): HlcTimestamp {
    const physicalNs = this.readPhysical();
    if (physicalNs > this.wallNs) {
      this.wallNs = physicalNs;
      this.logical = 0;
    } else {
      this.logical++;
    }
    return { wallNs: this.wallNs, logical: this.logical };
  }

  /** A send: a tick whose timestamp goes on the message. */
  send(): HlcTimestamp {
    return this.tick();
  }

  /**
   * A receive of a message stamped `remote`: returns the receive's timestamp, later than both
   * this clock's last one and `remote`. Throws `ClockOffsetError` (and counts it in `rejected`,
   * leaving the clock unchanged) if `remote` is more than `maxOffset` ahead of the local
   * physical reading.
   */
  receive(remote: HlcTimestamp): HlcTimestamp {
    checkTimestamp(`HybridLogicalClock "${this.name}".receive`, remote);
    const physicalNs = this.readPhysical();
    const remoteWallNs = remote.wallNs;
    if (remoteWallNs - physicalNs > this.maxOffsetNs) {
      this.rejectedCount++;
      throw new ClockOffsetError(this.name, remote, physicalNs, this.maxOffsetNs);
    }
    const wallNs = this.wallNs;
    const next = Math.max(wallNs, remoteWallNs, physicalNs);
    if (next === wallNs && next === remoteWallNs) {
      this.logical = Math.max(this.logical, remote.logical) + 1;
    } else if (next === wallNs) {
      this.logical++;
    } else if (next === remoteWallNs) {
      this.logical = remote.logical + 1;
    } else {
      this.logical = 0;
    }
    this.wallNs = next;
    return { wallNs: next, logical: this.logical };
  }

  private readPhysical(): number {
    const physicalNs = this.physical.nowNs();
    if (!Number.isSafeInteger(physicalNs)) {
      throw new ConfigError(
        `HybridLogicalClock "${this.name}"`,
        "physical",
        "a source whose nowNs() is an integer number of ns",
        physicalNs,
      );
    }
    return physicalNs;
  }
}

function checkTimestamp(component: string, remote: unknown): void {
  const stamp = remote as Partial<HlcTimestamp> | null;
  if (
    typeof stamp !== "object" ||
    stamp === null ||
    typeof stamp.wallNs !== "number" ||
    !Number.isSafeInteger(stamp.wallNs) ||
    Math.abs(stamp.wallNs) > MAX_TIME_NS ||
    typeof stamp.logical !== "number" ||
    !Number.isSafeInteger(stamp.logical) ||
    stamp.logical < 0
  ) {
    throw new ConfigError(
      component,
      "remote",
      "a timestamp { wallNs: integer ns, logical: integer >= 0 }",
      remote,
    );
  }
}

function formatSignedNs(timeNs: number): string {
  return timeNs < 0 ? `-${formatTimeNs(-timeNs)}` : formatTimeNs(timeNs);
}
