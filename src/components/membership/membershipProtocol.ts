/**
 * `MembershipProtocol`: SWIM (Das, Gupta and Motivala, "SWIM: Scalable Weakly-consistent
 * Infection-style Process Group Membership Protocol", DSN 2002), with the refinements
 * HashiCorp's memberlist made standard.
 *
 * Every member is an entity on the simulation's `Network`. Each protocol period (`probeInterval`)
 * a member probes one other member, round-robin over an order reshuffled every round (so every
 * member is probed within a bounded time); with no ack within `ackTimeout` it asks
 * `indirectProbes` other members to probe the target for it; with still no ack by the end of
 * the period the target is suspected, and declared dead after `suspicionTimeout` unless it
 * refutes. A member refutes a suspicion of itself by bumping its incarnation number: a claim
 * with a higher incarnation overrides one with a lower, and at the same incarnation
 * dead > suspect > alive. Updates travel piggybacked on probes and acks, at most
 * `maxPiggyback` per message, each about `retransmitMultiplier` x log10(n + 1) times.
 *
 * Two additions make the protocol heal after a partition: every message tells its recipient how
 * the sender sees it when that is not alive (so a member declared dead hears it and refutes), and
 * every `reprobeDeadEvery` periods a member probes one member it believes dead or left (as
 * memberlist's push-pull and Serf's reconnect do): a reachable one acks and refutes.
 *
 * With `phi`, the ack timeout adapts: each member keeps a `PhiAccrualDetector` over the round
 * trips it measured, and gives up on a probe when phi of the time waited reaches the threshold
 * (a jittery network waits longer, a steady one gives up sooner) instead of after a fixed
 * `ackTimeout`.
 *
 * Memory: a 10,000-member cluster keeps O(1) per idle member. Every member starts from the same
 * roster (all initial members alive at incarnation 0), so a member stores only where its view
 * differs from it (a Map of packed numbers), and walks its probe order as an affine permutation
 * of the roster, which needs three numbers instead of a shuffled list.
 *
 * @example
 * const net = new Network(sim, "net", { defaultLink: new NetworkLink(sim, "lan", conditions.datacenter()) });
 * const swim = new MembershipProtocol(sim, "swim", { members: 5 });
 * sim.at(10, () => swim.members[2]!.crash());
 * sim.run({ until: 30 });
 * swim.events; // suspected / died, with times
 */

import { PhiAccrualDetector } from "../../algorithms/phiAccrualDetector.js";
import { type CatalogEntry, knobs } from "../../catalog/entry.js";
import { Entity, type EntityMetrics } from "../../core/entity.js";
import type { Message } from "../../core/message.js";
import type { Simulation } from "../../core/simulation.js";
import { ConfigError, SimulationError } from "../../errors/errors.js";
import { logStandardNormalTail } from "../../random/distributions/distribution.js";
import { log } from "../../random/portableMath.js";
import type { RandomStream } from "../../random/randomStream.js";
import { requireInteger, requireSeconds } from "../shared/validate.js";

/** How a member sees another. */
export type MemberState = "alive" | "suspect" | "dead" | "left";

const ALIVE = 0;
const SUSPECT = 1;
const DEAD = 2;
const LEFT = 3;
const STATE_NAMES: readonly MemberState[] = ["alive", "suspect", "dead", "left"];
/** A view entry is incarnation x 4 + state: one number, ordered as the protocol's precedence. */
const UNKNOWN = -1;

const pack = (incarnation: number, state: number): number => incarnation * 4 + state;
const stateOf = (packed: number): number => packed & 3;
const incarnationOf = (packed: number): number => Math.floor(packed / 4);

/** The adaptive ack timeout: a phi accrual detector over the round trips a member measured. */
export interface PhiProbeOptions {
  /** phi at which a probe is given up (> 0). Default 8. */
  readonly threshold?: number;
  /** Round trips the estimate uses (>= 1). Default 50. */
  readonly windowSize?: number;
  /** Floor of the round trips' standard deviation, in seconds (> 0). Default 0.001. */
  readonly minStdDeviationSeconds?: number;
}

export interface MembershipOptions {
  /** Initial members: a count (named `<name>-0`, ...) or their names (at least 1). */
  members: number | readonly string[];
  /** Seconds between a member's probes (> 0). Default 1. */
  probeInterval?: number;
  /** Seconds a direct probe waits for its ack before probing indirectly (> 0, < probeInterval). Default 0.2. */
  ackTimeout?: number;
  /** Members asked to probe indirectly (k, >= 0). Default 3. */
  indirectProbes?: number;
  /** Seconds a member stays suspected before it is declared dead (> 0). Default 5. */
  suspicionTimeout?: number;
  /** lambda: each update is piggybacked about lambda x log10(n + 1) times (>= 1). Default 3. */
  retransmitMultiplier?: number;
  /** Most updates piggybacked on one message (>= 1). Default 8. */
  maxPiggyback?: number;
  /** Every this many periods, probe one member believed dead or left (>= 1; 0 never). Default 5. */
  reprobeDeadEvery?: number;
  /** Adapt the ack timeout with a phi accrual detector over round trips. Default: fixed `ackTimeout`. */
  phi?: PhiProbeOptions;
  /** Keep `events` (joined, suspected, died, refuted, ...). Default true; off for very large runs. */
  recordEvents?: boolean;
  /** Called on every event, recorded or not. */
  onEvent?: (event: MembershipEvent) => void;
}

/**
 * @internal A protocol riding on the members (`LeaderElection`): the messages whose kind starts
 * with `prefix` go to it, and it hears its member's crashes and recoveries (a pause holds it with
 * the member).
 */
export interface MemberExtension {
  readonly prefix: string;
  handle(message: Message<unknown>): void;
  onCrash(): void;
  onRecover(): void;
}

/** Something a member learned (or, for "refuted" and "left", did). */
export interface MembershipEvent {
  /** Simulated seconds. */
  readonly time: number;
  /** The member whose view changed. */
  readonly observer: string;
  /** The member it is about. */
  readonly member: string;
  readonly kind: "joined" | "suspected" | "died" | "alive" | "refuted" | "left";
  readonly incarnation: number;
}

/** One member as another sees it. */
export interface MemberView {
  readonly name: string;
  readonly state: MemberState;
  readonly incarnation: number;
}

/** Counts of the whole cluster (since creation or the last statistics reset). */
export interface MembershipStats {
  /** Members in the roster (joined ever, crashed or not). */
  readonly members: number;
  /** Direct probes sent. */
  readonly probesSent: number;
  /** Indirect probe requests sent (ping-req). */
  readonly indirectProbesSent: number;
  /** Acks that answered a member's own probe (directly or through a relay). */
  readonly acksReceived: number;
  /** Probes that got no ack in their period. */
  readonly probesFailed: number;
  /** Updates carried piggybacked (one per update per message). */
  readonly updatesDisseminated: number;
  readonly suspicions: number;
  /** Members declared dead (one per observer that declared it). */
  readonly deaths: number;
  readonly refutations: number;
}

/** A piggybacked update: a member's packed view entry, and how many more sends it gets. */
interface Update {
  readonly member: number;
  readonly packed: number;
  remaining: number;
}

/** Every SWIM message. `updates` is flat [member, packed, member, packed, ...] or null. */
export interface SwimPayload {
  /** The probe's sequence number (its origin's). */
  readonly seq: number;
  /** The sender's own incarnation: every message says the sender is alive. */
  readonly incarnation: number;
  /** ping-req: the member to probe; ping/ack: the member the probe is about. */
  readonly target: number;
  /** A relayed ping or ack: the member that asked for the probe; -1 for a direct one. */
  readonly origin: number;
  readonly updates: number[] | null;
}

const COMPONENT = "MembershipProtocol";

/** Named, so the trace says what the timer was for. */
function protocolPeriod(member: SwimMember): void {
  member._period();
}
function ackTimedOut(member: SwimMember): void {
  member._ackTimedOut();
}
function suspicionExpired(arg: { member: SwimMember; subject: number; packed: number }): void {
  arg.member._suspicionExpired(arg.subject, arg.packed);
}

function gcd(a: number, b: number): number {
  while (b !== 0) [a, b] = [b, a % b];
  return a;
}

/** One member of a SWIM cluster. Built by `MembershipProtocol`; crash, pause or `leave()` it. */
export class SwimMember extends Entity<SwimPayload> {
  readonly protocol: MembershipProtocol;
  /** Position in the protocol's roster. */
  readonly index: number;
  private _incarnation = 0;
  /** Where this member's view differs from the roster's start (everyone alive at 0): packed. */
  private overrides: Map<number, number> | null = null;
  private suspicionTimers: Map<number, number> | null = null;
  private updates: Update[] | null = null;
  // The probe order: roster index = (step x stride + offset) mod size, reshuffled each round.
  private stride = 1;
  private offset = 0;
  private size = 0;
  private step = 0;
  private periods = 0;
  private deadCursor = 0;
  private seq = 0;
  /** The member probed this period, or -1. */
  private probing = -1;
  private acked = false;
  /** The view's entry of the member probed, when the probe left. */
  private probedEntry = 0;
  private probeSentNs = 0;
  private ackTimer = -1;
  private detector: PhiAccrualDetector | null = null;
  /** The detector's own clock: round trips laid end to end, so each interval is one round trip. */
  private rttClock = 0;
  private _left = false;
  /** @internal A protocol riding on this member (LeaderElection), or null. */
  _extension: MemberExtension | null = null;

  /** @internal Built by `MembershipProtocol`. */
  constructor(sim: Simulation, name: string, protocol: MembershipProtocol, index: number) {
    super(sim, name);
    this.protocol = protocol;
    this.index = index;
  }

  get incarnation(): number {
    return this._incarnation;
  }

  /** True after `leave()`: the member no longer takes part. */
  get hasLeft(): boolean {
    return this._left;
  }

  /** How this member sees `other` (a member, or its name); null if it does not know it. */
  viewOf(other: SwimMember | string): MemberView | null {
    const member = typeof other === "string" ? this.protocol.member(other) : other;
    const packed = member === this ? pack(this._incarnation, ALIVE) : this.entry(member.index);
    if (packed === UNKNOWN) return null;
    return {
      name: member.name,
      state: STATE_NAMES[stateOf(packed)]!,
      incarnation: incarnationOf(packed),
    };
  }

  /** This member's whole view, in roster order (itself included, alive). */
  view(): MemberView[] {
    const out: MemberView[] = [];
    for (const member of this.protocol.members) {
      const seen = this.viewOf(member);
      if (seen !== null) out.push(seen);
    }
    return out;
  }

  /** Names of the members this member sees alive or suspect (itself included), in roster order. */
  liveView(): string[] {
    const out: string[] = [];
    for (const member of this.protocol.members) {
      const packed = member === this ? 0 : this.entry(member.index);
      if (packed !== UNKNOWN && stateOf(packed) <= SUSPECT) out.push(member.name);
    }
    return out;
  }

  /**
   * Leaves the cluster gracefully: tells a few members it left (at a bumped incarnation), who
   * spread it, then stops taking part.
   */
  leave(): void {
    if (this._left) return;
    if (!this.isUp) {
      throw new SimulationError("leave() on a crashed member", this.name, this.sim.nowNs);
    }
    this._incarnation++;
    const packed = pack(this._incarnation, LEFT);
    const told = this.randomLiveMembers(-1, Math.max(1, this.protocol.indirectProbes));
    for (const to of told) {
      this.send(to, "leave", {
        seq: 0,
        incarnation: this._incarnation,
        target: this.index,
        origin: -1,
        updates: [this.index, packed],
      });
    }
    this.protocol._event(this, this, "left", this._incarnation);
    // Its timers find it gone and stop; messages to it are ignored.
    this._left = true;
  }

  /** @internal Starts the protocol periods, at a random phase so members do not probe in step. */
  _begin(): void {
    this.size = 0;
    this.after(
      this.rng().next() * this.protocol.probeInterval,
      protocolPeriod,
      this as SwimMember,
      DAEMON,
    );
  }

  override handle(message: Message<SwimPayload>): void {
    if (this._left) return;
    const extension = this._extension;
    if (extension !== null && message.kind.startsWith(extension.prefix)) {
      extension.handle(message as Message<unknown>);
      return;
    }
    const source = message.source;
    if (!(source instanceof SwimMember) || source.protocol !== this.protocol) {
      throw new SimulationError(
        `received "${message.kind}" from ${source === null ? "outside any entity" : `"${source.name}"`}, not a member of its cluster`,
        this.name,
        this.nowNs,
      );
    }
    const payload = message.payload;
    const from = source.index;
    this.learn(from, pack(payload.incarnation, ALIVE));
    const updates = payload.updates;
    if (updates !== null) {
      for (let i = 0; i < updates.length; i += 2) this.learn(updates[i]!, updates[i + 1]!);
    }
    switch (message.kind) {
      case "ping":
        this.sendTo(from, "ack", payload.seq, payload.target, payload.origin);
        return;
      case "ping-req":
        // Probe `target` for `from`: its ack comes back here and is passed on.
        this.sendTo(payload.target, "ping", payload.seq, payload.target, from);
        return;
      case "ack":
        if (payload.origin >= 0 && payload.origin !== this.index) {
          this.sendTo(payload.origin, "ack", payload.seq, payload.target, -1);
          return;
        }
        if (payload.seq === this.seq && payload.target === this.probing && !this.acked) {
          this.acked = true;
          this.protocol._acksReceived++;
          if (this.ackTimer >= 0) {
            this.cancelTimer(this.ackTimer);
            this.ackTimer = -1;
          }
          if (this.detector !== null && payload.origin < 0) {
            this.rttClock += (this.nowNs - this.probeSentNs) / 1e9;
            this.detector.heartbeat(this.rttClock);
          }
        }
        return;
      case "join":
        this.sendState(from);
        return;
      case "state":
      case "leave":
        return;
      default:
        throw new SimulationError(`unknown SWIM message "${message.kind}"`, this.name, this.nowNs);
    }
  }

  /** @internal One protocol period: judge the last probe, then probe the next member. */
  _period(): void {
    if (this._left) return;
    const protocol = this.protocol;
    this.after(protocol.probeInterval, protocolPeriod, this as SwimMember, DAEMON);
    if (this.probing >= 0 && !this.acked) {
      protocol._probesFailed++;
      const packed = this.entry(this.probing);
      // Only a member probed as alive, and not heard of since, is suspected: a reprobe of the
      // dead that finds it still silent proves nothing new.
      if (packed === this.probedEntry && stateOf(packed) === ALIVE) {
        this.learn(this.probing, pack(incarnationOf(packed), SUSPECT));
      }
    }
    this.probing = -1;
    if (this.ackTimer >= 0) {
      this.cancelTimer(this.ackTimer);
      this.ackTimer = -1;
    }
    this.periods++;
    let target = -1;
    if (protocol.reprobeDeadEvery > 0 && this.periods % protocol.reprobeDeadEvery === 0) {
      target = this.nextDead();
    }
    if (target < 0) target = this.nextProbeTarget();
    if (target < 0) return;
    this.probing = target;
    this.probedEntry = this.entry(target);
    this.acked = false;
    this.seq++;
    this.probeSentNs = this.nowNs;
    protocol._probesSent++;
    this.sendTo(target, "ping", this.seq, target, -1);
    this.ackTimer = this.after(this.ackTimeout(), ackTimedOut, this as SwimMember, DAEMON);
  }

  /** @internal No ack in time: ask k others to probe the target. */
  _ackTimedOut(): void {
    this.ackTimer = -1;
    if (this.acked || this.probing < 0) return;
    const relays = this.randomLiveMembers(this.probing, this.protocol.indirectProbes);
    for (const relay of relays) {
      this.protocol._indirectProbesSent++;
      this.sendTo(relay.index, "ping-req", this.seq, this.probing, -1);
    }
  }

  /** @internal The suspicion of `subject` ran out: dead, unless refuted meanwhile. */
  _suspicionExpired(subject: number, packed: number): void {
    this.suspicionTimers?.delete(subject);
    if (this.entry(subject) !== packed) return;
    this.learn(subject, pack(incarnationOf(packed), DEAD));
  }

  /** @internal Joins through `via`: asks it for its view. */
  _join(via: SwimMember): void {
    this.sendTo(via.index, "join", 0, this.index, -1);
  }

  /** @internal A whole view from a member this one joined through. */
  _mergeState(entries: readonly number[]): void {
    for (let i = 0; i < entries.length; i += 2) this.learn(entries[i]!, entries[i + 1]!);
  }

  protected override onCrash(): void {
    // The view, the gossip queue and the probe under way are volatile; the incarnation is not
    // (a restarted member comes back above every claim made about it).
    this.overrides = null;
    this.suspicionTimers = null;
    this.updates = null;
    this.probing = -1;
    this.ackTimer = -1;
    this._extension?.onCrash();
  }

  protected override onRecover(): void {
    if (this._left) return;
    this._incarnation++;
    this.enqueue(this.index, pack(this._incarnation, ALIVE));
    this._begin();
    this._extension?.onRecover();
  }

  // ---- view -----------------------------------------------------------------------------

  /** @internal The packed view entry of roster member `index` (UNKNOWN if not known). */
  entry(index: number): number {
    if (index === this.index) return pack(this._incarnation, ALIVE);
    const overridden = this.overrides?.get(index);
    if (overridden !== undefined) return overridden;
    return index < this.protocol.initialCount ? 0 : UNKNOWN;
  }

  /** Applies a claim about `subject`: the higher (incarnation, state) wins. */
  private learn(subject: number, packed: number): void {
    const protocol = this.protocol;
    if (subject === this.index) {
      if (stateOf(packed) !== ALIVE && incarnationOf(packed) >= this._incarnation) {
        if (!protocol._plantedRefuteWithoutBump) this._incarnation = incarnationOf(packed) + 1;
        protocol._refutations++;
        protocol._event(this, this, "refuted", this._incarnation);
        this.enqueue(this.index, pack(this._incarnation, ALIVE));
      }
      return;
    }
    const current = this.entry(subject);
    const state = stateOf(packed);
    // Alive at the same incarnation never overrides: only a refutation (a bump) does.
    if (
      current !== UNKNOWN &&
      !(packed > current && (state !== ALIVE || incarnationOf(packed) > incarnationOf(current)))
    ) {
      return;
    }
    if (current === UNKNOWN && state !== ALIVE) {
      // A claim that a member this one never knew is gone: remember it, quietly.
      this.setEntry(subject, packed);
      return;
    }
    this.setEntry(subject, packed);
    this.enqueue(subject, packed);
    const member = protocol.members[subject]!;
    const incarnation = incarnationOf(packed);
    const was = current === UNKNOWN ? -1 : stateOf(current);
    if (state === SUSPECT) {
      protocol._suspicions++;
      protocol._event(this, member, "suspected", incarnation);
      if (this.suspicionTimers === null) this.suspicionTimers = new Map();
      const timers = this.suspicionTimers;
      const old = timers.get(subject);
      if (old !== undefined) this.cancelTimer(old);
      timers.set(
        subject,
        this.after(
          protocol.suspicionTimeout,
          suspicionExpired,
          { member: this as SwimMember, subject, packed },
          DAEMON,
        ),
      );
      return;
    }
    this.clearSuspicion(subject);
    if (state === DEAD) {
      if (was !== DEAD) {
        protocol._deaths++;
        protocol._event(this, member, "died", incarnation);
      }
    } else if (state === LEFT) {
      if (was !== LEFT) protocol._event(this, member, "left", incarnation);
    } else if (was === -1) {
      protocol._event(this, member, "joined", incarnation);
    } else if (was !== ALIVE) {
      protocol._event(this, member, "alive", incarnation);
    }
  }

  private setEntry(subject: number, packed: number): void {
    // Back to the roster's start: forget the difference (an idle member keeps nothing).
    if (packed === 0 && subject < this.protocol.initialCount) {
      this.overrides?.delete(subject);
      return;
    }
    if (this.overrides === null) this.overrides = new Map();
    this.overrides.set(subject, packed);
  }

  private clearSuspicion(subject: number): void {
    const timers = this.suspicionTimers;
    if (timers === null) return;
    const token = timers.get(subject);
    if (token === undefined) return;
    this.cancelTimer(token);
    timers.delete(subject);
  }

  // ---- dissemination -------------------------------------------------------------------

  private enqueue(subject: number, packed: number): void {
    if (this.updates === null) this.updates = [];
    const queue = this.updates;
    for (let i = 0; i < queue.length; i++) {
      if (queue[i]!.member === subject) {
        queue.splice(i, 1);
        break;
      }
    }
    // Newest first: a fresh update goes out before ones already sent many times.
    queue.unshift({ member: subject, packed, remaining: this.protocol._retransmits() });
  }

  /** Sends `kind` to roster member `to`, with what this member has to spread. */
  private sendTo(to: number, kind: string, seq: number, target: number, origin: number): void {
    const protocol = this.protocol;
    let updates: number[] | null = null;
    // Tell the recipient how this member sees it when it is not alive: it refutes a stale claim.
    const aboutThem = this.entry(to);
    if (aboutThem !== UNKNOWN && stateOf(aboutThem) !== ALIVE) updates = [to, aboutThem];
    const queue = this.updates;
    if (queue !== null && queue.length > 0) {
      updates ??= [];
      let taken = 0;
      for (let i = 0; i < queue.length && taken < protocol.maxPiggyback; ) {
        const update = queue[i]!;
        updates.push(update.member, update.packed);
        taken++;
        if (--update.remaining <= 0) queue.splice(i, 1);
        else i++;
      }
    }
    if (updates !== null) protocol._updatesDisseminated += updates.length / 2;
    const pieces = updates === null ? 0 : updates.length / 2;
    this.send(
      protocol.members[to]!,
      kind,
      { seq, incarnation: this._incarnation, target, origin, updates },
      { sizeBytes: 32 + 12 * pieces },
    );
  }

  /** Answers a joiner with this member's whole view (every entry that differs from the roster's start). */
  private sendState(to: number): void {
    const entries: number[] = [];
    const overrides = this.overrides;
    if (overrides !== null) {
      for (const index of [...overrides.keys()].sort((a, b) => a - b)) {
        entries.push(index, overrides.get(index)!);
      }
    }
    entries.push(this.index, pack(this._incarnation, ALIVE));
    this.protocol._deliverState(this, to, entries);
  }

  // ---- choosing whom to probe ----------------------------------------------------------

  /**
   * The cluster's one stream: a stream per member would cost ~300 bytes each (a tenth of a
   * 10,000-member cluster's memory); draws still follow the run's deterministic event order.
   */
  private rng(): RandomStream {
    return this.protocol._draws;
  }

  /** The next member to probe in this round's order: alive or suspect, not itself. */
  private nextProbeTarget(): number {
    const roster = this.protocol.members.length;
    for (let tries = 0; tries <= roster; tries++) {
      if (this.step >= this.size || this.size !== roster) this.reshuffle(roster);
      const index = (this.step * this.stride + this.offset) % this.size;
      this.step++;
      if (index === this.index) continue;
      const packed = this.entry(index);
      if (packed !== UNKNOWN && stateOf(packed) <= SUSPECT) return index;
    }
    return -1;
  }

  /** A new round: a fresh random affine permutation of the roster. */
  private reshuffle(roster: number): void {
    const draws = this.rng();
    this.size = roster;
    this.step = 0;
    this.offset = draws.integer(roster);
    if (roster <= 2) {
      this.stride = 1;
      return;
    }
    let stride = 1 + draws.integer(roster - 1);
    while (gcd(stride, roster) !== 1) stride = stride === roster - 1 ? 1 : stride + 1;
    this.stride = stride;
  }

  /** The next member this one believes dead or left, round-robin; -1 if none. */
  private nextDead(): number {
    const overrides = this.overrides;
    if (overrides === null) return -1;
    const roster = this.protocol.members.length;
    for (let tries = 0; tries < roster; tries++) {
      const index = this.deadCursor;
      this.deadCursor = (this.deadCursor + 1) % roster;
      const packed = overrides.get(index);
      if (packed !== undefined && stateOf(packed) >= DEAD && !this.protocol.members[index]!._left) {
        return index;
      }
    }
    return -1;
  }

  /** Up to `count` distinct members this one sees alive, other than itself and `except`. */
  private randomLiveMembers(except: number, count: number): SwimMember[] {
    const members = this.protocol.members;
    const chosen: SwimMember[] = [];
    if (count === 0) return chosen;
    const draws = this.rng();
    const roster = members.length;
    for (let tries = 0; tries < 4 * count + 8 && chosen.length < count; tries++) {
      const index = draws.integer(roster);
      if (index === this.index || index === except) continue;
      const packed = this.entry(index);
      if (packed === UNKNOWN || stateOf(packed) !== ALIVE) continue;
      const member = members[index]!;
      if (!chosen.includes(member)) chosen.push(member);
    }
    return chosen;
  }

  private ackTimeout(): number {
    const protocol = this.protocol;
    if (protocol.phi === null) return protocol.ackTimeout;
    this.detector ??= new PhiAccrualDetector({
      windowSize: protocol.phi.windowSize ?? 50,
      minStdDeviationSeconds: protocol.phi.minStdDeviationSeconds ?? 0.001,
      firstHeartbeatEstimateSeconds: protocol.ackTimeout / 2,
    });
    const { meanSeconds, stdDeviationSeconds } = this.detector.estimate();
    const wait = meanSeconds + protocol._phiZ * stdDeviationSeconds;
    // Never past the period: the indirect probe needs the rest of it.
    return Math.min(wait, protocol.probeInterval * 0.8);
  }
}

const DAEMON = { daemon: true } as const;

/**
 * A SWIM cluster: its members (entities on the simulation's network), their events, and its
 * counts. See the module comment.
 */
export class MembershipProtocol extends Entity {
  static readonly catalog: CatalogEntry = {
    name: "MembershipProtocol",
    kind: "component",
    role: "coordination",
    layer: "distributed",
    contract:
      "SWIM membership: every member probes one other per period (round-robin over a reshuffled order), probes indirectly through k members on no ack, suspects, then declares dead after a suspicion timeout unless the member refutes with a higher incarnation; updates spread piggybacked on probes and acks.",
    requires: ["Network", "FailureDetector"],
    provides: ["Membership", "FailureDetector", "Heartbeat"],
    inputs: ["probe, ack and ping-req messages", "crashes, pauses, partitions and loss"],
    outputs: [
      "each member's view (alive, suspect, dead, left with incarnations)",
      "events: joined, suspected, died, alive, refuted, left (with times)",
    ],
    state:
      "per member: its incarnation, where its view differs from the roster, suspicion timers, the updates it still spreads, its probe order (3 numbers)",
    failure_semantics:
      "A crashed member loses its view and gossip queue and keeps its incarnation; it comes back above any claim about it. Loss and pauses cause suspicions that the member refutes; a partition lets each side declare the other dead; after heal, members tell each other how they see them and reprobe the dead, so every live member refutes and views converge.",
    composition_rules: ["Network", "LeaderElection", "FailureDetector"],
    operational_knobs: knobs<MembershipOptions>()(
      "members",
      "probeInterval",
      "ackTimeout",
      "indirectProbes",
      "suspicionTimeout",
      "retransmitMultiplier",
      "maxPiggyback",
      "reprobeDeadEvery",
      "phi",
      "recordEvents",
      "onEvent",
    ),
  };

  readonly probeInterval: number;
  readonly ackTimeout: number;
  readonly indirectProbes: number;
  readonly suspicionTimeout: number;
  readonly retransmitMultiplier: number;
  readonly maxPiggyback: number;
  readonly reprobeDeadEvery: number;
  readonly phi: PhiProbeOptions | null;
  /** Members of the roster's start: every member's view starts with them alive at 0. */
  readonly initialCount: number;
  private readonly roster: SwimMember[] = [];
  private readonly byName = new Map<string, SwimMember>();
  private readonly recordEvents: boolean;
  private readonly onEvent: ((event: MembershipEvent) => void) | null;
  private readonly _events: MembershipEvent[] = [];
  /** @internal z with phi(z) = threshold: an adaptive timeout is mean + z x std. */
  readonly _phiZ: number;
  /**
   * @internal Planted bug for the checkers' tests (set right after construction): a refutation
   * that does not bump the incarnation, so it never overrides the suspicion it answers.
   */
  _plantedRefuteWithoutBump = false;
  /** @internal Every member's draws (probe order, phases, relays). */
  readonly _draws: RandomStream = this.random("swim");
  private retransmitsFor = -1;
  private retransmitsCached = 0;

  /** @internal Counters, kept here rather than per member: one set for the cluster. */
  _probesSent = 0;
  _indirectProbesSent = 0;
  _acksReceived = 0;
  _probesFailed = 0;
  _updatesDisseminated = 0;
  _suspicions = 0;
  _deaths = 0;
  _refutations = 0;

  constructor(sim: Simulation, name: string, options: MembershipOptions) {
    if (options === null || typeof options !== "object") {
      throw new ConfigError(`${COMPONENT} "${name}"`, "options", "an options object", options);
    }
    const at = `${COMPONENT} "${name}"`;
    const names = memberNames(at, name, options.members);
    const probeInterval = requireSeconds(at, "probeInterval", options.probeInterval ?? 1);
    const ackTimeout = requireSeconds(at, "ackTimeout", options.ackTimeout ?? 0.2);
    if (ackTimeout >= probeInterval) {
      throw new ConfigError(
        at,
        "ackTimeout",
        `seconds < probeInterval (${probeInterval})`,
        ackTimeout,
      );
    }
    const indirectProbes = requireInteger(at, "indirectProbes", options.indirectProbes ?? 3, 0);
    const suspicionTimeout = requireSeconds(at, "suspicionTimeout", options.suspicionTimeout ?? 5);
    const multiplier = options.retransmitMultiplier ?? 3;
    if (typeof multiplier !== "number" || !Number.isFinite(multiplier) || multiplier < 1) {
      throw new ConfigError(at, "retransmitMultiplier", "a number >= 1", multiplier);
    }
    const maxPiggyback = requireInteger(at, "maxPiggyback", options.maxPiggyback ?? 8, 1);
    const reprobe = requireInteger(at, "reprobeDeadEvery", options.reprobeDeadEvery ?? 5, 0);
    const phi = checkPhi(at, options.phi);
    const recordEvents = options.recordEvents ?? true;
    if (typeof recordEvents !== "boolean") {
      throw new ConfigError(at, "recordEvents", "true or false", recordEvents);
    }
    const onEvent = options.onEvent ?? null;
    if (onEvent !== null && typeof onEvent !== "function") {
      throw new ConfigError(at, "onEvent", "a function", onEvent);
    }
    super(sim, name);
    this.probeInterval = probeInterval;
    this.ackTimeout = ackTimeout;
    this.indirectProbes = indirectProbes;
    this.suspicionTimeout = suspicionTimeout;
    this.retransmitMultiplier = multiplier;
    this.maxPiggyback = maxPiggyback;
    this.reprobeDeadEvery = reprobe;
    this.phi = phi;
    this.recordEvents = recordEvents;
    this.onEvent = onEvent;
    this._phiZ = phi === null ? 0 : zForPhi(phi.threshold ?? 8);
    this.initialCount = names.length;
    for (const memberName of names) this.addMember(memberName);
    for (const member of this.roster) member._begin();
  }

  /** Every member ever in the cluster, in roster order (crashed and left ones included). */
  get members(): readonly SwimMember[] {
    return this.roster;
  }

  /** The member named `name`. */
  member(name: string): SwimMember {
    const found = this.byName.get(name);
    if (found === undefined) {
      throw new ConfigError(`${COMPONENT} "${this.name}"`, "member", "the name of a member", name);
    }
    return found;
  }

  /** Every event so far, in order (empty with `recordEvents: false`). */
  get events(): readonly MembershipEvent[] {
    return this._events;
  }

  /**
   * A new member named `name` joins through `via` (a live member): it asks `via` for its view,
   * and `via` spreads the news. Returns the new member.
   */
  join(name: string, via: SwimMember): SwimMember {
    const at = `${COMPONENT} "${this.name}".join`;
    if (!(via instanceof SwimMember) || via.protocol !== this) {
      throw new ConfigError(at, "via", "a member of this cluster", via);
    }
    if (typeof name !== "string" || name === "" || this.byName.has(name)) {
      throw new ConfigError(at, "name", "a name no member has", name);
    }
    const member = this.addMember(name);
    member._join(via);
    member._begin();
    return member;
  }

  /** Counts for the whole cluster. */
  get stats(): MembershipStats {
    return {
      members: this.roster.length,
      probesSent: this._probesSent,
      indirectProbesSent: this._indirectProbesSent,
      acksReceived: this._acksReceived,
      probesFailed: this._probesFailed,
      updatesDisseminated: this._updatesDisseminated,
      suspicions: this._suspicions,
      deaths: this._deaths,
      refutations: this._refutations,
    };
  }

  override metrics(): EntityMetrics {
    return { ...this.stats };
  }

  protected override onResetStats(): void {
    this._probesSent = 0;
    this._indirectProbesSent = 0;
    this._acksReceived = 0;
    this._probesFailed = 0;
    this._updatesDisseminated = 0;
    this._suspicions = 0;
    this._deaths = 0;
    this._refutations = 0;
  }

  /** @internal Times each update is piggybacked: ceil(lambda x log10(n + 1)). */
  _retransmits(): number {
    const n = this.roster.length;
    if (n !== this.retransmitsFor) {
      this.retransmitsFor = n;
      this.retransmitsCached = Math.max(
        1,
        Math.ceil((this.retransmitMultiplier * log(n + 1)) / Math.LN10),
      );
    }
    return this.retransmitsCached;
  }

  /** @internal Records (and announces) an event. */
  _event(
    observer: SwimMember,
    member: SwimMember,
    kind: MembershipEvent["kind"],
    incarnation: number,
  ): void {
    if (!this.recordEvents && this.onEvent === null) return;
    const event: MembershipEvent = {
      time: this.now,
      observer: observer.name,
      member: member.name,
      kind,
      incarnation,
    };
    if (this.recordEvents) this._events.push(event);
    this.onEvent?.(event);
  }

  /** @internal A joiner's answer: the view travels as a message from `from` to the joiner. */
  _deliverState(from: SwimMember, to: number, entries: number[]): void {
    const joiner = this.roster[to]!;
    from.send(
      joiner,
      "state",
      {
        seq: 0,
        incarnation: from.incarnation,
        target: to,
        origin: -1,
        updates: entries,
      },
      { sizeBytes: 32 + 12 * (entries.length / 2) },
    );
  }

  private addMember(memberName: string): SwimMember {
    const member = new SwimMember(this.sim, memberName, this, this.roster.length);
    this.roster.push(member);
    this.byName.set(memberName, member);
    return member;
  }
}

function memberNames(at: string, name: string, members: unknown): string[] {
  if (typeof members === "number") {
    requireInteger(at, "members", members, 1);
    return Array.from({ length: members }, (_, i) => `${name}-${i}`);
  }
  if (
    !Array.isArray(members) ||
    members.length === 0 ||
    members.some((m) => typeof m !== "string" || m === "") ||
    new Set(members).size !== members.length
  ) {
    throw new ConfigError(at, "members", "a count >= 1 or distinct non-empty names", members);
  }
  return [...members];
}

function checkPhi(at: string, phi: unknown): PhiProbeOptions | null {
  if (phi === undefined) return null;
  if (phi === null || typeof phi !== "object") {
    throw new ConfigError(at, "phi", "{ threshold?, windowSize?, minStdDeviationSeconds? }", phi);
  }
  const options = phi as PhiProbeOptions;
  // The detector checks its own options; built once here so a bad one fails at construction,
  // reported as this cluster's option ("phi.threshold"), which is what the user wrote.
  try {
    new PhiAccrualDetector({
      threshold: options.threshold ?? 8,
      windowSize: options.windowSize ?? 50,
      minStdDeviationSeconds: options.minStdDeviationSeconds ?? 0.001,
    });
  } catch (error) {
    if (!(error instanceof ConfigError)) throw error;
    throw new ConfigError(at, `phi.${error.parameter}`, error.expected, error.given);
  }
  return options;
}

/** The z at which -log10 of the normal tail reaches `threshold` (bisection: phi grows with z). */
function zForPhi(threshold: number): number {
  let low = -10;
  let high = 40;
  for (let i = 0; i < 80; i++) {
    const mid = (low + high) / 2;
    if (-logStandardNormalTail(mid) / Math.LN10 < threshold) low = mid;
    else high = mid;
  }
  return high;
}
