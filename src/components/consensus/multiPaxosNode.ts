/**
 * `MultiPaxosNode`: Multi-Paxos, a log of slots each decided by Paxos, applied in slot order to
 * a pluggable `StateMachine`. A distinguished leader runs phase 1 once, over every slot from its
 * first unchosen one (its promises bring back every value a quorum accepted there), re-proposes
 * what it found (the highest-ballot value of each slot, a no-op for a hole), and then proposes
 * each new command with phase 2 alone: one round trip to a phase-2 quorum per command.
 *
 * Leadership: the leader sends heartbeats every `heartbeatInterval`; a node that hears none
 * for its election timeout (drawn in [`electionTimeout`, 2 x `electionTimeout`) from its seeded
 * stream, so nodes rarely suspect at once) starts phase 1 with a higher ballot. A leader that
 * is told of a higher ballot (a nack) steps down. Followers that see from a heartbeat that they
 * miss chosen slots ask the leader for them.
 *
 * With `checkQuorum`, a leader that has not heard from a phase-2 quorum (accepteds, or the
 * answers followers then send to its heartbeats) within an election timeout steps down: a
 * leader cut off one way (it can send but not receive) commits nothing, yet its heartbeats keep
 * the followers from suspecting it, so without the option it is replaced only after the heal.
 * The option also makes a node ignore another's prepare while it leads or heard from a leader
 * within the election timeout (leader stickiness, as in Raft), so the deposed leader, still
 * deaf, cannot unseat its successor with ever higher ballots. Ignoring a prepare is always safe.
 *
 * Proposals: `yield* node.propose(command)` on the leader returns the command's result once
 * its slot is chosen and applied here; on another node it throws `NotLeaderError` naming the
 * leader it knows (certainly not applied). A proposal whose leader lost leadership first fails
 * with `ProposalLostError` (it may still be chosen). A client that retries gives a session
 * (`{ client, seq }`): each client's command applies at most once, and a retry of an applied
 * one answers the first result. Reads go through the log as commands, so they are
 * linearizable (no read lease: a leader that does not know it was deposed would serve stale
 * reads from memory).
 *
 * Durable (a `DurableLog` on the node's `<name>.disk`, synced before every answer): promises,
 * acceptances, the rounds its own ballots used, and the slots it learned chosen. A restart
 * restores the state machine's initial snapshot and re-applies the chosen prefix it kept.
 *
 * Snapshots (`snapshotEvery`): every N applied slots the node snapshots its state machine and
 * sessions, drops the slots below from memory, and rewrites its log without them (crash-safe:
 * `AcceptorState.truncate`). Dropped slots are chosen, not holes: a promise for them carries
 * the snapshot (the candidate installs it instead of filling them with no-ops), a catch-up for
 * them is answered with it, and a restart starts from it.
 *
 * @example
 * const members = ["m1", "m2", "m3"];
 * const nodes = members.map((name) => new MultiPaxosNode(sim, name, { members, stateMachine: new KVStateMachine<string>() }));
 * // In a process, on the leader:
 * yield* leader.propose({ op: "put", key: "x", value: "1" });
 */
import { type CatalogEntry, knobs } from "../../catalog/entry.js";
import { Entity, type EntityMetrics } from "../../core/entity.js";
import type { SimFuture } from "../../core/future.js";
import type { Message } from "../../core/message.js";
import type { ProcessGenerator } from "../../core/process.js";
import type { Simulation } from "../../core/simulation.js";
import { ConfigError } from "../../errors/errors.js";
import type { Latency } from "../shared/latency.js";
import { optionalBoolean, requireInteger, requireSeconds } from "../shared/validate.js";
import type { DiskError } from "../storage/diskErrors.js";
import { NotLeaderError } from "./notLeaderError.js";
import {
  type AcceptedValue,
  type AcceptorSnapshot,
  AcceptorState,
  answer,
  type Ballot,
  broadcast,
  checkTiming,
  compareBallots,
  Members,
  majority,
  ProposalLostError,
  QuorumTracker,
  ZERO_BALLOT,
} from "./paxosCore.js";
import type { StateMachine } from "./stateMachine.js";

export interface MultiPaxosNodeOptions<C, R> {
  /** Every node's name, this one's included. */
  members: readonly string[];
  /** The state machine the chosen commands are applied to (its state at construction is the initial one). */
  stateMachine: StateMachine<C, R>;
  /** Seconds between a leader's heartbeats, and between resends of unanswered accepts (> 0). Default 0.05. */
  heartbeatInterval?: number;
  /** Least seconds without a heartbeat before a node suspects the leader (> 0). Default 0.3. */
  electionTimeout?: number;
  /** Base of the seeded backoff between phase-1 attempts, seconds (> 0). Default 0.05. */
  retryBackoff?: number;
  /** Seconds a sync of the node's disk takes: a number, profile or distribution. Default 0.002. */
  syncLatency?: Latency;
  /**
   * A leader steps down when a phase-2 quorum has not answered within an election timeout, and
   * a node that leads or heard from a leader within one ignores others' prepares. Default false.
   */
  checkQuorum?: boolean;
  /**
   * Every this many applied slots the node snapshots its state machine and client sessions
   * and drops the slots below from memory and disk (integer >= 0; 0: never, the log grows
   * without bound). Default 0.
   */
  snapshotEvery?: number;
}

/** A client's place in its own sequence of commands: each applies at most once. */
export interface PaxosSession {
  readonly client: string;
  readonly seq: number;
}

/** What a slot holds: a command with its proposal's id (and session), or a no-op (null). */
export type PaxosLogEntry<C> = {
  readonly id: string;
  readonly command: C;
  readonly session: PaxosSession | null;
} | null;

/** A proposal sent as a message (the KV client's way in). */
export interface ProposeRequest<C> {
  readonly type: "propose";
  readonly command: C;
  readonly session: PaxosSession | null;
}

/** What Multi-Paxos nodes say to each other (`from`: the sender's place in `members`). */
export type MultiPaxosMessage<C> =
  | {
      readonly type: "prepare";
      readonly from: number;
      readonly ballot: Ballot;
      readonly fromSlot: number;
    }
  | {
      readonly type: "promise";
      readonly from: number;
      readonly ballot: Ballot;
      readonly accepted: readonly (readonly [number, AcceptedValue<PaxosLogEntry<C>>])[];
      /**
       * The acceptor's snapshot, when it folds slots from the prepare's `fromSlot` on: those
       * slots are chosen, and their accepted values are gone (not holes to fill).
       */
      readonly snapshot?: AcceptorSnapshot;
    }
  | {
      readonly type: "nack";
      readonly from: number;
      readonly ballot: Ballot;
      readonly promised: Ballot;
    }
  | {
      readonly type: "accept";
      readonly from: number;
      readonly ballot: Ballot;
      readonly slot: number;
      readonly value: PaxosLogEntry<C>;
    }
  | {
      readonly type: "accepted";
      readonly from: number;
      readonly ballot: Ballot;
      readonly slot: number;
    }
  | {
      readonly type: "chosen";
      readonly from: number;
      readonly slot: number;
      readonly value: PaxosLogEntry<C>;
    }
  | {
      readonly type: "heartbeat";
      readonly from: number;
      readonly ballot: Ballot;
      readonly chosenPrefix: number;
      /** Set by a leader with check-quorum: followers answer with a heartbeat-ack. */
      readonly wantsAck?: true;
    }
  | { readonly type: "heartbeat-ack"; readonly from: number; readonly ballot: Ballot }
  | { readonly type: "catchup"; readonly from: number; readonly fromSlot: number }
  | {
      readonly type: "entries";
      readonly from: number;
      readonly entries: readonly (readonly [number, PaxosLogEntry<C>])[];
    }
  /** A catch-up answer for slots the sender folded into its snapshot. */
  | { readonly type: "snapshot"; readonly from: number; readonly snapshot: AcceptorSnapshot };

/** What a Multi-Paxos snapshot holds: the state machine's state and the client sessions. */
interface SnapshotState<R> {
  readonly machine: unknown;
  readonly sessions: readonly (readonly [string, Session<R>])[];
}

interface Session<R> {
  readonly seq: number;
  readonly result: R;
}

/** What a node has done, in the statistics vocabulary. */
export interface MultiPaxosNodeStats {
  /** Proposals asked of this node (process calls and messages). */
  readonly proposals: number;
  /** Proposals answered with their result. */
  readonly committed: number;
  /** Refused: this node was not the leader. */
  readonly redirected: number;
  /** Failed after acceptance: leadership lost or the slot taken. */
  readonly lost: number;
  /** Phase-1 attempts (elections) this node started, and won. */
  readonly electionsStarted: number;
  readonly electionsWon: number;
  /** Slots applied to the state machine here (no-ops included). */
  readonly applied: number;
  /** Slots this node knows are chosen, in a row from slot 0. */
  readonly chosenPrefix: number;
  /** Commands a session had already applied (a client's retry): answered, not applied twice. */
  readonly duplicates: number;
  /** 1 while this node leads. */
  readonly leading: number;
  /** Times this node stepped down as leader for want of a phase-2 quorum heard (check-quorum). */
  readonly quorumLost: number;
  /** Prepares ignored because this node led or heard from a leader recently (check-quorum). */
  readonly preparesIgnored: number;
  /** Snapshots this node took (`snapshotEvery`), and installed from another node. */
  readonly snapshotsTaken: number;
  readonly snapshotsInstalled: number;
}

type Role = "follower" | "candidate" | "leader";

/** A slot the leader proposed and has not yet seen chosen. */
interface Pending<C> {
  readonly value: PaxosLogEntry<C>;
  readonly accepts: QuorumTracker;
}

interface Waiter<R> {
  readonly id: string;
  readonly future: SimFuture<R>;
}

/** Catch-up answers carry at most this many slots (a follower asks again for the rest). */
const CATCHUP_BATCH = 64;

export class MultiPaxosNode<C, R> extends Entity<MultiPaxosMessage<C> | ProposeRequest<C>, R> {
  static readonly catalog: CatalogEntry = {
    name: "MultiPaxosNode",
    kind: "component",
    role: "coordination",
    layer: "distributed",
    contract:
      "Multi-Paxos over a log of slots: one command chosen per slot, never two, applied in slot order to a pluggable state machine on every node. A stable leader runs phase 1 once for all slots and then one phase-2 round trip per command; holes are filled with no-ops; a node that suspects the leader (no heartbeat) takes over with a higher ballot. propose(command) on the leader returns the command's result; elsewhere it fails with NotLeaderError naming the leader. With a session, a client's command applies at most once however often it is retried.",
    requires: ["Quorum", "Disk", "Network", "Heartbeat"],
    provides: ["Consensus", "ReplicatedLog", "LeaderElection", "Ordered", "Durable"],
    inputs: [
      "propose(command, session?) (process call), propose messages",
      "prepare, promise, nack, accept, accepted, chosen, heartbeat, heartbeat-ack, catchup, entries, snapshot messages",
    ],
    outputs: [
      "results of applied commands; NotLeaderError, ProposalLostError",
      "proposals, committed, redirected, lost, electionsStarted, electionsWon, applied, chosenPrefix, duplicates, leading, quorumLost, preparesIgnored, snapshotsTaken, snapshotsInstalled",
    ],
    state:
      "durable: promised ballot, accepted value per slot, rounds used, slots learned chosen (a log synced before every answer), and with snapshotEvery the latest snapshot (state machine and sessions) in place of the slots below it (the log is rewritten without them); volatile: role, leader, pending slots, the state machine (rebuilt from the snapshot and the chosen slots after it on restart)",
    failure_semantics:
      "A crash loses the role and the proposals waiting on this node (their callers time out or get ProposalLostError); the node restarts as a follower with its promises and acceptances, restores its snapshot, re-applies the chosen slots it kept after it and catches up from the leader (by a snapshot when the leader dropped the slots it lacks); a crash during a log rewrite replays the previous file. A write its disk fails (full, or the disk's own power loss) crash-stops the node (a process crash, traced), never the simulation. A partitioned or paused leader is replaced after the election timeout; its late accepts are refused by the higher promise. A leader cut off one way (sending, not receiving) keeps the followers from suspecting it: without checkQuorum it is replaced only after the heal; with it, it steps down within an election timeout and the others elect a successor. Lost and duplicated messages are resent or counted once. Progress needs a phase-1 quorum to elect and a phase-2 quorum per command.",
    composition_rules: ["Network", "Disk", "PaxosKVClient", "FlexiblePaxosNode"],
    operational_knobs: knobs<MultiPaxosNodeOptions<unknown, unknown>>()(
      "members",
      "stateMachine",
      "heartbeatInterval",
      "electionTimeout",
      "retryBackoff",
      "syncLatency",
      "checkQuorum",
      "snapshotEvery",
    ),
  };

  readonly members: readonly string[];
  /** Promises a candidate needs (phase 1), and acceptances a slot needs (phase 2). */
  readonly phase1Quorum: number;
  readonly phase2Quorum: number;
  readonly heartbeatInterval: number;
  readonly electionTimeout: number;
  readonly retryBackoff: number;
  readonly checkQuorum: boolean;
  readonly snapshotEvery: number;
  readonly stateMachine: StateMachine<C, R>;
  private readonly initialState: unknown;
  private readonly cluster: Members;
  private readonly acceptor: AcceptorState<PaxosLogEntry<C>>;
  private readonly timeoutDraws = this.random("election");

  private role: Role = "follower";
  private ballot: Ballot = ZERO_BALLOT;
  private highestRound = 0;
  private leader = -1;
  private suspectAfterNs = 0;
  /** Check-quorum: when this node became leader, when each member last answered it, and when it last heard a leader. */
  private leaderSinceNs = 0;
  private readonly answeredAtNs: number[];
  private leaderContactNs = Number.NEGATIVE_INFINITY;
  private promises: QuorumTracker | null = null;
  private recovered = new Map<number, AcceptedValue<PaxosLogEntry<C>>>();
  private prepareFrom = 0;
  private nextSlot = 0;
  private readonly pending = new Map<number, Pending<C>>();
  private waiters = new Map<number, Waiter<R>>();
  private proposalCounter = 0;
  /** Slots applied, in a row from 0: the next one to apply. */
  private appliedUpTo = 0;
  private sessions = new Map<string, Session<R>>();

  private counts = {
    proposals: 0,
    committed: 0,
    redirected: 0,
    lost: 0,
    electionsStarted: 0,
    electionsWon: 0,
    duplicates: 0,
    quorumLost: 0,
    preparesIgnored: 0,
    snapshotsTaken: 0,
    snapshotsInstalled: 0,
  };

  constructor(sim: Simulation, name: string, options: MultiPaxosNodeOptions<C, R>) {
    const component = `${new.target.name} "${name}"`;
    const checked = checkMultiPaxosOptions(component, name, options);
    const quorums = new.target.quorumsFor(component, checked.cluster.size, options);
    super(sim, name);
    this.cluster = checked.cluster;
    this.members = checked.cluster.names;
    this.phase1Quorum = quorums[0];
    this.phase2Quorum = quorums[1];
    this.heartbeatInterval = checked.heartbeatInterval;
    this.electionTimeout = checked.electionTimeout;
    this.retryBackoff = checked.retryBackoff;
    this.checkQuorum = checked.checkQuorum;
    this.snapshotEvery = checked.snapshotEvery;
    this.answeredAtNs = new Array<number>(this.members.length).fill(Number.NEGATIVE_INFINITY);
    this.stateMachine = options.stateMachine;
    this.initialState = this.stateMachine.snapshot();
    this.acceptor = new AcceptorState<PaxosLogEntry<C>>(this, checked.syncLatency, (error) =>
      this.stopOnDiskError(error),
    );
    this.startTicking();
  }

  /** The quorum sizes (phase 1, phase 2) for `n` members: majorities here; `FlexiblePaxosNode` reads its options. */
  protected static quorumsFor(
    _component: string,
    n: number,
    _options: object,
  ): readonly [number, number] {
    return [majority(n), majority(n)];
  }

  // --- Public view --------------------------------------------------------------------------

  get isLeader(): boolean {
    return this.role === "leader";
  }

  /** The leader this node believes in (itself when leading), or null. */
  get leaderName(): string | null {
    return this.leader < 0 ? null : (this.members[this.leader] ?? null);
  }

  get currentBallot(): Ballot {
    return this.ballot;
  }

  /** Slots applied to the state machine, in a row from slot 0. */
  get appliedCount(): number {
    return this.appliedUpTo;
  }

  /**
   * The entry chosen at `slot` if this node knows it (undefined otherwise, and for a slot
   * folded into its snapshot; null is a no-op).
   */
  chosenEntry(slot: number): PaxosLogEntry<C> | undefined {
    return this.acceptor.chosen.get(slot);
  }

  /** The first slot not folded into this node's snapshot (0 without one). */
  get snapshotSlot(): number {
    return this.acceptor.snapshotSlot;
  }

  /** Called with each slot as it is applied here (a checker's hook: the applied sequence). */
  onApplied: ((slot: number, entry: PaxosLogEntry<C>) => void) | null = null;

  get stats(): MultiPaxosNodeStats {
    return {
      ...this.counts,
      applied: this.appliedUpTo,
      chosenPrefix: this.chosenPrefix(),
      leading: this.role === "leader" ? 1 : 0,
    };
  }

  override metrics(): EntityMetrics {
    return { ...this.stats };
  }

  /**
   * Proposes `command` and returns its result once its slot is chosen and applied here. Throws
   * `NotLeaderError` on a node that does not lead, `ProposalLostError` if leadership is lost
   * (or the node crashes) before its slot is chosen. With `session`, the command applies at
   * most once per (client, seq), retries included.
   */
  *propose(command: C, session: PaxosSession | null = null): Generator<SimFuture<R>, R, unknown> {
    this.counts.proposals++;
    const future = this.future<R>("multi-paxos-proposal");
    if (this.role !== "leader") {
      this.counts.redirected++;
      future.reject(new NotLeaderError(this.name, this.leaderName));
    } else {
      const id = `${this.name}.${this.ballot.round}.${this.proposalCounter++}`;
      const slot = this.nextSlot++;
      this.waiters.set(slot, { id, future });
      this.proposeAt(slot, { id, command, session });
    }
    return (yield future) as R;
  }

  // --- Timing -------------------------------------------------------------------------------

  private startTicking(): void {
    this.heard();
    this.after(this.heartbeatInterval, this.tick, undefined, { daemon: true });
  }

  /** A leader's heartbeat arrived (or the node just started): suspicion starts over. */
  private heard(): void {
    const timeout = this.electionTimeout * this.timeoutDraws.uniform(1, 2);
    this.suspectAfterNs = this.nowNs + Math.round(timeout * 1e9);
  }

  private readonly tick = (): void => {
    this.after(this.heartbeatInterval, this.tick, undefined, { daemon: true });
    if (this.role === "leader") {
      if (this.checkQuorum && !this.quorumAnswered()) {
        this.counts.quorumLost++;
        this.stepDown("check-quorum: no phase-2 quorum heard");
        this.leader = -1;
        this.heard();
        return;
      }
      this.sendHeartbeat();
      // Accepts the network lost are sent again; acceptors answer a repeat without a write.
      for (const [slot, pending] of this.pending) {
        this.broadcast({
          type: "accept",
          from: this.cluster.self,
          ballot: this.ballot,
          slot,
          value: pending.value,
        });
      }
    } else if (this.nowNs >= this.suspectAfterNs) {
      this.startElection();
    }
  };

  // --- Phase 1: election --------------------------------------------------------------------

  private startElection(): void {
    this.stepDown();
    this.role = "candidate";
    this.counts.electionsStarted++;
    this.highestRound++;
    const ballot: Ballot = { round: this.highestRound, node: this.cluster.self };
    this.ballot = ballot;
    this.leader = -1;
    this.promises = new QuorumTracker(this.phase1Quorum);
    this.recovered = new Map();
    this.prepareFrom = this.chosenPrefix();
    // A failed attempt waits a timeout and a backoff before the next.
    this.heard();
    this.suspectAfterNs += Math.round(this.retryBackoff * this.timeoutDraws.uniform(0, 2) * 1e9);
    this.start(this.prepare(ballot, this.prepareFrom), { name: "prepare" });
  }

  /** Logs the round first: after a restart this node never reuses a ballot it sent values in. */
  private *prepare(ballot: Ballot, fromSlot: number) {
    if (
      !(yield* this.acceptor.durably(
        this.acceptor.persist({ type: "ballot", round: ballot.round }),
      ))
    )
      return;
    if (this.role !== "candidate" || this.ballot !== ballot) return;
    this.broadcast({ type: "prepare", from: this.cluster.self, ballot, fromSlot });
  }

  private onPromise(m: Extract<MultiPaxosMessage<C>, { type: "promise" }>): void {
    if (this.role !== "candidate" || compareBallots(m.ballot, this.ballot) !== 0) return;
    // The acceptor dropped those slots' values: this candidate learns them as chosen instead.
    if (m.snapshot !== undefined) this.installSnapshot(m.snapshot);
    for (const [slot, accepted] of m.accepted) {
      const known = this.recovered.get(slot);
      if (known === undefined || compareBallots(accepted.ballot, known.ballot) > 0) {
        this.recovered.set(slot, accepted);
      }
    }
    if (this.promises?.add(m.from) !== true) return;
    this.becomeLeader();
  }

  private becomeLeader(): void {
    this.role = "leader";
    this.leader = this.cluster.self;
    this.counts.electionsWon++;
    this.promises = null;
    // Slots below a snapshot a promise brought (installed on its way) are chosen: no hole.
    const from = Math.max(this.prepareFrom, this.acceptor.snapshotSlot);
    let top = from - 1;
    for (const slot of this.recovered.keys()) if (slot > top) top = slot;
    for (const slot of this.acceptor.chosen.keys()) if (slot > top) top = slot;
    this.nextSlot = Math.max(top + 1, this.chosenPrefix());
    // Every slot a quorum may have chosen in is proposed again with the value it must keep;
    // a hole nobody accepted gets a no-op, so later slots can apply.
    for (let slot = from; slot <= top; slot++) {
      if (this.acceptor.chosen.has(slot)) continue;
      this.proposeAt(slot, this.recovered.get(slot)?.value ?? null);
    }
    this.recovered = new Map();
    this.leaderSinceNs = this.nowNs;
    this.sendHeartbeat();
    this.traceStateChange(
      "role",
      "candidate",
      "leader",
      `ballot ${this.ballot.round}.${this.ballot.node}`,
    );
  }

  private sendHeartbeat(): void {
    const self = this.cluster.self;
    const chosenPrefix = this.chosenPrefix();
    this.broadcast(
      this.checkQuorum
        ? { type: "heartbeat", from: self, ballot: this.ballot, chosenPrefix, wantsAck: true }
        : { type: "heartbeat", from: self, ballot: this.ballot, chosenPrefix },
    );
  }

  /** Whether a phase-2 quorum (this node included) answered within an election timeout. */
  private quorumAnswered(): boolean {
    const windowNs = Math.round(this.electionTimeout * 1e9);
    const now = this.nowNs;
    if (now - this.leaderSinceNs < windowNs) return true;
    let answered = 1;
    for (let i = 0; i < this.answeredAtNs.length; i++) {
      if (i !== this.cluster.self && now - this.answeredAtNs[i]! < windowNs) answered++;
    }
    return answered >= this.phase2Quorum;
  }

  /** A member answered this leader's current ballot. */
  private answeredBy(from: number, ballot: Ballot): void {
    if (this.role === "leader" && compareBallots(ballot, this.ballot) === 0) {
      this.answeredAtNs[from] = this.nowNs;
    }
  }

  /** Leaves the leader's or candidate's role: proposals waiting here fail (they may still be chosen). */
  private stepDown(reason = "higher ballot"): void {
    if (this.role === "follower") return;
    const was = this.role;
    this.role = "follower";
    this.promises = null;
    this.pending.clear();
    this.failWaiters("leadership lost");
    if (was === "leader") this.traceStateChange("role", "leader", "follower", reason);
  }

  private failWaiters(reason: string): void {
    const waiters = this.waiters;
    this.waiters = new Map();
    for (const waiter of waiters.values()) {
      this.counts.lost++;
      waiter.future.reject(new ProposalLostError(this.name, reason));
    }
  }

  /** A higher ballot exists: remember its round; a leader or candidate below it steps down. */
  private sawBallot(ballot: Ballot): void {
    if (ballot.round > this.highestRound) this.highestRound = ballot.round;
    if (this.role !== "follower" && compareBallots(ballot, this.ballot) > 0) {
      this.stepDown();
      this.heard();
    }
  }

  // --- Phase 2 ------------------------------------------------------------------------------

  private proposeAt(slot: number, value: PaxosLogEntry<C>): void {
    this.pending.set(slot, { value, accepts: new QuorumTracker(this.phase2Quorum) });
    this.broadcast({ type: "accept", from: this.cluster.self, ballot: this.ballot, slot, value });
  }

  private onAccepted(m: Extract<MultiPaxosMessage<C>, { type: "accepted" }>): void {
    this.answeredBy(m.from, m.ballot);
    if (this.role !== "leader" || compareBallots(m.ballot, this.ballot) !== 0) return;
    const pending = this.pending.get(m.slot);
    if (pending === undefined || !pending.accepts.add(m.from)) return;
    this.pending.delete(m.slot);
    this.broadcast({ type: "chosen", from: this.cluster.self, slot: m.slot, value: pending.value });
  }

  // --- Acceptor -----------------------------------------------------------------------------

  /** Whether an acceptor that promised `promised` may accept in `ballot`: not below its promise. */
  protected mayAccept(ballot: Ballot, promised: Ballot): boolean {
    return compareBallots(ballot, promised) >= 0;
  }

  /**
   * Whether a promise answering a prepare from `fromSlot` carries the acceptor's snapshot:
   * when the snapshot folds slots from there on, whose accepted values are gone. (A test-only
   * subclass breaks this rule to show the checkers catch it: the candidate fills them with
   * no-ops.)
   */
  protected promiseCarries(snapshot: AcceptorSnapshot, fromSlot: number): boolean {
    return snapshot.slot > fromSlot;
  }

  private *onPrepare(
    message: Message<MultiPaxosMessage<C> | ProposeRequest<C>>,
    m: Extract<MultiPaxosMessage<C>, { type: "prepare" }>,
  ) {
    if (this.checkQuorum && m.ballot.node !== this.cluster.self && this.leaderIsLive()) {
      this.counts.preparesIgnored++;
      return;
    }
    this.sawBallot(m.ballot);
    const acceptor = this.acceptor;
    const self = this.cluster.self;
    const newPromise = compareBallots(m.ballot, acceptor.promised) > 0;
    const durable = acceptor.promise(m.ballot);
    if (durable === null) {
      this.nack(message, m.ballot);
      return;
    }
    const accepted: [number, AcceptedValue<PaxosLogEntry<C>>][] = [];
    for (const [slot, value] of acceptor.accepted)
      if (slot >= m.fromSlot) accepted.push([slot, value]);
    const snapshot = acceptor.snapshot;
    // A candidate this node promised gets its election timeout to win before another tries;
    // not with check-quorum, where a deaf old leader's prepares would keep every node waiting
    // for a candidate that cannot win (it never hears the promises).
    if (newPromise && m.ballot.node !== self && !this.checkQuorum) this.heard();
    if (!(yield* acceptor.durably(durable))) return;
    this.answer(
      message,
      snapshot !== null && this.promiseCarries(snapshot, m.fromSlot)
        ? { type: "promise", from: self, ballot: m.ballot, accepted, snapshot }
        : { type: "promise", from: self, ballot: m.ballot, accepted },
    );
  }

  private *onAccept(
    message: Message<MultiPaxosMessage<C> | ProposeRequest<C>>,
    m: Extract<MultiPaxosMessage<C>, { type: "accept" }>,
  ) {
    this.sawBallot(m.ballot);
    const acceptor = this.acceptor;
    if (!this.mayAccept(m.ballot, acceptor.promised)) {
      this.nack(message, m.ballot);
      return;
    }
    this.followLeader(m.ballot);
    if (m.slot < acceptor.snapshotSlot) {
      // Chosen and folded into the snapshot: a leader at or above this promise proposes the
      // chosen value there (Paxos), and the snapshot stands for the acceptance in any promise.
      if (!(yield* acceptor.durably(acceptor.settle()))) return;
    } else if (!(yield* acceptor.durably(acceptor.accept(m.slot, m.ballot, m.value)))) {
      return;
    }
    const self = this.cluster.self;
    this.answer(message, { type: "accepted", from: self, ballot: m.ballot, slot: m.slot });
  }

  /** Refuses a prepare, accept or heartbeat in `ballot`, naming the promise above it. */
  private nack(message: Message<MultiPaxosMessage<C> | ProposeRequest<C>>, ballot: Ballot): void {
    const promised = this.acceptor.promised;
    this.answer(message, { type: "nack", from: this.cluster.self, ballot, promised });
  }

  /** Whether this node leads, or heard from a leader within an election timeout (check-quorum). */
  private leaderIsLive(): boolean {
    if (this.role === "leader") return true;
    return (
      this.leader >= 0 && this.nowNs - this.leaderContactNs < Math.round(this.electionTimeout * 1e9)
    );
  }

  /** A message of the current leader's ballot (or a higher one) arrived: it leads. */
  private followLeader(ballot: Ballot): void {
    if (compareBallots(ballot, this.acceptor.promised) < 0) return;
    if (ballot.node !== this.cluster.self) {
      if (this.role !== "follower") this.stepDown();
      this.leader = ballot.node;
      this.leaderContactNs = this.nowNs;
      this.heard();
    }
  }

  private onHeartbeat(
    message: Message<MultiPaxosMessage<C> | ProposeRequest<C>>,
    m: Extract<MultiPaxosMessage<C>, { type: "heartbeat" }>,
  ): void {
    this.sawBallot(m.ballot);
    if (compareBallots(m.ballot, this.acceptor.promised) < 0) {
      // A deposed leader that has not heard: tell it.
      this.nack(message, m.ballot);
      return;
    }
    this.followLeader(m.ballot);
    if (m.wantsAck === true) {
      this.answer(message, { type: "heartbeat-ack", from: this.cluster.self, ballot: m.ballot });
    }
    if (m.chosenPrefix > this.chosenPrefix()) {
      this.answer(message, {
        type: "catchup",
        from: this.cluster.self,
        fromSlot: this.chosenPrefix(),
      });
    }
  }

  private onNack(m: Extract<MultiPaxosMessage<C>, { type: "nack" }>): void {
    this.sawBallot(m.promised);
  }

  // --- Learner ------------------------------------------------------------------------------

  private onCatchup(
    message: Message<MultiPaxosMessage<C> | ProposeRequest<C>>,
    m: Extract<MultiPaxosMessage<C>, { type: "catchup" }>,
  ): void {
    const entries: [number, PaxosLogEntry<C>][] = [];
    const chosen = this.acceptor.chosen;
    const snapshot = this.acceptor.snapshot;
    let from = m.fromSlot;
    if (snapshot !== null && from < snapshot.slot) {
      // The slots it lacks are gone here: it takes the snapshot, then the slots after.
      this.answer(message, { type: "snapshot", from: this.cluster.self, snapshot });
      from = snapshot.slot;
    }
    for (let slot = from; entries.length < CATCHUP_BATCH && chosen.has(slot); slot++) {
      entries.push([slot, chosen.get(slot) as PaxosLogEntry<C>]);
    }
    if (entries.length > 0)
      this.answer(message, { type: "entries", from: this.cluster.self, entries });
  }

  private learn(slot: number, value: PaxosLogEntry<C>): void {
    const chosen = this.acceptor.chosen;
    if (chosen.has(slot) || slot < this.acceptor.snapshotSlot) return;
    chosen.set(slot, value);
    this.pending.delete(slot);
    // Kept to restart with; nothing waits for it (a lost one is learned again).
    const acceptor = this.acceptor;
    this.start(acceptor.durably(acceptor.persist({ type: "chosen", slot, value })), {
      name: "log-chosen",
    });
    this.applyChosen();
  }

  private applyChosen(): void {
    const chosen = this.acceptor.chosen;
    while (chosen.has(this.appliedUpTo)) {
      const slot = this.appliedUpTo++;
      const entry = chosen.get(slot) as PaxosLogEntry<C>;
      const result = entry === null ? undefined : this.execute(entry);
      this.onApplied?.(slot, entry);
      const waiter = this.waiters.get(slot);
      if (waiter === undefined) continue;
      this.waiters.delete(slot);
      if (entry !== null && entry.id === waiter.id) {
        this.counts.committed++;
        waiter.future.resolve(result as R);
      } else {
        this.counts.lost++;
        waiter.future.reject(
          new ProposalLostError(this.name, `slot ${slot} chose another proposal`),
        );
      }
    }
    if (
      this.snapshotEvery > 0 &&
      this.appliedUpTo - this.acceptor.snapshotSlot >= this.snapshotEvery
    ) {
      this.takeSnapshot();
    }
  }

  private takeSnapshot(): void {
    const state: SnapshotState<R> = {
      machine: this.stateMachine.snapshot(),
      sessions: [...this.sessions],
    };
    this.counts.snapshotsTaken++;
    this.acceptor.truncate(this.appliedUpTo, state);
  }

  /**
   * Takes another node's snapshot in place of the slots below it (all chosen), when it is
   * ahead of what this node applied: the state machine and sessions jump there.
   */
  private installSnapshot(snapshot: AcceptorSnapshot): void {
    if (snapshot.slot <= this.appliedUpTo) return;
    const state = snapshot.state as SnapshotState<R>;
    this.stateMachine.restore(state.machine);
    this.sessions = new Map(state.sessions);
    this.appliedUpTo = snapshot.slot;
    if (this.nextSlot < snapshot.slot) this.nextSlot = snapshot.slot;
    this.counts.snapshotsInstalled++;
    for (const slot of this.pending.keys()) if (slot < snapshot.slot) this.pending.delete(slot);
    for (const [slot, waiter] of this.waiters) {
      if (slot >= snapshot.slot) continue;
      this.waiters.delete(slot);
      this.counts.lost++;
      waiter.future.reject(
        new ProposalLostError(this.name, `slot ${slot} was installed from a snapshot`),
      );
    }
    this.acceptor.truncate(snapshot.slot, snapshot.state);
    this.applyChosen();
  }

  /** Applies an entry's command once per session step; a repeat answers the first result. */
  private execute(entry: NonNullable<PaxosLogEntry<C>>): R {
    const session = entry.session;
    if (session === null) return this.stateMachine.apply(entry.command);
    const last = this.sessions.get(session.client);
    if (last !== undefined && session.seq <= last.seq) {
      this.counts.duplicates++;
      return last.result;
    }
    const result = this.stateMachine.apply(entry.command);
    this.sessions.set(session.client, { seq: session.seq, result });
    return result;
  }

  private chosenPrefix(): number {
    let prefix = this.appliedUpTo;
    while (this.acceptor.chosen.has(prefix)) prefix++;
    return prefix;
  }

  // --- Plumbing -----------------------------------------------------------------------------

  override handle(
    message: Message<MultiPaxosMessage<C> | ProposeRequest<C>>,
    // biome-ignore lint/suspicious/noConfusingVoidType: a plain handler returns nothing (void), a generator handler a generator
  ): void | ProcessGenerator<unknown> {
    const m = message.payload;
    switch (m.type) {
      case "propose":
        return this.proposeFor(message, m);
      case "prepare":
        return this.onPrepare(message, m);
      case "accept":
        return this.onAccept(message, m);
      case "promise":
        this.onPromise(m);
        return;
      case "accepted":
        this.onAccepted(m);
        return;
      case "nack":
        this.onNack(m);
        return;
      case "chosen":
        this.learn(m.slot, m.value);
        return;
      case "heartbeat":
        this.onHeartbeat(message, m);
        return;
      case "heartbeat-ack":
        this.answeredBy(m.from, m.ballot);
        return;
      case "catchup":
        this.onCatchup(message, m);
        return;
      case "entries":
        for (const [slot, value] of m.entries) this.learn(slot, value);
        return;
      case "snapshot":
        this.installSnapshot(m.snapshot);
        return;
    }
  }

  /** A proposal by message: the result is the reply, a refusal or loss the failure's reason. */
  private *proposeFor(
    message: Message<MultiPaxosMessage<C> | ProposeRequest<C>>,
    m: ProposeRequest<C>,
  ) {
    let result: R;
    try {
      result = yield* this.propose(m.command, m.session);
    } catch (error) {
      if (error instanceof NotLeaderError || error instanceof ProposalLostError) {
        this.fail(message, error.reason);
        return;
      }
      throw error;
    }
    this.reply(message, result);
  }

  private broadcast(payload: MultiPaxosMessage<C>): void {
    if (!this.acceptor.failed) broadcast(this, this.cluster, payload);
  }

  private answer(
    message: Message<MultiPaxosMessage<C> | ProposeRequest<C>>,
    payload: MultiPaxosMessage<C>,
  ): void {
    if (!this.acceptor.failed) answer(this, message, payload);
  }

  /**
   * A write of the acceptor's log failed (a full disk, the disk's own power loss): memory may
   * now hold a promise or acceptance the disk lacks, which a repeated prepare or accept would
   * be answered from. So the node says nothing more and crash-stops, as etcd does on a failed
   * WAL write and PostgreSQL on a failed fsync; recovered, it replays what the disk kept. (A
   * process crash: the host and its page cache stay up.)
   */
  private stopOnDiskError(error: DiskError): void {
    this.traceStateChange("disk", "ok", "failed", `crash-stop: ${error.message}`);
    this.after(0, () => {
      if (this.isUp) this.crash({ kind: "process" });
    });
  }

  protected override onCrash(): void {
    this.role = "follower";
    this.leader = -1;
    this.ballot = ZERO_BALLOT;
    this.highestRound = 0;
    this.leaderContactNs = Number.NEGATIVE_INFINITY;
    this.answeredAtNs.fill(Number.NEGATIVE_INFINITY);
    this.promises = null;
    this.pending.clear();
    this.failWaiters(`${this.name} crashed`);
  }

  protected override onRecover(): void {
    this.acceptor.replay();
    this.highestRound = this.acceptor.highestRound;
    const snapshot = this.acceptor.snapshot;
    if (snapshot === null) {
      this.stateMachine.restore(this.initialState);
      this.sessions = new Map();
      this.appliedUpTo = 0;
    } else {
      const state = snapshot.state as SnapshotState<R>;
      this.stateMachine.restore(state.machine);
      this.sessions = new Map(state.sessions);
      this.appliedUpTo = snapshot.slot;
    }
    this.applyChosen();
    this.startTicking();
  }
}

function checkMultiPaxosOptions(
  component: string,
  name: string,
  options: MultiPaxosNodeOptions<unknown, unknown>,
) {
  if (options === null || typeof options !== "object") {
    throw new ConfigError(
      component,
      "options",
      "an options object { members, stateMachine, ... }",
      options,
    );
  }
  const cluster = new Members(component, name, options.members);
  const machine = options.stateMachine as unknown as Record<string, unknown> | null | undefined;
  if (
    machine === null ||
    typeof machine !== "object" ||
    typeof machine.apply !== "function" ||
    typeof machine.snapshot !== "function" ||
    typeof machine.restore !== "function"
  ) {
    throw new ConfigError(
      component,
      "stateMachine",
      "a StateMachine (apply, snapshot, restore)",
      options.stateMachine,
    );
  }
  const heartbeatInterval =
    options.heartbeatInterval === undefined
      ? 0.05
      : requireSeconds(component, "heartbeatInterval", options.heartbeatInterval);
  const electionTimeout =
    options.electionTimeout === undefined
      ? 0.3
      : requireSeconds(component, "electionTimeout", options.electionTimeout);
  if (electionTimeout <= heartbeatInterval) {
    throw new ConfigError(
      component,
      "electionTimeout",
      `more than heartbeatInterval (${heartbeatInterval} s), or followers suspect a healthy leader`,
      electionTimeout,
    );
  }
  const checkQuorum = optionalBoolean(component, "checkQuorum", options.checkQuorum, false);
  const snapshotEvery = requireInteger(component, "snapshotEvery", options.snapshotEvery ?? 0, 0);
  const timing = checkTiming(component, options);
  return { cluster, heartbeatInterval, electionTimeout, checkQuorum, snapshotEvery, ...timing };
}
