/**
 * `RaftNode`: one server of a Raft cluster (Ongaro and Ousterhout, "In Search of an
 * Understandable Consensus Algorithm", and Ongaro's dissertation for pre-vote, check-quorum,
 * single-server membership changes, read index and leases). The cluster agrees on a log of
 * commands and every node applies the committed prefix, in order, to its own `StateMachine`.
 *
 * - Election: a follower that hears from no leader for a randomized timeout (drawn per
 *   timeout from its stream "election", measured on its own `NodeClock`, so clock faults
 *   stretch or shrink it) becomes a candidate, increments its term and asks for votes; a vote
 *   is granted once per term, only to a candidate whose log is at least as up to date. With
 *   `preVote`, a node first asks whether it could win (without raising its term), so a node
 *   cut off and coming back does not depose a working leader. With `checkQuorum`, a leader
 *   that has not heard from a majority within an election timeout steps down. Either option
 *   also makes a node that heard from a leader within the minimum election timeout ignore
 *   votes (leader stickiness), which is what a lease read relies on.
 * - Replication: AppendEntries with the log-matching check (the entry before the new ones must
 *   match by index and term); a follower truncates a conflicting suffix; the leader backs off
 *   to the follower's hint. An entry commits once a majority of the current configuration
 *   holds it and it is of the leader's current term (earlier entries commit with it: Raft's
 *   figure 8 rule). A new leader appends a no-op of its term so its earlier entries commit.
 * - Persistence: term, vote and log are records of a `WriteAheadLog` on a `Disk` the node owns:
 *   a node answers a vote or an append only after a sync that covers what the answer rests
 *   on, and counts its own log toward a majority only once synced. A host crash loses exactly
 *   what was not synced; the node rebuilds from what the disk kept (`onRecover`).
 * - Snapshots (`snapshotEvery`): every N applied entries the state machine's snapshot replaces
 *   the log's prefix; a follower behind the prefix gets InstallSnapshot. A snapshot (taken or
 *   installed) also compacts the disk: a checkpoint heads a new log segment and, once synced,
 *   the older segments are deleted (etcd's snapshot + WAL release), so disk usage and restart
 *   replay stay bounded.
 * - Membership: `addServer` / `removeServer` change the configuration by one server, through
 *   the log; a configuration takes effect when appended, one change at a time, and only once
 *   the leader has committed an entry of its term (the dissertation's fix). An added server
 *   first catches up as a learner (sent the log, counted in no majority) and joins the
 *   configuration once within `catchUpLag` entries of the leader (`catchUpTimeout` bounds it).
 * - Clients: `yield* node.propose(command)` on the leader returns the command's result once
 *   applied; anywhere else it throws `NotLeaderError` naming the leader the node knows.
 *   `yield* node.read(query)` answers a query that does not change the state (a KV get)
 *   linearizably without a log entry (read index: a heartbeat round confirms leadership, then
 *   the node waits until it has applied the commit index of that moment), or, with
 *   `leaseReads`, without the round while the leader's lease holds. A lease assumes clocks
 *   drift apart by at most `leaseDriftBound`: past it a lease read may be stale.
 *   Through the network, the messages "propose" and "read" carry `{ command, client, seq }`;
 *   a client's session (its name and sequence number) makes a retried proposal apply once.
 *
 * @example
 * const members = ["n1", "n2", "n3"];
 * const nodes = members.map((name) => new RaftNode(sim, name, { members, stateMachine: new KVStateMachine<number>() }));
 * // in a process of the leader's client: yield* leader.propose({ op: "put", key: "x", value: 1 });
 */

import { type CatalogEntry, knobs } from "../../catalog/entry.js";
import { NodeClock, type NodeClockOptions } from "../../clocks/nodeClock.js";
import { Entity, type EntityMetrics } from "../../core/entity.js";
import type { SimFuture } from "../../core/future.js";
import type { Message } from "../../core/message.js";
import type { Simulation } from "../../core/simulation.js";
import { ConfigError, DistsimError, SimulationError } from "../../errors/errors.js";
import { Histogram } from "../../metrics/histogram.js";
import { optionalBoolean, requireInteger, requireSeconds } from "../shared/validate.js";
import { Disk, type DiskOptions } from "../storage/disk.js";
import { WriteAheadLog } from "../storage/writeAheadLog.js";
import { NotLeaderError } from "./notLeaderError.js";
import { ProposalLostError } from "./paxosCore.js";
import type { StateMachine } from "./stateMachine.js";

/**
 * A proposal that certainly did not commit: the leader lost its place and another entry took
 * the proposal's index, or a membership change was refused (one in progress).
 */
export class ProposalDroppedError extends DistsimError {
  override name = "ProposalDroppedError";
  constructor(
    readonly node: string,
    reason: string,
  ) {
    super(`${node}: ${reason}`);
  }
}

/**
 * A server being added never caught up: its log stayed more than `catchUpLag` entries behind
 * the leader's for `catchUpTimeout` seconds. It was not added (the configuration is unchanged).
 */
export class CatchUpTimeoutError extends ProposalDroppedError {
  override name = "CatchUpTimeoutError";
  constructor(
    node: string,
    readonly server: string,
    readonly seconds: number,
    /** The last index the learner was known to hold, and the leader's last index, at the timeout. */
    readonly matched: number,
    readonly lastIndex: number,
  ) {
    super(
      node,
      `learner "${server}" did not catch up within ${seconds} s (it holds ${matched} of ${lastIndex} entries); not added`,
    );
  }
}

/** One entry of the replicated log. */
export type RaftLogEntry<C> =
  | {
      readonly term: number;
      readonly kind: "command";
      readonly command: C;
      /** The proposing client's session and sequence number (a retry applies once). */
      readonly client?: string;
      readonly seq?: number;
    }
  | { readonly term: number; readonly kind: "config"; readonly members: readonly string[] }
  | { readonly term: number; readonly kind: "noop" };

/** What the node writes to its disk: its term and vote, each log entry, checkpoints. */
export type RaftRecord<C> =
  | { readonly type: "vote"; readonly term: number; readonly votedFor: string | null }
  /** An entry at `index`; replay drops whatever the log held from `index` on (a truncation). */
  | { readonly type: "entry"; readonly index: number; readonly entry: RaftLogEntry<C> }
  /**
   * Everything the node keeps, at the head of a new segment, written at each snapshot: the
   * term and vote, the snapshot, and the log after it. Replay starts at the last intact one,
   * so the segments before it can be deleted.
   */
  | {
      readonly type: "checkpoint";
      readonly term: number;
      readonly votedFor: string | null;
      /** The snapshot: the last index it covers, that entry's term, the configuration there. */
      readonly index: number;
      readonly snapTerm: number;
      readonly members: readonly string[];
      readonly state: SnapshotState;
      /** The log after `index`. */
      readonly entries: readonly RaftLogEntry<C>[];
    };

/** A snapshot: the state machine's and the client sessions'. */
export interface SnapshotState {
  readonly machine: unknown;
  readonly sessions: readonly (readonly [string, Session])[];
}

interface Session {
  readonly seq: number;
  readonly result: unknown;
}

/** A client request through the network: "propose" and "read" messages carry it. */
export interface RaftRequest<C> {
  readonly command: C;
  /** The client's session: with `seq`, a retried proposal applies once. */
  readonly client?: string;
  readonly seq?: number;
}

/** A node's answer to a "propose" or "read" message. */
export type RaftReply<R> =
  | { readonly ok: true; readonly result: R }
  /** Refused: not the leader (`leader` is the one it knows) or dropped; certainly not applied. */
  | { readonly ok: false; readonly leader: string | null; readonly reason: string };

export type RaftRole = "follower" | "candidate" | "leader";

export interface RaftNodeOptions<C, R> {
  /**
   * The initial configuration: every member's name, this node's included. A node that joins
   * later (`addServer`) starts with [] and learns its configuration from the leader.
   */
  members: readonly string[];
  /** What the log drives; its state is rebuilt from snapshots and the log after a crash. */
  stateMachine: StateMachine<C, R>;
  /** Least election timeout, seconds of the node's clock. Default 0.15. */
  electionTimeoutMin?: number;
  /** Greatest election timeout (> min); each timeout is uniform between them. Default 0.3. */
  electionTimeoutMax?: number;
  /** Seconds between a leader's heartbeats (< electionTimeoutMin). Default 0.05. */
  heartbeatInterval?: number;
  /** Ask for pre-votes before raising the term. Default false. */
  preVote?: boolean;
  /** A leader steps down when a majority has not answered within an election timeout. Default false. */
  checkQuorum?: boolean;
  /** Serve reads on the leader's lease, without a heartbeat round (needs `checkQuorum`). Default false. */
  leaseReads?: boolean;
  /** The most two clocks' rates may differ by (a fraction, in [0, 0.5)); the lease is cut by it. Default 0.01. */
  leaseDriftBound?: number;
  /** Snapshot every this many applied entries (integer >= 1); 0 never. Default 0. */
  snapshotEvery?: number;
  /** Most entries in one AppendEntries (integer >= 1). Default 64. */
  maxBatch?: number;
  /**
   * `addServer` first makes the server a learner (sent the log and snapshots, not counted in
   * any majority) and adds it to the configuration once caught up, so a joining server far
   * behind does not stall commits. False: it joins the configuration at once. Default true.
   */
  catchUpLearners?: boolean;
  /** A learner is caught up once its log is within this many entries of the leader's (integer >= 0). Default: `maxBatch`. */
  catchUpLag?: number;
  /** Seconds (of the leader's clock) a learner has to catch up before `addServer` fails with `CatchUpTimeoutError`. Default 10 x electionTimeoutMax. */
  catchUpTimeout?: number;
  /** The node's disk (its owner is the node). Default: a disk with its default latencies. */
  disk?: Omit<DiskOptions<RaftRecord<C>>, "owner">;
  /** The node's clock: its offset and drift. Default: true time. */
  clock?: NodeClockOptions;
}

/** What a node has done (since its statistics were last reset). */
export interface RaftStats {
  readonly role: RaftRole;
  readonly term: number;
  readonly leader: string;
  /** Elections it started as a candidate (terms it raised). */
  readonly elections: number;
  /** Pre-vote rounds it started. */
  readonly preVotes: number;
  /** Elections it won. */
  readonly leaderships: number;
  /** Times the leader it knows changed to another (or to none). */
  readonly leaderChanges: number;
  readonly votesGranted: number;
  /**
   * Log entries applied to its state machine (commands, configurations, no-ops), each index
   * once: a restarted node that applies its log again to rebuild its state does not count it
   * again.
   */
  readonly entriesCommitted: number;
  /** Of them, commands (a retried command the session answers counts as its entry does). */
  readonly commandsApplied: number;
  readonly proposals: number;
  /** Proposals and reads refused: not the leader. */
  readonly redirects: number;
  readonly reads: number;
  readonly leaseReads: number;
  readonly snapshotsTaken: number;
  readonly snapshotsInstalled: number;
  /** Snapshots that reclaimed the log's prefix on disk (a checkpoint, older segments deleted). */
  readonly compactions: number;
  /** Records in its log's segments on disk now (what a restart reads, older segments included). */
  readonly diskRecords: number;
  /** Bytes its disk holds now (synced and not). */
  readonly usedBytes: number;
  /** Records the last rebuild from its disk replayed (from the last checkpoint on). */
  readonly lastReplayed: number;
  readonly logLength: number;
  readonly commitIndex: number;
  /** Seconds from a proposal on this leader to its apply, over proposals it applied. */
  readonly meanCommitLatency: number;
  readonly p50CommitLatency: number;
  readonly p99CommitLatency: number;
}

interface VoteRequest {
  readonly term: number;
  readonly candidate: string;
  readonly lastIndex: number;
  readonly lastTerm: number;
  readonly pre: boolean;
}
interface VoteReply {
  readonly term: number;
  readonly voter: string;
  readonly granted: boolean;
  readonly pre: boolean;
}
interface AppendRequest<C> {
  readonly term: number;
  readonly leader: string;
  readonly prevIndex: number;
  readonly prevTerm: number;
  readonly entries: readonly RaftLogEntry<C>[];
  readonly commit: number;
  readonly round: number;
  /** The leader's monotonic clock when sent, echoed for its lease. */
  readonly sentNs: number;
}
interface AppendReply {
  readonly term: number;
  readonly from: string;
  readonly success: boolean;
  /** On success, the last index known to match the leader's; on failure, where to retry after. */
  readonly index: number;
  readonly round: number;
  readonly sentNs: number;
}
interface SnapshotRequest {
  readonly term: number;
  readonly leader: string;
  readonly index: number;
  readonly snapTerm: number;
  readonly members: readonly string[];
  readonly state: SnapshotState;
  readonly round: number;
  readonly sentNs: number;
}

interface Pending {
  readonly term: number;
  readonly future: SimFuture<unknown>;
  readonly startNs: number;
  /** The proposing client's session, if it has one: what tells whether a compacted one applied. */
  readonly client?: string;
  readonly seq?: number;
}
interface Learner {
  readonly future: SimFuture<void>;
  /** Caught up: its configuration entry is on the way; the timeout no longer applies. */
  promoted: boolean;
}
interface ReadWaiter {
  readonly round: number;
  readonly index: number;
  readonly future: SimFuture<void>;
}

// biome-ignore lint/suspicious/noExplicitAny: peers are nodes of any command type
type Peer = Entity<any, any>;

export class RaftNode<C = unknown, R = unknown> extends Entity<unknown, RaftReply<R>> {
  static readonly catalog: CatalogEntry = {
    name: "RaftNode",
    kind: "component",
    role: "coordination",
    layer: "distributed",
    contract:
      "A server of a Raft cluster: randomized-timeout elections (optional pre-vote and check-quorum), log replication with the log-matching check, commit on a current-term majority, in-order apply to a pluggable state machine, snapshots with InstallSnapshot that also compact its on-disk log (checkpoint + older segments deleted), single-server membership changes with a learner catch-up phase, term/vote/log on its own disk. On the leader a proposal returns its result once applied and a read is linearizable (read index, or a lease that assumes bounded clock drift); elsewhere both are refused naming the known leader.",
    requires: ["EventLog", "SnapshotStore", "Quorum", "Term", "Timer", "Transport"],
    provides: ["Consensus", "ReplicatedLog", "LeaderElection", "Durable"],
    inputs: [
      "propose, read, addServer, removeServer (process calls)",
      '"propose" and "read" messages { command, client, seq }',
      "RequestVote, AppendEntries, InstallSnapshot (between nodes)",
    ],
    outputs: [
      "results of applied commands; NotLeaderError with the known leader; ProposalDroppedError; CatchUpTimeoutError (an add whose learner never caught up)",
      "elections, preVotes, leaderships, leaderChanges, votesGranted, entriesCommitted, commandsApplied, proposals, redirects, reads, leaseReads, snapshotsTaken, snapshotsInstalled, compactions, diskRecords, usedBytes, lastReplayed, commit latency",
      "role changes in the trace",
    ],
    state:
      "durable: term, vote, log entries and checkpoints (snapshot + term, vote and the log after it) in WAL segments on its disk; volatile: role, commit index, applied state, leader's replication progress and learners",
    failure_semantics:
      "A host crash loses exactly what its disk had not synced; it answers nothing that rests on unsynced state, so no acknowledged vote or replicated entry is lost; a crash at any point of a compaction recovers the last durable checkpoint and what follows it; a disk that refuses writes (full) or loses power alone silences the node until a checkpoint rewrites all it holds. At most one leader per term; a committed entry is never lost or changed. Partitions, loss, duplication and reordering only delay progress: a minority side makes none. A lease read is stale if clocks drift apart by more than leaseDriftBound.",
    composition_rules: ["Network", "Disk"],
    operational_knobs: knobs<RaftNodeOptions<unknown, unknown>>()(
      "members",
      "stateMachine",
      "electionTimeoutMin",
      "electionTimeoutMax",
      "heartbeatInterval",
      "preVote",
      "checkQuorum",
      "leaseReads",
      "leaseDriftBound",
      "snapshotEvery",
      "maxBatch",
      "catchUpLearners",
      "catchUpLag",
      "catchUpTimeout",
      "disk",
      "clock",
    ),
  };

  readonly clock: NodeClock;
  readonly disk: Disk<RaftRecord<C>>;
  /** Term, vote and log: segments `raft.<n>` on its disk; a snapshot deletes the older ones. */
  readonly log: WriteAheadLog<RaftRecord<C>>;
  readonly stateMachine: StateMachine<C, R>;
  readonly preVote: boolean;
  readonly checkQuorum: boolean;
  readonly leaseReads: boolean;
  readonly snapshotEvery: number;
  readonly catchUpLearners: boolean;
  readonly catchUpLag: number;
  readonly catchUpTimeout: number;

  private readonly initialMembers: readonly string[];
  private readonly initialMachine: unknown;
  private readonly electionMinNs: number;
  private readonly electionMaxNs: number;
  private readonly heartbeatSeconds: number;
  private readonly leaseNs: number;
  private readonly maxBatch: number;
  private readonly electionDraws = this.random("election");

  // Durable state (mirrored on the disk).
  private currentTerm = 0;
  private votedFor: string | null = null;
  private snapIndex = 0;
  private snapTerm = 0;
  private snapMembers: readonly string[] = [];
  private snapState: SnapshotState | null = null;
  private entries: RaftLogEntry<C>[] = [];

  // Volatile state.
  private currentRole: RaftRole = "follower";
  private knownLeader: string | null = null;
  private commitIndex = 0;
  private lastApplied = 0;
  private configMembers: readonly string[] = [];
  private sessions = new Map<string, Session>();
  private votes = new Set<string>();
  private electionDeadlineNs = 0;
  private electionTimerArmed = false;
  /** Monotonic ns the node last heard from a current leader (-inf: never). */
  private heardLeaderNs = Number.NEGATIVE_INFINITY;
  /** The highest index this node ever applied (kept across crashes, for the statistics). */
  private appliedEver = 0;
  private writesIssued = 0;
  private writesDurable = 0;
  /** Records the last rebuild from the disk read (from the last checkpoint on). */
  private replayedOnRestore = 0;
  /**
   * Its disk refused a write (full, down) or lost unsynced ones (its power went while the node
   * stayed up): what it holds is ahead of its disk, and a later sync would cover none of what
   * is missing. Nothing is answered until a checkpoint has rewritten all it holds.
   */
  private diskBehind = false;
  /** The segment a refused checkpoint started (0: none): the retry reuses it. */
  private refusedSegment = 0;
  // Leader state.
  private nextIndex = new Map<string, number>();
  private matchIndex = new Map<string, number>();
  private ackedRound = new Map<string, number>();
  private ackedSentNs = new Map<string, number>();
  private lastAckNs = new Map<string, number>();
  /** Followers whose log the leader is still searching for the point where it matches. */
  private probing = new Set<string>();
  private selfPersisted = 0;
  private round = 0;
  private leaderSinceNs = 0;
  private heartbeatArmed = false;
  private pending = new Map<number, Pending>();
  private readWaiters: ReadWaiter[] = [];
  /** Servers being added, catching up before their configuration entry (at most one). */
  private learners = new Map<string, Learner>();

  private counts = newCounts();
  private commitLatency = new Histogram();

  constructor(sim: Simulation, name: string, options: RaftNodeOptions<C, R>) {
    const config = checkOptions(name, options);
    super(sim, name);
    this.initialMembers = config.members;
    this.stateMachine = options.stateMachine;
    this.initialMachine = options.stateMachine.snapshot();
    this.electionMinNs = Math.round(config.electionTimeoutMin * 1e9);
    this.electionMaxNs = Math.round(config.electionTimeoutMax * 1e9);
    this.heartbeatSeconds = config.heartbeatInterval;
    this.preVote = config.preVote;
    this.checkQuorum = config.checkQuorum;
    this.leaseReads = config.leaseReads;
    this.leaseNs = Math.floor(this.electionMinNs * (1 - 2 * config.leaseDriftBound));
    this.snapshotEvery = config.snapshotEvery;
    this.maxBatch = config.maxBatch;
    this.catchUpLearners = config.catchUpLearners;
    this.catchUpLag = config.catchUpLag;
    this.catchUpTimeout = config.catchUpTimeout;
    this.clock = new NodeClock(this, options.clock ?? {});
    this.disk = new Disk<RaftRecord<C>>(sim, `${name}-disk`, {
      ...(options.disk ?? {}),
      owner: this,
    });
    this.log = new WriteAheadLog(this.disk, {
      file: "raft",
      sync: "never",
      recordBytes: recordBytesOf,
    });
    this.disk.addLifecycleHook({
      // A host crash also lands here; the restart's rebuild from the disk clears it.
      onCrash: () => {
        if (this.writesIssued > this.writesDurable) this.diskBehind = true;
      },
    });
    this.restoreFromDisk();
    this.armElectionTimer();
  }

  // --- Public state ------------------------------------------------------------------------

  get role(): RaftRole {
    return this.currentRole;
  }
  get term(): number {
    return this.currentTerm;
  }
  /** The leader this node knows (itself when it leads), or null. */
  get leader(): string | null {
    return this.knownLeader;
  }
  get isLeader(): boolean {
    return this.currentRole === "leader" && this.isUp;
  }
  /** The configuration in force: the latest in the log. */
  get members(): readonly string[] {
    return this.configMembers;
  }
  get lastIndex(): number {
    return this.snapIndex + this.entries.length;
  }
  get committed(): number {
    return this.commitIndex;
  }
  get applied(): number {
    return this.lastApplied;
  }
  /** Index of the last entry folded into the snapshot (0: none). */
  get snapshotIndex(): number {
    return this.snapIndex;
  }

  /** The term of the entry at `index` (0 for index 0), or undefined if compacted or absent. */
  termAt(index: number): number | undefined {
    if (index === this.snapIndex) return this.snapTerm;
    if (index < this.snapIndex || index > this.lastIndex) return undefined;
    return this.entries[index - this.snapIndex - 1]!.term;
  }

  /** The entry at `index`, or undefined if compacted or absent. */
  entryAt(index: number): RaftLogEntry<C> | undefined {
    if (index <= this.snapIndex || index > this.lastIndex) return undefined;
    return this.entries[index - this.snapIndex - 1];
  }

  // --- Client API --------------------------------------------------------------------------

  /**
   * Proposes `command` (on the leader): returns its result once applied. Throws
   * `NotLeaderError` elsewhere, `ProposalDroppedError` if another entry took its place, and
   * `ProposalLostError` if a snapshot installed on this node (deposed meanwhile) covered its
   * index and no session tells whether it was applied.
   */
  *propose(
    command: C,
    session?: { readonly client: string; readonly seq: number },
  ): Generator<SimFuture<unknown>, R, unknown> {
    if (!this.isLeader) {
      this.counts.redirects++;
      throw new NotLeaderError(this.name, this.knownLeader);
    }
    this.counts.proposals++;
    if (session !== undefined) {
      const known = this.sessions.get(session.client);
      // Already applied (a retry of an answered request): its result again.
      if (known !== undefined && known.seq === session.seq) return known.result as R;
    }
    const entry: RaftLogEntry<C> =
      session === undefined
        ? { term: this.currentTerm, kind: "command", command }
        : {
            term: this.currentTerm,
            kind: "command",
            command,
            client: session.client,
            seq: session.seq,
          };
    return (yield* this.appendAsLeader(entry)) as R;
  }

  /**
   * Answers `query`, a command that does not change the state (a KV get), linearizably on the
   * leader, without a log entry. Throws `NotLeaderError` elsewhere or if leadership is lost.
   */
  *read(query: C): Generator<SimFuture<unknown>, R, unknown> {
    if (!this.isLeader) {
      this.counts.redirects++;
      throw new NotLeaderError(this.name, this.knownLeader);
    }
    this.counts.reads++;
    // Until the leader's no-op commits, its commit index may lag what earlier leaders committed.
    while (this.termAt(this.commitIndex) !== this.currentTerm) {
      yield this.sleep(this.heartbeatSeconds);
      if (!this.isLeader) throw new NotLeaderError(this.name, this.knownLeader);
    }
    const index = this.commitIndex;
    if (this.leaseReads && this.leaseHolds()) {
      this.counts.leaseReads++;
    } else if (this.quorumSize() > 1 || !this.isMember(this.name)) {
      const future = this.future<void>("read index");
      this.readWaiters.push({ round: this.round + 1, index, future });
      this.broadcast();
      yield future;
    }
    while (this.lastApplied < index) {
      yield this.sleep(this.heartbeatSeconds / 4);
      if (!this.isLeader) throw new NotLeaderError(this.name, this.knownLeader);
    }
    return this.stateMachine.apply(query);
  }

  /**
   * Adds `server` to the configuration (on the leader); returns once the change commits. With
   * `catchUpLearners` the server first catches up as a learner (the dissertation's 4.2.1):
   * throws `CatchUpTimeoutError` if it does not within `catchUpTimeout`, `NotLeaderError` if
   * this node stops leading first; either way the configuration is unchanged.
   */
  *addServer(server: string): Generator<SimFuture<unknown>, void, unknown> {
    if (typeof server !== "string" || server === "") {
      throw new ConfigError(`${this.name}.addServer`, "server", "a node's name", server);
    }
    if (this.catchUpLearners && this.isLeader && !this.configMembers.includes(server)) {
      this.refuseIfChanging();
      yield* this.catchUp(server);
      try {
        yield* this.changeConfig(
          this.configMembers.includes(server) ? null : [...this.configMembers, server],
        );
      } catch (error) {
        // Caught up but never added: the leader stops sending it the log.
        if (this.currentRole === "leader" && !this.configMembers.includes(server)) {
          this.untrackPeer(server);
        }
        throw error;
      }
      return;
    }
    yield* this.changeConfig(
      this.configMembers.includes(server) ? null : [...this.configMembers, server],
    );
  }

  /** Replicates to `server` as a learner until its log is within `catchUpLag` of the leader's. */
  private *catchUp(server: string): Generator<SimFuture<unknown>, void, unknown> {
    const learner: Learner = {
      future: this.future<void>(`catch-up of ${server}`),
      promoted: false,
    };
    this.learners.set(server, learner);
    this.trackPeer(server);
    this.clock.after(this.catchUpTimeout, () => this.catchUpExpired(server, learner), undefined, {
      daemon: true,
    });
    this.sendTo(server);
    try {
      yield learner.future;
    } finally {
      // Past here its configuration entry is appended (it tracks as a member) or the add failed.
      if (this.learners.get(server) === learner) this.learners.delete(server);
    }
  }

  private catchUpExpired(server: string, learner: Learner): void {
    if (this.learners.get(server) !== learner || learner.promoted) return;
    this.learners.delete(server);
    const matched = this.matchIndex.get(server) ?? 0;
    if (!this.configMembers.includes(server)) this.untrackPeer(server);
    learner.future.reject(
      new CatchUpTimeoutError(this.name, server, this.catchUpTimeout, matched, this.lastIndex),
    );
  }

  private promoteIfCaughtUp(server: string): void {
    const learner = this.learners.get(server);
    if (learner === undefined || learner.promoted) return;
    if (this.matchIndex.get(server)! + this.catchUpLag < this.lastIndex) return;
    learner.promoted = true;
    learner.future.resolve();
  }

  /** Refuses a configuration change while one is in progress (a learner counts as one). */
  private refuseIfChanging(): void {
    if (
      this.learners.size > 0 ||
      this.configIndex() > this.commitIndex ||
      this.termAt(this.commitIndex) !== this.currentTerm
    ) {
      throw new ProposalDroppedError(
        this.name,
        "a configuration change is in progress (or the leader has not committed in its term)",
      );
    }
  }

  /** Removes `server` from the configuration (on the leader); returns once the change commits. */
  *removeServer(server: string): Generator<SimFuture<unknown>, void, unknown> {
    yield* this.changeConfig(
      this.configMembers.includes(server) ? this.configMembers.filter((m) => m !== server) : null,
    );
  }

  private *changeConfig(
    members: readonly string[] | null,
  ): Generator<SimFuture<unknown>, void, unknown> {
    if (!this.isLeader) {
      this.counts.redirects++;
      throw new NotLeaderError(this.name, this.knownLeader);
    }
    if (members === null) return;
    if (members.length === 0) {
      throw new ConfigError(`${this.name}.removeServer`, "server", "not the last member", members);
    }
    for (const [server, learner] of this.learners) {
      // The caught-up learner's own entry goes on; any other change waits for it.
      if (learner.promoted && members.includes(server)) this.learners.delete(server);
    }
    this.refuseIfChanging();
    yield* this.appendAsLeader({ term: this.currentTerm, kind: "config", members });
  }

  // --- Messages ----------------------------------------------------------------------------

  override handle(message: Message<unknown>) {
    switch (message.kind) {
      case "vote":
        return this.onVote(message.payload as VoteRequest, message.source);
      case "voteReply":
        this.onVoteReply(message.payload as VoteReply);
        return;
      case "append":
        return this.onAppend(message.payload as AppendRequest<C>, message.source);
      case "appendReply":
        this.onAppendReply(message.payload as AppendReply);
        return;
      case "snapshot":
        return this.onSnapshot(message.payload as SnapshotRequest, message.source);
      case "propose":
      case "read":
        return this.onClient(message);
      default:
        throw new SimulationError(
          `received an unknown message kind "${message.kind}"`,
          this.name,
          this.nowNs,
        );
    }
  }

  private *onClient(message: Message<unknown>) {
    const request = message.payload as RaftRequest<C>;
    try {
      const result =
        message.kind === "read"
          ? yield* this.read(request.command)
          : yield* this.propose(
              request.command,
              request.client === undefined || request.seq === undefined
                ? undefined
                : { client: request.client, seq: request.seq },
            );
      this.reply(message, { ok: true, result });
    } catch (error) {
      if (error instanceof NotLeaderError || error instanceof ProposalDroppedError) {
        this.reply(message, {
          ok: false,
          leader: error instanceof NotLeaderError ? error.leader : null,
          reason: error.message,
        });
        return;
      }
      // Applied or not, unknown: no answer, as if lost (the client's timeout says as much).
      if (error instanceof ProposalLostError) return;
      throw error;
    }
  }

  private *onVote(request: VoteRequest, source: Peer | null) {
    if (source === null) return;
    const sticky =
      (this.preVote || this.checkQuorum) &&
      (this.currentRole === "leader" ||
        this.clock.monotonicNs() - this.heardLeaderNs < this.electionMinNs);
    const upToDate = this.logUpToDate(request.lastIndex, request.lastTerm);
    if (request.pre) {
      const granted = request.term > this.currentTerm && upToDate && !sticky;
      this.send(source, "voteReply", {
        term: this.currentTerm,
        voter: this.name,
        granted,
        pre: true,
      } satisfies VoteReply);
      return;
    }
    // A node that hears from its leader ignores a disrupting candidate, term and all.
    if (sticky && request.term > this.currentTerm) return;
    if (request.term > this.currentTerm) this.becomeFollower(request.term, null);
    const granted =
      request.term === this.currentTerm &&
      (this.votedFor === null || this.votedFor === request.candidate) &&
      upToDate;
    if (granted && this.votedFor !== request.candidate) {
      this.votedFor = request.candidate;
      this.counts.votesGranted++;
      this.resetElectionDeadline();
      this.saveVote();
    }
    const term = this.currentTerm;
    if (!(yield* this.durable())) return;
    this.send(source, "voteReply", {
      term,
      voter: this.name,
      granted,
      pre: false,
    } satisfies VoteReply);
  }

  /**
   * Whether a candidate whose log ends at (`lastIndex`, `lastTerm`) is at least as up to date
   * as this node's: the election restriction that keeps committed entries in every leader's log.
   */
  protected logUpToDate(lastIndex: number, lastTerm: number): boolean {
    const myTerm = this.termAt(this.lastIndex)!;
    return lastTerm > myTerm || (lastTerm === myTerm && lastIndex >= this.lastIndex);
  }

  private onVoteReply(reply: VoteReply): void {
    if (reply.term > this.currentTerm && !(reply.pre && reply.granted)) {
      this.becomeFollower(reply.term, null);
      return;
    }
    if (!reply.granted || !this.isMember(reply.voter)) return;
    if (reply.pre) {
      if (this.currentRole !== "follower" || !this.preVoting) return;
      this.votes.add(reply.voter);
      if (this.votes.size >= this.quorumSize()) {
        this.preVoting = false;
        this.start(this.campaign, { name: "campaign" });
      }
      return;
    }
    if (this.currentRole !== "candidate" || reply.term !== this.currentTerm) return;
    this.votes.add(reply.voter);
    if (this.votes.size >= this.quorumSize()) this.becomeLeader();
  }

  private *onAppend(request: AppendRequest<C>, source: Peer | null) {
    if (source === null) return;
    if (request.term < this.currentTerm) {
      this.send(source, "appendReply", this.appendReply(false, this.lastIndex, request));
      return;
    }
    this.acceptLeader(request.term, request.leader);
    let prevIndex = request.prevIndex;
    let entries = request.entries;
    const last = prevIndex + entries.length;
    if (last <= this.snapIndex) {
      // All of it is in the snapshot (committed, so it matches).
      this.send(source, "appendReply", this.appendReply(true, last, request));
      return;
    }
    if (prevIndex < this.snapIndex) {
      entries = entries.slice(this.snapIndex - prevIndex);
      prevIndex = this.snapIndex;
    } else if (this.termAt(prevIndex) !== request.prevTerm) {
      this.send(
        source,
        "appendReply",
        this.appendReply(false, this.conflictHint(prevIndex), request),
      );
      return;
    }
    const records: RaftRecord<C>[] = [];
    for (let i = 0; i < entries.length; i++) {
      const index = prevIndex + 1 + i;
      const entry = entries[i]!;
      if (index <= this.lastIndex) {
        if (this.termAt(index) === entry.term) continue;
        this.truncateFrom(index);
      }
      this.entries.push(entry);
      records.push({ type: "entry", index, entry });
      if (entry.kind === "config") this.configMembers = entry.members;
    }
    if (records.length > 0) this.save(records);
    const commit = Math.min(request.commit, last);
    if (commit > this.commitIndex) {
      this.commitIndex = commit;
      this.applyCommitted();
    }
    if (!(yield* this.durable())) return;
    this.send(source, "appendReply", this.appendReply(true, last, request));
  }

  private appendReply(
    success: boolean,
    index: number,
    request: AppendRequest<C> | SnapshotRequest,
  ): AppendReply {
    return {
      term: this.currentTerm,
      from: this.name,
      success,
      index,
      round: request.round,
      sentNs: request.sentNs,
    };
  }

  /** Where the leader should retry after: before the conflicting term's first entry here. */
  private conflictHint(prevIndex: number): number {
    if (prevIndex > this.lastIndex) return this.lastIndex;
    const conflict = this.termAt(prevIndex);
    let index = prevIndex - 1;
    while (index > this.snapIndex && this.termAt(index) === conflict) index--;
    return Math.max(index, this.snapIndex);
  }

  private *onSnapshot(request: SnapshotRequest, source: Peer | null) {
    if (source === null) return;
    if (request.term < this.currentTerm) {
      this.send(source, "appendReply", this.appendReply(false, this.lastIndex, request));
      return;
    }
    this.acceptLeader(request.term, request.leader);
    if (request.index > this.commitIndex) {
      const keepLog = this.termAt(request.index) === request.snapTerm;
      this.installSnapshot(
        request.index,
        request.snapTerm,
        request.members,
        request.state,
        keepLog,
      );
      this.compact(true);
      this.counts.snapshotsInstalled++;
    }
    if (!(yield* this.durable())) return;
    this.send(source, "appendReply", this.appendReply(true, request.index, request));
  }

  private onAppendReply(reply: AppendReply): void {
    if (reply.term > this.currentTerm) {
      this.becomeFollower(reply.term, null);
      return;
    }
    if (this.currentRole !== "leader" || reply.term !== this.currentTerm) return;
    const peer = reply.from;
    if (!this.nextIndex.has(peer)) return;
    this.lastAckNs.set(peer, this.clock.monotonicNs());
    if ((this.ackedRound.get(peer) ?? 0) < reply.round) this.ackedRound.set(peer, reply.round);
    if ((this.ackedSentNs.get(peer) ?? Number.NEGATIVE_INFINITY) < reply.sentNs) {
      this.ackedSentNs.set(peer, reply.sentNs);
    }
    const match = this.matchIndex.get(peer)!;
    if (reply.success) {
      this.probing.delete(peer);
      if (reply.index > match) {
        this.matchIndex.set(peer, reply.index);
        if (this.nextIndex.get(peer)! <= reply.index) this.nextIndex.set(peer, reply.index + 1);
        if (this.learners.size > 0) this.promoteIfCaughtUp(peer);
        this.advanceCommit();
      }
    } else if (reply.index >= match) {
      // Probing: sends stop moving nextIndex ahead until a success, so a refusal that arrives
      // twice (duplicated, or answering an older round) cannot move it back and forth.
      this.probing.add(peer);
      const next = Math.max(match + 1, reply.index + 1);
      if (next < this.nextIndex.get(peer)!) {
        this.nextIndex.set(peer, next);
        this.sendTo(peer);
      }
    }
    this.confirmReads();
  }

  // --- Roles ---------------------------------------------------------------------------------

  private preVoting = false;

  private readonly electionTimeout = (): void => {
    this.electionTimerArmed = false;
    if (this.currentRole === "leader") return;
    const now = this.clock.monotonicNs();
    if (now < this.electionDeadlineNs) {
      this.armElectionTimer();
      return;
    }
    this.resetElectionDeadline();
    this.armElectionTimer();
    if (!this.isMember(this.name)) return;
    if (this.preVote) {
      this.counts.preVotes++;
      this.preVoting = true;
      this.votes = new Set([this.name]);
      if (this.votes.size >= this.quorumSize()) {
        this.preVoting = false;
        this.start(this.campaign, { name: "campaign" });
        return;
      }
      const request: VoteRequest = {
        term: this.currentTerm + 1,
        candidate: this.name,
        lastIndex: this.lastIndex,
        lastTerm: this.termAt(this.lastIndex)!,
        pre: true,
      };
      for (const peer of this.peers()) this.send(peer, "vote", request);
      return;
    }
    this.start(this.campaign, { name: "campaign" });
  };

  /** Becomes a candidate in a new term: persists the term and its own vote, then asks for votes. */
  private *campaign() {
    this.setRole("candidate", "election timeout");
    this.currentTerm++;
    this.votedFor = this.name;
    this.setLeader(null);
    this.counts.elections++;
    this.votes = new Set([this.name]);
    this.saveVote();
    const term = this.currentTerm;
    if (!(yield* this.durable())) return;
    if (this.currentRole !== "candidate" || this.currentTerm !== term) return;
    if (this.votes.size >= this.quorumSize()) {
      this.becomeLeader();
      return;
    }
    const request: VoteRequest = {
      term,
      candidate: this.name,
      lastIndex: this.lastIndex,
      lastTerm: this.termAt(this.lastIndex)!,
      pre: false,
    };
    for (const peer of this.peers()) this.send(peer, "vote", request);
  }

  private becomeLeader(): void {
    this.setRole("leader", `won term ${this.currentTerm}`);
    this.setLeader(this.name);
    this.counts.leaderships++;
    this.nextIndex = new Map();
    this.matchIndex = new Map();
    this.ackedRound = new Map();
    this.ackedSentNs = new Map();
    this.lastAckNs = new Map();
    this.probing = new Set();
    this.leaderSinceNs = this.clock.monotonicNs();
    for (const peer of this.configMembers) this.trackPeer(peer);
    this.observeLeader?.(this.currentTerm, this.name);
    // A no-op of its own term commits what earlier leaders left uncommitted.
    this.appendLocal({ term: this.currentTerm, kind: "noop" });
    this.broadcast();
    this.armHeartbeat();
  }

  /** Called with (term, node) whenever a node becomes leader (a checker's hook). */
  observeLeader: ((term: number, node: string) => void) | null = null;

  private becomeFollower(term: number, leader: string | null, reason?: string): void {
    const termChanged = term > this.currentTerm;
    if (termChanged) {
      this.currentTerm = term;
      this.votedFor = null;
      this.saveVote();
    }
    if (this.currentRole !== "follower") {
      this.setRole("follower", reason ?? (termChanged ? `term ${term}` : "a leader of its term"));
      this.stepDownCleanup();
    }
    this.preVoting = false;
    this.setLeader(leader);
    this.armElectionTimer();
  }

  private acceptLeader(term: number, leader: string): void {
    if (term > this.currentTerm || this.currentRole !== "follower")
      this.becomeFollower(term, leader);
    else this.setLeader(leader);
    this.heardLeaderNs = this.clock.monotonicNs();
    this.resetElectionDeadline();
  }

  private stepDownCleanup(): void {
    for (const waiter of this.readWaiters) {
      waiter.future.reject(new NotLeaderError(this.name, this.knownLeader));
    }
    this.readWaiters = [];
    // A learner's add never reached the log: certainly not done; a new leader may be asked again.
    for (const learner of this.learners.values()) {
      if (!learner.promoted) learner.future.reject(new NotLeaderError(this.name, this.knownLeader));
    }
    this.learners = new Map();
    // Pending proposals stay: they may still commit; the apply settles them either way.
  }

  private setRole(role: RaftRole, reason: string): void {
    if (role === this.currentRole) return;
    this.traceStateChange("role", this.currentRole, role, reason);
    this.currentRole = role;
  }

  private setLeader(leader: string | null): void {
    if (leader === this.knownLeader) return;
    if (this.knownLeader !== null) this.counts.leaderChanges++;
    this.knownLeader = leader;
  }

  // --- Leader ------------------------------------------------------------------------------

  private *appendAsLeader(entry: RaftLogEntry<C>): Generator<SimFuture<unknown>, unknown, unknown> {
    const index = this.appendLocal(entry);
    const future = this.future<unknown>("proposal");
    this.pending.set(
      index,
      entry.kind === "command" && entry.client !== undefined && entry.seq !== undefined
        ? { term: entry.term, future, startNs: this.nowNs, client: entry.client, seq: entry.seq }
        : { term: entry.term, future, startNs: this.nowNs },
    );
    this.broadcast();
    return yield future;
  }

  /** Appends to the leader's own log and persists it; the entry counts for it once synced. */
  private appendLocal(entry: RaftLogEntry<C>): number {
    this.entries.push(entry);
    const index = this.lastIndex;
    if (entry.kind === "config") this.applyConfig(entry.members);
    this.save([{ type: "entry", index, entry }]);
    this.start(this.persistOwn(index), { name: "persist" });
    return index;
  }

  private *persistOwn(index: number) {
    const term = this.currentTerm;
    if (!(yield* this.durable())) return;
    if (this.currentRole !== "leader" || this.currentTerm !== term) return;
    if (index > this.selfPersisted && index <= this.lastIndex) {
      this.selfPersisted = index;
      this.advanceCommit();
    }
  }

  private applyConfig(members: readonly string[]): void {
    this.configMembers = members;
    if (this.currentRole !== "leader") return;
    for (const peer of members) this.trackPeer(peer);
    for (const peer of [...this.nextIndex.keys()]) {
      if (!members.includes(peer) && !this.learners.has(peer)) this.untrackPeer(peer);
    }
  }

  private untrackPeer(peer: string): void {
    this.nextIndex.delete(peer);
    this.matchIndex.delete(peer);
    this.probing.delete(peer);
  }

  private trackPeer(peer: string): void {
    if (peer === this.name || this.nextIndex.has(peer)) return;
    this.nextIndex.set(peer, this.lastIndex + 1);
    this.matchIndex.set(peer, 0);
  }

  private readonly heartbeat = (): void => {
    this.heartbeatArmed = false;
    if (this.currentRole !== "leader") return;
    if (this.checkQuorum && !this.quorumHeard()) {
      this.becomeFollower(this.currentTerm, null, "check-quorum: no majority heard");
      return;
    }
    this.broadcast();
    this.armHeartbeat();
  };

  private quorumHeard(): boolean {
    const now = this.clock.monotonicNs();
    if (now - this.leaderSinceNs < this.electionMaxNs) return true;
    let heard = this.isMember(this.name) ? 1 : 0;
    for (const peer of this.configMembers) {
      if (
        peer !== this.name &&
        now - (this.lastAckNs.get(peer) ?? Number.NEGATIVE_INFINITY) < this.electionMaxNs
      ) {
        heard++;
      }
    }
    return heard >= this.quorumSize();
  }

  private armHeartbeat(): void {
    if (this.heartbeatArmed) return;
    this.heartbeatArmed = true;
    this.clock.after(this.heartbeatSeconds, this.heartbeat, undefined, { daemon: true });
  }

  /** Sends every follower what it lacks (or a heartbeat): one round. */
  private broadcast(): void {
    this.round++;
    for (const peer of this.nextIndex.keys()) this.sendTo(peer);
    this.confirmReads();
  }

  private sendTo(name: string): void {
    const peer = this.sim.entity(name) as Peer | undefined;
    if (peer === undefined) return;
    const next = this.nextIndex.get(name)!;
    const sentNs = this.clock.monotonicNs();
    if (next <= this.snapIndex) {
      this.send(peer, "snapshot", {
        term: this.currentTerm,
        leader: this.name,
        index: this.snapIndex,
        snapTerm: this.snapTerm,
        members: this.snapMembers,
        state: this.snapState!,
        round: this.round,
        sentNs,
      } satisfies SnapshotRequest);
      this.nextIndex.set(name, this.snapIndex + 1);
      return;
    }
    const last = Math.min(this.lastIndex, next - 1 + this.maxBatch);
    const entries =
      last >= next ? this.entries.slice(next - this.snapIndex - 1, last - this.snapIndex) : [];
    this.send(peer, "append", {
      term: this.currentTerm,
      leader: this.name,
      prevIndex: next - 1,
      prevTerm: this.termAt(next - 1)!,
      entries,
      commit: this.commitIndex,
      round: this.round,
      sentNs,
    } satisfies AppendRequest<C>);
    // Pipelined: the next round goes on from here; a refusal moves it back.
    if (!this.probing.has(name)) this.nextIndex.set(name, last + 1);
  }

  private advanceCommit(): void {
    if (this.currentRole !== "leader") return;
    const matches: number[] = [];
    for (const member of this.configMembers) {
      matches.push(member === this.name ? this.selfPersisted : (this.matchIndex.get(member) ?? 0));
    }
    matches.sort((a, b) => b - a);
    const candidate = matches[this.quorumSize() - 1] ?? 0;
    if (candidate > this.commitIndex && this.canCommit(candidate)) {
      this.commitIndex = candidate;
      this.applyCommitted();
    }
  }

  /**
   * Whether the leader may commit `index`, which a majority holds: only an entry of its own
   * term (an older entry a majority holds can still be overwritten: Raft's figure 8).
   */
  protected canCommit(index: number): boolean {
    return this.termAt(index) === this.currentTerm;
  }

  private confirmReads(): void {
    if (this.readWaiters.length === 0) return;
    const rounds: number[] = [];
    for (const member of this.configMembers) {
      rounds.push(member === this.name ? this.round : (this.ackedRound.get(member) ?? 0));
    }
    rounds.sort((a, b) => b - a);
    const confirmed = rounds[this.quorumSize() - 1] ?? 0;
    const still: ReadWaiter[] = [];
    for (const waiter of this.readWaiters) {
      if (waiter.round <= confirmed) waiter.future.resolve();
      else still.push(waiter);
    }
    this.readWaiters = still;
  }

  private leaseHolds(): boolean {
    const sent: number[] = [];
    const now = this.clock.monotonicNs();
    for (const member of this.configMembers) {
      sent.push(
        member === this.name ? now : (this.ackedSentNs.get(member) ?? Number.NEGATIVE_INFINITY),
      );
    }
    sent.sort((a, b) => b - a);
    const since = sent[this.quorumSize() - 1] ?? Number.NEGATIVE_INFINITY;
    return now < since + this.leaseNs;
  }

  // --- Apply, snapshots --------------------------------------------------------------------

  private applyCommitted(): void {
    while (this.lastApplied < this.commitIndex) {
      const index = this.lastApplied + 1;
      const entry = this.entryAt(index)!;
      this.lastApplied = index;
      // A restarted node applies its log again to rebuild its state: counted once, not again.
      const firstTime = index > this.appliedEver;
      if (firstTime) {
        this.appliedEver = index;
        this.counts.entriesCommitted++;
        if (entry.kind === "command") this.counts.commandsApplied++;
      }
      let result: unknown;
      if (entry.kind === "command") result = this.applyCommand(entry);
      const pending = this.pending.get(index);
      if (pending !== undefined) {
        this.pending.delete(index);
        if (pending.term === entry.term) {
          this.commitLatency.record((this.nowNs - pending.startNs) / 1e9);
          pending.future.resolve(result);
        } else {
          pending.future.reject(
            new ProposalDroppedError(this.name, `another entry took index ${index}`),
          );
        }
      }
      this.onApplied?.(index, entry);
      if (
        entry.kind === "config" &&
        this.currentRole === "leader" &&
        !entry.members.includes(this.name)
      ) {
        // Removed: it led until its removal committed; now it steps aside.
        this.becomeFollower(this.currentTerm, null, "removed from the configuration");
      }
    }
    // Proposals at indexes a new leader's shorter log no longer reaches stay until applied.
    if (this.snapshotEvery > 0 && this.lastApplied - this.snapIndex >= this.snapshotEvery) {
      this.takeSnapshot();
    }
  }

  /** Called with each entry as it is applied (a checker's hook: the applied sequence). */
  onApplied: ((index: number, entry: RaftLogEntry<C>) => void) | null = null;

  private applyCommand(entry: RaftLogEntry<C> & { kind: "command" }): unknown {
    if (entry.client === undefined || entry.seq === undefined) {
      return this.stateMachine.apply(entry.command);
    }
    const session = this.sessions.get(entry.client);
    if (session !== undefined && entry.seq <= session.seq) return session.result;
    const result = this.stateMachine.apply(entry.command);
    this.sessions.set(entry.client, { seq: entry.seq, result });
    return result;
  }

  private takeSnapshot(): void {
    const index = this.lastApplied;
    const term = this.termAt(index)!;
    const members = this.configAt(index);
    const state: SnapshotState = {
      machine: this.stateMachine.snapshot(),
      sessions: [...this.sessions],
    };
    this.entries = this.entries.slice(index - this.snapIndex);
    this.snapIndex = index;
    this.snapTerm = term;
    this.snapMembers = members;
    this.snapState = state;
    this.counts.snapshotsTaken++;
    this.compact(true);
  }

  /**
   * Reclaims the log's prefix on disk, as etcd does (the snapshot saved and synced, then the
   * WAL segments it covers released): a new segment starts with a checkpoint of everything the
   * node keeps (term, vote, snapshot, the log after it); once a sync has made it durable, the
   * older segments are deleted. No rename is needed: the checkpoint is one checksummed record
   * (whole or dropped) and replay starts at the last intact one, whatever older segments a
   * crash kept. Deleting only after the sync keeps it safe on a disk that would make the
   * deletes durable before the new segment's data (a file system orders neither).
   * Also what rewrites the disk after it refused or lost writes (`snapshot` false): the
   * checkpoint holds everything, whatever the disk kept of the records before it.
   */
  private compact(snapshot: boolean): boolean {
    // A full disk is retried at every message: one segment for all the retries, not one each.
    const older =
      this.refusedSegment === this.log.currentSegment ? this.refusedSegment - 1 : this.log.rotate();
    // Everything it holds is in the checkpoint: nothing is behind once it is written.
    this.diskBehind = false;
    const issued = this.save([
      {
        type: "checkpoint",
        term: this.currentTerm,
        votedFor: this.votedFor,
        index: this.snapIndex,
        snapTerm: this.snapTerm,
        members: this.snapMembers,
        state: this.snapState ?? { machine: this.initialMachine, sessions: [] },
        entries: this.entries.slice(),
      },
    ]);
    this.refusedSegment = issued ? 0 : this.log.currentSegment;
    // A refused checkpoint (the disk is down or full) leaves the older segments as the record.
    if (issued) {
      this.start(this.releaseSegments(older, snapshot), { name: "release segments" });
    }
    return issued;
  }

  private *releaseSegments(through: number, snapshot: boolean) {
    // A crash ends this process: the older segments stay until the next compaction.
    if (!(yield* this.durable())) return;
    this.log.drop(through);
    if (snapshot) this.counts.compactions++;
  }

  private installSnapshot(
    index: number,
    term: number,
    members: readonly string[],
    state: SnapshotState,
    keepLog: boolean,
  ): void {
    this.entries =
      keepLog && index <= this.lastIndex ? this.entries.slice(index - this.snapIndex) : [];
    this.snapIndex = index;
    this.snapTerm = term;
    this.snapMembers = members;
    this.snapState = state;
    this.stateMachine.restore(state.machine);
    this.sessions = new Map(state.sessions);
    this.lastApplied = index;
    if (this.commitIndex < index) this.commitIndex = index;
    this.configMembers = this.configAt(this.lastIndex);
    this.settleCompacted(index);
  }

  /**
   * Settles the proposals (of a deposed leader) at indexes an installed snapshot covers: no
   * apply will reach them. With a session, the snapshot's sessions say whether the command
   * was applied (its result) or not (its entry lost its index); without one nobody can tell.
   */
  private settleCompacted(index: number): void {
    for (const [at, pending] of this.pending) {
      if (at > index) continue;
      this.pending.delete(at);
      const applied = pending.client === undefined ? undefined : this.sessions.get(pending.client);
      if (pending.seq !== undefined && applied?.seq === pending.seq) {
        pending.future.resolve(applied.result);
      } else if (
        pending.seq !== undefined &&
        (applied === undefined || applied.seq < pending.seq)
      ) {
        pending.future.reject(
          new ProposalDroppedError(this.name, `another entry took index ${at} (in a snapshot)`),
        );
      } else {
        pending.future.reject(
          new ProposalLostError(
            this.name,
            `a snapshot covered index ${at}; applied or not, unknown`,
          ),
        );
      }
    }
  }

  /** The configuration in force at `index`: the latest config entry at or before it. */
  private configAt(index: number): readonly string[] {
    for (let i = Math.min(index, this.lastIndex); i > this.snapIndex; i--) {
      const entry = this.entryAt(i)!;
      if (entry.kind === "config") return entry.members;
    }
    return this.snapIndex === 0 && this.snapState === null ? this.initialMembers : this.snapMembers;
  }

  private configIndex(): number {
    for (let i = this.lastIndex; i > this.snapIndex; i--) {
      if (this.entryAt(i)!.kind === "config") return i;
    }
    return this.snapIndex;
  }

  private truncateFrom(index: number): void {
    this.entries.length = index - this.snapIndex - 1;
    if (this.selfPersisted >= index) this.selfPersisted = index - 1;
    this.configMembers = this.configAt(this.lastIndex);
  }

  // --- Persistence ---------------------------------------------------------------------------

  private saveVote(): void {
    this.save([{ type: "vote", term: this.currentTerm, votedFor: this.votedFor }]);
  }

  /**
   * Issues the writes now (a write takes effect when issued: later writes land after it);
   * false if the disk refused one at once.
   */
  private save(records: readonly RaftRecord<C>[]): boolean {
    this.writesIssued += records.length;
    let issued = true;
    for (const record of records) {
      // The write is issued by the generator's first step; its latency is not waited for
      // here: `durable()` waits for a sync that covers it.
      try {
        const step = this.log.append(record).next();
        // Nobody waits on the write itself (a power loss that fails it fails the next sync too).
        if (step.done !== true) {
          step.value.defuse();
          if (step.value.state === "rejected") issued = false;
        }
      } catch {
        issued = false;
      }
    }
    // A refused write (down, or full: a sync after it would succeed) is missing from the disk.
    if (!issued) this.diskBehind = true;
    return issued;
  }

  /**
   * Waits for a sync covering every write issued so far; false if the disk failed it, or
   * refused (or lost) a write and refuses the checkpoint that would rewrite what it missed.
   */
  private *durable(): Generator<SimFuture<unknown>, boolean, unknown> {
    if (this.diskBehind && !this.compact(false)) return false;
    const upTo = this.writesIssued;
    if (upTo <= this.writesDurable) return true;
    try {
      yield* this.log.flush();
    } catch {
      return false;
    }
    if (upTo > this.writesDurable) this.writesDurable = upTo;
    return true;
  }

  /** Rebuilds term, vote, snapshot and log from the disk, and the state machine from the snapshot. */
  private restoreFromDisk(): void {
    this.currentTerm = 0;
    this.votedFor = null;
    this.snapIndex = 0;
    this.snapTerm = 0;
    this.snapMembers = this.initialMembers;
    this.snapState = null;
    this.entries = [];
    const records = this.log.replay();
    // A checkpoint holds everything before it: what a crash kept of older segments is ignored.
    let from = records.length;
    while (from > 0 && records[from - 1]!.type !== "checkpoint") from--;
    if (from > 0) from--;
    this.replayedOnRestore = records.length - from;
    for (let i = from; i < records.length; i++) {
      const record = records[i]!;
      if (record.type === "vote") {
        this.currentTerm = record.term;
        this.votedFor = record.votedFor;
      } else if (record.type === "entry") {
        if (record.index <= this.snapIndex) continue;
        this.entries.length = Math.min(this.entries.length, record.index - this.snapIndex - 1);
        this.entries.push(record.entry);
      } else {
        this.currentTerm = record.term;
        this.votedFor = record.votedFor;
        this.snapIndex = record.index;
        this.snapTerm = record.snapTerm;
        this.snapMembers = record.members;
        this.snapState = record.state;
        this.entries = record.entries.slice();
      }
    }
    this.writesIssued = 0;
    this.writesDurable = 0;
    this.diskBehind = false;
    this.refusedSegment = 0;
    if (this.snapState === null) {
      this.stateMachine.restore(this.initialMachine);
      this.sessions = new Map();
    } else {
      this.stateMachine.restore(this.snapState.machine);
      this.sessions = new Map(this.snapState.sessions);
    }
    this.commitIndex = this.snapIndex;
    this.lastApplied = this.snapIndex;
    this.configMembers = this.configAt(this.lastIndex);
    this.currentRole = "follower";
    this.knownLeader = null;
    this.votes = new Set();
    this.preVoting = false;
    this.heardLeaderNs = Number.NEGATIVE_INFINITY;
    this.nextIndex = new Map();
    this.matchIndex = new Map();
    this.selfPersisted = 0;
    this.pending = new Map();
    this.readWaiters = [];
    this.learners = new Map();
    this.electionTimerArmed = false;
    this.heartbeatArmed = false;
    this.resetElectionDeadline();
  }

  protected override onCrash(): void {
    // Processes, timers and calls are gone with the crash; what is left is rebuilt on recovery.
    this.electionTimerArmed = false;
    this.heartbeatArmed = false;
    this.pending = new Map();
    this.readWaiters = [];
    this.learners = new Map();
  }

  protected override onRecover(): void {
    this.traceStateChange("role", this.currentRole, "follower", "restart");
    this.restoreFromDisk();
    // It may have acked a leader's heartbeat just before the crash, and that leader's lease
    // rests on the ack: as if it had just heard from a leader, it votes for no one until the
    // lease it may have granted has run out (the dissertation's 6.4.1).
    this.heardLeaderNs = this.clock.monotonicNs();
    this.armElectionTimer();
  }

  // --- Helpers -------------------------------------------------------------------------------

  private resetElectionDeadline(): void {
    const span = this.electionMaxNs - this.electionMinNs;
    this.electionDeadlineNs =
      this.clock.monotonicNs() + this.electionMinNs + Math.floor(this.electionDraws.next() * span);
  }

  private armElectionTimer(): void {
    if (this.electionTimerArmed) return;
    this.electionTimerArmed = true;
    const remaining = Math.max(0, this.electionDeadlineNs - this.clock.monotonicNs());
    this.clock.after(remaining / 1e9, this.electionTimeout, undefined, { daemon: true });
  }

  private isMember(name: string): boolean {
    return this.configMembers.includes(name);
  }

  private quorumSize(): number {
    return Math.floor(this.configMembers.length / 2) + 1;
  }

  private *peerEntities(): Generator<Peer> {
    for (const name of this.configMembers) {
      if (name === this.name) continue;
      const peer = this.sim.entity(name) as Peer | undefined;
      if (peer !== undefined) yield peer;
    }
  }

  private peers(): Peer[] {
    return [...this.peerEntities()];
  }

  get stats(): RaftStats {
    return {
      role: this.currentRole,
      term: this.currentTerm,
      leader: this.knownLeader ?? "",
      ...this.counts,
      logLength: this.lastIndex,
      commitIndex: this.commitIndex,
      diskRecords: this.diskRecords(),
      usedBytes: this.disk.stats.usedBytes,
      lastReplayed: this.replayedOnRestore,
      meanCommitLatency: this.commitLatency.mean,
      p50CommitLatency: this.commitLatency.p50,
      p99CommitLatency: this.commitLatency.p99,
    };
  }

  private diskRecords(): number {
    let records = 0;
    for (const file of this.disk.files()) {
      if (file.startsWith("raft.")) records += this.disk.length(file);
    }
    return records;
  }

  override metrics(): EntityMetrics {
    return { ...this.stats };
  }

  protected override onResetStats(): void {
    this.counts = newCounts();
    this.commitLatency = new Histogram();
  }
}

function newCounts() {
  return {
    elections: 0,
    preVotes: 0,
    leaderships: 0,
    leaderChanges: 0,
    votesGranted: 0,
    entriesCommitted: 0,
    commandsApplied: 0,
    proposals: 0,
    redirects: 0,
    reads: 0,
    leaseReads: 0,
    snapshotsTaken: 0,
    snapshotsInstalled: 0,
    compactions: 0,
  };
}

/** Bytes a record takes on disk: a checkpoint counts its snapshot and each entry it carries. */
function recordBytesOf(record: RaftRecord<unknown>): number {
  return record.type === "checkpoint" ? 256 * (2 + record.entries.length) : 256;
}

function checkOptions<C, R>(name: string, options: RaftNodeOptions<C, R>) {
  const where = `RaftNode "${name}"`;
  if (options === null || typeof options !== "object") {
    throw new ConfigError(where, "options", "an options object", options);
  }
  const members = options.members;
  if (
    !Array.isArray(members) ||
    !members.every((m) => typeof m === "string" && m !== "") ||
    new Set(members).size !== members.length ||
    (members.length > 0 && !members.includes(name))
  ) {
    throw new ConfigError(
      where,
      "members",
      `distinct node names including "${name}" (or [] for a node that joins later)`,
      members,
    );
  }
  const machine = options.stateMachine as unknown as Record<string, unknown> | null;
  if (
    machine === null ||
    typeof machine !== "object" ||
    typeof machine.apply !== "function" ||
    typeof machine.snapshot !== "function" ||
    typeof machine.restore !== "function"
  ) {
    throw new ConfigError(
      where,
      "stateMachine",
      "a StateMachine (apply, snapshot, restore)",
      machine,
    );
  }
  const electionTimeoutMin = requireSeconds(
    where,
    "electionTimeoutMin",
    options.electionTimeoutMin ?? 0.15,
  );
  const electionTimeoutMax = requireSeconds(
    where,
    "electionTimeoutMax",
    options.electionTimeoutMax ?? 0.3,
  );
  if (!(electionTimeoutMax > electionTimeoutMin)) {
    throw new ConfigError(
      where,
      "electionTimeoutMax",
      `more than electionTimeoutMin (${electionTimeoutMin})`,
      electionTimeoutMax,
    );
  }
  const heartbeatInterval = requireSeconds(
    where,
    "heartbeatInterval",
    options.heartbeatInterval ?? 0.05,
  );
  if (!(heartbeatInterval < electionTimeoutMin)) {
    throw new ConfigError(
      where,
      "heartbeatInterval",
      `less than electionTimeoutMin (${electionTimeoutMin})`,
      heartbeatInterval,
    );
  }
  const preVote = optionalBoolean(where, "preVote", options.preVote, false);
  const checkQuorum = optionalBoolean(where, "checkQuorum", options.checkQuorum, false);
  const leaseReads = optionalBoolean(where, "leaseReads", options.leaseReads, false);
  if (leaseReads && !checkQuorum) {
    throw new ConfigError(where, "leaseReads", "false unless checkQuorum is true", leaseReads);
  }
  const leaseDriftBound = options.leaseDriftBound ?? 0.01;
  if (typeof leaseDriftBound !== "number" || !(leaseDriftBound >= 0 && leaseDriftBound < 0.5)) {
    throw new ConfigError(where, "leaseDriftBound", "a fraction in [0, 0.5)", leaseDriftBound);
  }
  const snapshotEvery = requireInteger(where, "snapshotEvery", options.snapshotEvery ?? 0, 0);
  const maxBatch = requireInteger(where, "maxBatch", options.maxBatch ?? 64, 1);
  const catchUpLearners = optionalBoolean(where, "catchUpLearners", options.catchUpLearners, true);
  const catchUpLag = requireInteger(where, "catchUpLag", options.catchUpLag ?? maxBatch, 0);
  const catchUpTimeout = requireSeconds(
    where,
    "catchUpTimeout",
    options.catchUpTimeout ?? 10 * electionTimeoutMax,
  );
  if (options.disk !== undefined && (typeof options.disk !== "object" || options.disk === null)) {
    throw new ConfigError(where, "disk", "Disk options", options.disk);
  }
  if (
    options.clock !== undefined &&
    (typeof options.clock !== "object" || options.clock === null)
  ) {
    throw new ConfigError(where, "clock", "NodeClock options", options.clock);
  }
  return {
    members: [...members] as readonly string[],
    electionTimeoutMin,
    electionTimeoutMax,
    heartbeatInterval,
    preVote,
    checkQuorum,
    leaseReads,
    leaseDriftBound,
    snapshotEvery,
    maxBatch,
    catchUpLearners,
    catchUpLag,
    catchUpTimeout,
  };
}
