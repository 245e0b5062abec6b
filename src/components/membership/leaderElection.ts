/**
 * `LeaderElection`: a leader for a SWIM cluster (`MembershipProtocol`), chosen by one of three
 * strategies, each node knowing its current leader and term.
 *
 * The leader sends a heartbeat every `heartbeatInterval` to every member its SWIM view has
 * alive; a node that hears none for `electionTimeout` starts an election:
 *
 * - `"bully"` (Garcia-Molina 1982): it asks every member with a higher index its SWIM view has
 *   alive; if none answers within `answerTimeout` it leads, else it waits for the winner's
 *   heartbeat. A node that hears a lower-index leader starts an election too, so the highest
 *   live member ends up leading.
 * - `"ring"` (Chang and Roberts 1979): a token goes round the ring of members its SWIM view has
 *   alive, in roster order, collecting every node it passes; back at its initiator, the highest
 *   collected is announced leader. A token lost to a crash is retried after the timeout.
 * - `"randomized"` (Raft's election, Ongaro and Ousterhout 2014): after a timeout drawn in
 *   [`electionTimeout`, 2 x `electionTimeout`) a node becomes a candidate for the next term,
 *   votes for itself and asks every member for a vote; a node votes once per term; a majority
 *   of the roster makes it leader. The random timeouts make split votes rare.
 *
 * Terms: a node adopts any higher term it hears, and a leader that hears one steps down. Bully
 * and ring have no votes, so their terms are ballots: round x 65,536 + the leader's (bully) or
 * the initiator's (ring) roster index, unique to one node; either way at most one node leads in
 * a term. The term and the vote (randomized) survive a crash; the role does not.
 *
 * The election rides on the SWIM members (its messages are theirs, prefixed "el-"): crash,
 * pause or partition a member and its election node goes with it. Members that join the cluster
 * after the election is built do not take part in it (the roster of electors is fixed).
 *
 * @example
 * const swim = new MembershipProtocol(sim, "swim", { members: 5 });
 * const election = new LeaderElection(sim, "election", { membership: swim, strategy: "randomized" });
 * sim.run({ until: 10 });
 * election.leader(); // the member every live node follows, or null
 */
import { type CatalogEntry, knobs } from "../../catalog/entry.js";
import { Entity, type EntityMetrics } from "../../core/entity.js";
import type { Message } from "../../core/message.js";
import type { Simulation } from "../../core/simulation.js";
import { ConfigError, SimulationError } from "../../errors/errors.js";
import type { RandomStream } from "../../random/randomStream.js";
import { requireSeconds } from "../shared/validate.js";
import { type MemberExtension, MembershipProtocol, type SwimMember } from "./membershipProtocol.js";

export type ElectionStrategy = "bully" | "ring" | "randomized";

const STRATEGIES: readonly ElectionStrategy[] = ["bully", "ring", "randomized"];

/** Bully and ring terms are ballots: round x TERM_STRIDE + a roster index (at most this many members). */
export const TERM_STRIDE = 65_536;

export interface LeaderElectionOptions {
  /** The SWIM cluster whose members elect. */
  membership: MembershipProtocol;
  /** Default "bully". */
  strategy?: ElectionStrategy;
  /** Seconds between a leader's heartbeats (> 0). Default 0.5. */
  heartbeatInterval?: number;
  /**
   * Seconds without a heartbeat before a node starts an election (> heartbeatInterval); drawn
   * in [t, 2t) for "randomized", in [t, 1.25t) for the others. Default 2.
   */
  electionTimeout?: number;
  /** Bully: seconds to wait for a higher node's answer before leading (> 0). Default 0.3. */
  answerTimeout?: number;
  /** Keep `events`. Default true. */
  recordEvents?: boolean;
  /** Called on every change of a node's leader or term. */
  onChange?: (change: LeaderChange) => void;
}

/** A node's leader or term changed. */
export interface LeaderChange {
  /** Simulated seconds. */
  readonly time: number;
  /** The node (a member's name). */
  readonly node: string;
  /** Whom it follows now (itself when it leads), or null while it knows none. */
  readonly leader: string | null;
  readonly term: number;
}

export interface LeaderElectionStats {
  /** Elections nodes started (a candidacy, a bully round, a ring token). */
  readonly electionsStarted: number;
  /** Times a node became leader. */
  readonly electionsWon: number;
  /** Changes of some node's leader (to another, or to none). */
  readonly leaderChanges: number;
  /** Messages the election sent (heartbeats included). */
  readonly messagesSent: number;
}

const FOLLOWER = 0;
const CANDIDATE = 1;
const LEADER = 2;

interface ElectionPayload {
  readonly term: number;
  /** Vote: granted; token: the members collected; coordinator: the leader's index. */
  readonly granted?: boolean;
  readonly ids?: readonly number[];
  readonly initiator?: number;
  readonly leader?: number;
}

function electionTimedOut(node: ElectionNode): void {
  node._timedOut();
}
function heartbeatDue(node: ElectionNode): void {
  node._heartbeat();
}
function answerTimedOut(node: ElectionNode): void {
  node._answerTimedOut();
}

/** One node's election state, riding on its SWIM member. */
class ElectionNode implements MemberExtension {
  readonly prefix = "el-";
  /** Durable: survives a crash. */
  term = 0;
  votedFor = -1;
  /** Durable: the last ballot this node drew (bully, ring). */
  private lastBallot = 0;
  leader = -1;
  role = FOLLOWER;
  /** Who voted for this node in its current candidacy (itself first). */
  private voters: number[] = [];
  private gotAnswer = false;
  private electionTimer = -1;
  private answerTimer = -1;

  constructor(
    readonly election: LeaderElection,
    readonly member: SwimMember,
  ) {}

  get index(): number {
    return this.member.index;
  }

  start(): void {
    this.armElectionTimer();
  }

  handle(message: Message<unknown>): void {
    const payload = message.payload as ElectionPayload;
    const from = (message.source as SwimMember).index;
    switch (message.kind) {
      case "el-heartbeat":
        this.onHeartbeat(from, payload.term);
        return;
      case "el-stale":
        this.observe(payload.term);
        return;
      case "el-vote-request":
        this.onVoteRequest(from, payload.term);
        return;
      case "el-vote":
        this.observe(payload.term);
        // A duplicated vote counts once: votes are counted by voter, not by message.
        if (
          this.role === CANDIDATE &&
          payload.term === this.term &&
          payload.granted === true &&
          !this.voters.includes(from)
        ) {
          this.voters.push(from);
          if (this.voters.length >= this.election._majority()) this.becomeLeader(this.term);
        }
        return;
      case "el-election":
        this.observe(payload.term);
        this.send(from, "el-ok", { term: this.term });
        if (this.role === LEADER) this.send(from, "el-heartbeat", { term: this.term });
        else if (this.role !== CANDIDATE) this.startElection();
        return;
      case "el-ok":
        this.observe(payload.term);
        this.gotAnswer = true;
        return;
      case "el-token":
        this.onToken(payload);
        return;
      case "el-coordinator":
        this.onCoordinator(payload.term, payload.leader!);
        return;
      default:
        throw new SimulationError(
          `unknown election message "${message.kind}"`,
          this.member.name,
          this.member.nowNs,
        );
    }
  }

  onCrash(): void {
    // Timers went with the member's; the role is volatile, the term and vote are not.
    this.electionTimer = -1;
    this.answerTimer = -1;
    this.role = FOLLOWER;
    this.setLeader(-1);
  }

  onRecover(): void {
    this.armElectionTimer();
  }

  /** @internal No heartbeat in time (or an election that came to nothing): elect. */
  _timedOut(): void {
    this.electionTimer = -1;
    if (this.member.hasLeft) return;
    this.startElection();
  }

  /** @internal The leader's beat: tell every live member, then again after the interval. */
  _heartbeat(): void {
    if (this.role !== LEADER || this.member.hasLeft) return;
    for (const other of this.liveOthers()) this.send(other, "el-heartbeat", { term: this.term });
    this.member.after(this.election.heartbeatInterval, heartbeatDue, this as ElectionNode, DAEMON);
  }

  /** @internal Bully: no higher node answered: lead. */
  _answerTimedOut(): void {
    this.answerTimer = -1;
    if (this.role === CANDIDATE && !this.gotAnswer) this.becomeLeader(this.nextBallot());
  }

  private startElection(): void {
    const election = this.election;
    election._electionsStarted++;
    this.armElectionTimer();
    switch (election.strategy) {
      case "randomized": {
        this.term++;
        this.votedFor = this.index;
        this.voters = [this.index];
        this.role = CANDIDATE;
        this.election._change(this);
        if (this.voters.length >= election._majority()) {
          this.becomeLeader(this.term);
          return;
        }
        for (const other of election.membership.members) {
          if (other !== this.member && other._extension instanceof ElectionNode) {
            this.send(other.index, "el-vote-request", { term: this.term });
          }
        }
        return;
      }
      case "bully": {
        const higher = this.liveOthers().filter((i) => i > this.index);
        if (higher.length === 0) {
          this.becomeLeader(this.nextBallot());
          return;
        }
        this.role = CANDIDATE;
        this.gotAnswer = false;
        for (const other of higher) this.send(other, "el-election", { term: this.term });
        if (this.answerTimer >= 0) this.member.cancelTimer(this.answerTimer);
        this.answerTimer = this.member.after(
          election.answerTimeout,
          answerTimedOut,
          this as ElectionNode,
          DAEMON,
        );
        return;
      }
      case "ring": {
        this.onToken({ term: this.nextBallot(), ids: [], initiator: this.index });
        return;
      }
    }
  }

  private onToken(token: ElectionPayload): void {
    const ids = token.ids!;
    if (token.initiator === this.index && ids.length > 0) {
      // Round the ring: the highest collected leads, in the initiator's ballot.
      if (token.term <= this.term && this.leader >= 0) return;
      const winner = Math.max(...ids);
      for (const id of ids) {
        if (id !== this.index)
          this.send(id, "el-coordinator", { term: token.term, leader: winner });
      }
      this.onCoordinator(token.term, winner);
      return;
    }
    // Round the ring without meeting its initiator: the initiator is gone, and its timer (or
    // another node's) starts a new round.
    if (ids.includes(this.index)) return;
    const forwarded = { term: token.term, ids: [...ids, this.index], initiator: token.initiator };
    const next = this.successor();
    if (next >= 0) this.send(next, "el-token", forwarded);
    else if (token.initiator === this.index) this.onToken(forwarded);
  }

  private onCoordinator(term: number, leader: number): void {
    this.observe(term);
    if (term < this.term) return;
    if (leader === this.index) {
      if (this.role !== LEADER) this.becomeLeader(term);
      return;
    }
    this.follow(leader, term);
  }

  private onHeartbeat(from: number, term: number): void {
    if (term < this.term) {
      this.send(from, "el-stale", { term: this.term });
      return;
    }
    this.observe(term);
    if (this.role === LEADER && from !== this.index) {
      // Two leaders of one term cannot be (terms are unique to a node or won by a majority).
      return;
    }
    this.follow(from, term);
    // Bully: a live node above the leader takes over.
    if (this.election.strategy === "bully" && from < this.index && this.role === FOLLOWER) {
      this.startElection();
    }
  }

  private onVoteRequest(from: number, term: number): void {
    this.observe(term);
    const granted = term === this.term && (this.votedFor === -1 || this.votedFor === from);
    if (granted) {
      this.votedFor = from;
      this.armElectionTimer();
    }
    this.send(from, "el-vote", { term: this.term, granted });
  }

  private follow(leader: number, term: number): void {
    this.term = term;
    this.role = FOLLOWER;
    this.setLeader(leader);
    this.armElectionTimer();
  }

  /** A higher term: adopt it, and step down from whatever this node was. */
  private observe(term: number): void {
    if (term <= this.term) return;
    this.term = term;
    this.votedFor = -1;
    if (this.role !== FOLLOWER) {
      this.role = FOLLOWER;
      this.armElectionTimer();
    }
    this.setLeader(-1);
  }

  private becomeLeader(term: number): void {
    this.term = term;
    this.role = LEADER;
    if (this.electionTimer >= 0) {
      this.member.cancelTimer(this.electionTimer);
      this.electionTimer = -1;
    }
    this.election._electionsWon++;
    this.setLeader(this.index, true);
    this._heartbeat();
  }

  private setLeader(leader: number, force = false): void {
    if (leader === this.leader && !force) return;
    if (leader !== this.leader) this.election._leaderChanges++;
    this.leader = leader;
    this.election._change(this);
  }

  /**
   * The smallest ballot of this node's own above every term seen and every ballot it drew
   * before: a ring initiator that retries must not announce two leaders in one ballot.
   */
  private nextBallot(): number {
    const above = Math.max(this.term, this.lastBallot);
    this.lastBallot = (Math.floor(above / TERM_STRIDE) + 1) * TERM_STRIDE + this.index;
    return this.lastBallot;
  }

  /** Roster indexes this node's SWIM member sees alive or suspect, itself excluded. */
  private liveOthers(): number[] {
    const out: number[] = [];
    for (const other of this.election.membership.members) {
      // Members that joined after the election was built do not take part.
      if (other === this.member || !(other._extension instanceof ElectionNode)) continue;
      const seen = this.member.viewOf(other);
      if (seen !== null && (seen.state === "alive" || seen.state === "suspect"))
        out.push(other.index);
    }
    return out;
  }

  /** The next live member after this one in roster order, wrapping; -1 if none. */
  private successor(): number {
    const live = this.liveOthers();
    if (live.length === 0) return -1;
    return live.find((i) => i > this.index) ?? live[0]!;
  }

  private armElectionTimer(): void {
    const member = this.member;
    if (this.electionTimer >= 0) member.cancelTimer(this.electionTimer);
    const election = this.election;
    const base = election.electionTimeout;
    const spread = election.strategy === "randomized" ? base : base / 4;
    this.electionTimer = member.after(
      base + election._draws.next() * spread,
      electionTimedOut,
      this as ElectionNode,
      DAEMON,
    );
  }

  private send(to: number, kind: string, payload: ElectionPayload): void {
    const target = this.election.membership.members[to]!;
    this.election._messagesSent++;
    (this.member as unknown as Entity<ElectionPayload>).send(
      target as unknown as Entity<ElectionPayload>,
      kind,
      payload,
      { sizeBytes: 24 + 4 * (payload.ids?.length ?? 0) },
    );
  }
}

const DAEMON = { daemon: true } as const;

/** Leader election over a SWIM cluster. See the module comment. */
export class LeaderElection extends Entity {
  static readonly catalog: CatalogEntry = {
    name: "LeaderElection",
    kind: "component",
    role: "coordination",
    layer: "distributed",
    contract:
      "Each node of a SWIM cluster knows a leader and a term; a leader heartbeats, and a node that hears none elects one by the bully, ring or randomized (Raft-like votes) strategy. At most one node leads in a term.",
    requires: ["MembershipProtocol", "Membership", "Quorum", "Term", "Timer"],
    provides: ["LeaderElection", "Term", "Heartbeat"],
    inputs: ["heartbeats, votes, bully answers, ring tokens", "the SWIM view of who is alive"],
    outputs: ["each node's leader and term", "changes, with times"],
    state: "per node: term and vote (durable), role and leader (volatile), its timers",
    failure_semantics:
      "A crashed leader's heartbeats stop and the others elect after their timeout; a restarted node keeps its term and vote. A partition may elect a leader on each side (bully, ring: in distinct terms; randomized: only a majority side elects); after heal the higher term wins and the other leader steps down.",
    composition_rules: ["MembershipProtocol", "Network"],
    operational_knobs: knobs<LeaderElectionOptions>()(
      "membership",
      "strategy",
      "heartbeatInterval",
      "electionTimeout",
      "answerTimeout",
      "recordEvents",
      "onChange",
    ),
  };

  readonly membership: MembershipProtocol;
  readonly strategy: ElectionStrategy;
  readonly heartbeatInterval: number;
  readonly electionTimeout: number;
  readonly answerTimeout: number;
  private readonly recordEvents: boolean;
  private readonly onChange: ((change: LeaderChange) => void) | null;
  private readonly nodes: ElectionNode[] = [];
  private readonly _events: LeaderChange[] = [];
  /** @internal */
  readonly _draws: RandomStream = this.random("election");
  /** @internal */
  _electionsStarted = 0;
  /** @internal */
  _electionsWon = 0;
  /** @internal */
  _leaderChanges = 0;
  /** @internal */
  _messagesSent = 0;

  constructor(sim: Simulation, name: string, options: LeaderElectionOptions) {
    const at = `LeaderElection "${name}"`;
    if (options === null || typeof options !== "object") {
      throw new ConfigError(at, "options", "an options object", options);
    }
    const membership = options.membership;
    if (!(membership instanceof MembershipProtocol) || membership.sim !== sim) {
      throw new ConfigError(
        at,
        "membership",
        "a MembershipProtocol of this simulation",
        membership,
      );
    }
    if (membership.members.some((m) => m._extension !== null)) {
      throw new ConfigError(
        at,
        "membership",
        "a cluster no other election runs on",
        membership.name,
      );
    }
    const strategy = options.strategy ?? "bully";
    if (!STRATEGIES.includes(strategy)) {
      throw new ConfigError(at, "strategy", `one of ${STRATEGIES.join(", ")}`, strategy);
    }
    const heartbeatInterval = requireSeconds(
      at,
      "heartbeatInterval",
      options.heartbeatInterval ?? 0.5,
    );
    const electionTimeout = requireSeconds(at, "electionTimeout", options.electionTimeout ?? 2);
    if (electionTimeout <= heartbeatInterval) {
      throw new ConfigError(
        at,
        "electionTimeout",
        `seconds > heartbeatInterval (${heartbeatInterval})`,
        electionTimeout,
      );
    }
    const answerTimeout = requireSeconds(at, "answerTimeout", options.answerTimeout ?? 0.3);
    const recordEvents = options.recordEvents ?? true;
    if (typeof recordEvents !== "boolean") {
      throw new ConfigError(at, "recordEvents", "true or false", recordEvents);
    }
    const onChange = options.onChange ?? null;
    if (onChange !== null && typeof onChange !== "function") {
      throw new ConfigError(at, "onChange", "a function", onChange);
    }
    if (membership.members.length > TERM_STRIDE) {
      throw new ConfigError(
        at,
        "membership",
        `at most ${TERM_STRIDE} members`,
        membership.members.length,
      );
    }
    super(sim, name);
    this.membership = membership;
    this.strategy = strategy;
    this.heartbeatInterval = heartbeatInterval;
    this.electionTimeout = electionTimeout;
    this.answerTimeout = answerTimeout;
    this.recordEvents = recordEvents;
    this.onChange = onChange;
    for (const member of membership.members) {
      const node = new ElectionNode(this, member);
      member._extension = node;
      this.nodes.push(node);
      if (member.isUp && !member.hasLeft) node.start();
    }
  }

  /** The leader `node` (a member or its name) follows, itself if it leads; null if none. */
  leaderOf(node: SwimMember | string): SwimMember | null {
    const found = this.nodeOf(node);
    return found.leader < 0 ? null : this.membership.members[found.leader]!;
  }

  /** The term `node` is in. */
  termOf(node: SwimMember | string): number {
    return this.nodeOf(node).term;
  }

  /** Whether `node` leads now. */
  isLeader(node: SwimMember | string): boolean {
    return this.nodeOf(node).role === LEADER;
  }

  /**
   * The leader every live member follows, when they agree on one that is up and leads, in one
   * term; null otherwise (an election under way, a partition, two leaders of different terms).
   */
  leader(): SwimMember | null {
    let agreed = -1;
    let term = -1;
    for (const node of this.nodes) {
      if (!node.member.isUp || node.member.hasLeft) continue;
      if (node.leader < 0) return null;
      if (agreed === -1) {
        agreed = node.leader;
        term = node.term;
      } else if (node.leader !== agreed || node.term !== term) return null;
    }
    if (agreed < 0) return null;
    const leader = this.nodes[agreed]!;
    return leader.member.isUp && leader.role === LEADER ? leader.member : null;
  }

  /** Every change so far, in order (empty with `recordEvents: false`). */
  get events(): readonly LeaderChange[] {
    return this._events;
  }

  get stats(): LeaderElectionStats {
    return {
      electionsStarted: this._electionsStarted,
      electionsWon: this._electionsWon,
      leaderChanges: this._leaderChanges,
      messagesSent: this._messagesSent,
    };
  }

  override metrics(): EntityMetrics {
    return { ...this.stats };
  }

  protected override onResetStats(): void {
    this._electionsStarted = 0;
    this._electionsWon = 0;
    this._leaderChanges = 0;
    this._messagesSent = 0;
  }

  /** @internal A majority of the roster. */
  _majority(): number {
    return Math.floor(this.membership.members.length / 2) + 1;
  }

  /** @internal A node's leader or term changed. */
  _change(node: ElectionNode): void {
    if (!this.recordEvents && this.onChange === null) return;
    const change: LeaderChange = {
      time: this.now,
      node: node.member.name,
      leader: node.leader < 0 ? null : this.membership.members[node.leader]!.name,
      term: node.term,
    };
    if (this.recordEvents) this._events.push(change);
    this.onChange?.(change);
  }

  private nodeOf(node: SwimMember | string): ElectionNode {
    const member = typeof node === "string" ? this.membership.member(node) : node;
    const found = this.nodes[member.index];
    if (found === undefined || found.member !== member) {
      throw new ConfigError(
        `LeaderElection "${this.name}"`,
        "node",
        "a member of its cluster from the start (members that join later do not elect)",
        node,
      );
    }
    return found;
  }
}
