/**
 * `PaxosNode`: single-decree Paxos. Every node is a proposer, an acceptor and a learner of one
 * value. A proposer picks a ballot above every round it has seen, asks every member to promise
 * it (prepare), and once a quorum promised, asks them to accept the value of the highest ballot
 * any of them had accepted, or its own if none had (the rule that keeps a chosen value chosen).
 * A value is chosen once a quorum accepted it in one ballot; the proposer that sees it tells
 * every member (decide). A proposer that hears of a higher ballot (a nack) or hears nothing in
 * `phaseTimeout` tries again with a higher ballot after a seeded exponential backoff, so duelling
 * proposers drift apart instead of pre-empting each other forever.
 *
 * The acceptor's promise and acceptance are written through its `DurableLog` (on its own
 * `Disk`, `<name>.disk`, synced on every write) before it answers, so a node that restarts
 * keeps every promise it gave; a learned value is logged too.
 *
 * Messages between nodes are plain sends: across a `Network` they meet its partitions, loss,
 * duplication and delays (a duplicate counts once towards a quorum).
 *
 * @example
 * const members = ["p1", "p2", "p3"];
 * const nodes = members.map((name) => new PaxosNode<string>(sim, name, { members }));
 * // In a process:
 * const chosen = yield* nodes[0].propose("blue"); // "blue", or a value another proposer got chosen first
 */
import { type CatalogEntry, knobs } from "../../catalog/entry.js";
import { Entity, type EntityMetrics } from "../../core/entity.js";
import type { SimFuture } from "../../core/future.js";
import type { Message } from "../../core/message.js";
import type { ProcessGenerator } from "../../core/process.js";
import type { Simulation } from "../../core/simulation.js";
import { CancelledError, ConfigError } from "../../errors/errors.js";
import type { Latency } from "../shared/latency.js";
import { requireSeconds } from "../shared/validate.js";
import type { DiskError } from "../storage/diskErrors.js";
import {
  type AcceptedValue,
  AcceptorState,
  answer,
  type Ballot,
  backoffSeconds,
  broadcast,
  checkTiming,
  compareBallots,
  Members,
  majority,
  QuorumTracker,
} from "./paxosCore.js";

export interface PaxosNodeOptions {
  /** Every node's name, this one's included: the acceptors a quorum is counted over. */
  members: readonly string[];
  /** Seconds a proposer waits for a quorum before it tries a higher ballot (> 0). Default 0.1. */
  phaseTimeout?: number;
  /** Base of the seeded exponential backoff between ballots, seconds (> 0). Default 0.05. */
  retryBackoff?: number;
  /** Seconds a sync of the acceptor's disk takes: a number, profile or distribution. Default 0.002. */
  syncLatency?: Latency;
}

/** What single-decree Paxos nodes say to each other (`from`: the sender's place in `members`). */
export type PaxosMessage<V> =
  | { readonly type: "prepare"; readonly from: number; readonly ballot: Ballot }
  | {
      readonly type: "promise";
      readonly from: number;
      readonly ballot: Ballot;
      readonly accepted: AcceptedValue<V> | null;
    }
  | {
      readonly type: "nack";
      readonly from: number;
      readonly ballot: Ballot;
      readonly promised: Ballot;
    }
  | { readonly type: "accept"; readonly from: number; readonly ballot: Ballot; readonly value: V }
  | { readonly type: "accepted"; readonly from: number; readonly ballot: Ballot }
  | { readonly type: "decide"; readonly from: number; readonly value: V };

/** What a node has done, in the statistics vocabulary. */
export interface PaxosNodeStats {
  /** Ballots this node started as a proposer (each a prepare to every member). */
  readonly ballotsStarted: number;
  readonly promisesReceived: number;
  readonly nacksReceived: number;
  /** Acceptances of this node's accept requests received. */
  readonly acceptsReceived: number;
  /** Promises and acceptances this node gave as an acceptor (each written to its log first). */
  readonly promisesGiven: number;
  readonly acceptsGiven: number;
  /** 1 once this node learned the chosen value. */
  readonly decided: number;
  /**
   * Decisions for a value other than the one this node learned (compared with `Object.is`):
   * an agreement violation seen locally, 0 in a correct cluster.
   */
  readonly conflictingDecisions: number;
}

/** One ballot of this node's proposer. */
interface Attempt<V> {
  readonly ballot: Ballot;
  phase: 1 | 2;
  readonly promises: QuorumTracker;
  readonly accepts: QuorumTracker;
  /** The highest-ballot value the promises reported: the one phase 2 must propose. */
  highest: AcceptedValue<V> | null;
  value: V | undefined;
  timer: number;
}

export class PaxosNode<V> extends Entity<PaxosMessage<V>, never> {
  static readonly catalog: CatalogEntry = {
    name: "PaxosNode",
    kind: "component",
    role: "coordination",
    layer: "distributed",
    contract:
      "Single-decree Paxos: each node proposes, accepts and learns. At most one value is ever chosen (a quorum accepted it in one ballot), and only a value some node proposed; every node that learns learns that one. A proposer retries with a higher ballot after a seeded backoff until a value is chosen.",
    requires: ["Quorum", "Disk", "Network"],
    provides: ["Consensus", "Quorum", "Durable"],
    inputs: [
      "propose(value) (process call)",
      "prepare, promise, nack, accept, accepted, decide messages",
    ],
    outputs: [
      "the chosen value (propose's result, decided)",
      "ballotsStarted, promisesReceived, nacksReceived, acceptsReceived, promisesGiven, acceptsGiven, decided, conflictingDecisions",
    ],
    state:
      "durable: the promised ballot, the accepted ballot and value, the learned value (a log synced before every answer); volatile: the proposer's current ballot",
    failure_semantics:
      "A crash loses the proposer's ballot and its waiting proposals (they fail with CancelledError); the acceptor restarts with every promise and acceptance it answered. A write its disk fails (full, or the disk's own power loss) crash-stops the node (a process crash, traced), never the simulation. Lost, duplicated or late messages only delay the choice: a proposer that hears no quorum tries a higher ballot. Progress needs a quorum reachable and, between duelling proposers, the backoff to separate them.",
    composition_rules: ["Network", "Disk", "MultiPaxosNode"],
    operational_knobs: knobs<PaxosNodeOptions>()(
      "members",
      "phaseTimeout",
      "retryBackoff",
      "syncLatency",
    ),
  };

  readonly members: readonly string[];
  readonly quorum: number;
  readonly phaseTimeout: number;
  readonly retryBackoff: number;
  private readonly cluster: Members;
  private readonly acceptor: AcceptorState<V>;
  private readonly backoffDraws = this.random("backoff");

  /** The value this node proposes (set by the first `propose`), kept until one is chosen. */
  private proposal: V | undefined = undefined;
  private hasProposal = false;
  private attempt: Attempt<V> | null = null;
  private attempts = 0;
  private retryTimer = -1;
  private highestRound = 0;
  private waiters: SimFuture<V>[] = [];
  private decidedValue: V | undefined = undefined;
  private hasDecided = false;

  private counts = {
    ballotsStarted: 0,
    promisesReceived: 0,
    nacksReceived: 0,
    acceptsReceived: 0,
    promisesGiven: 0,
    acceptsGiven: 0,
    conflictingDecisions: 0,
  };

  constructor(sim: Simulation, name: string, options: PaxosNodeOptions) {
    const component = `PaxosNode "${name}"`;
    if (options === null || typeof options !== "object") {
      throw new ConfigError(component, "options", "an options object { members, ... }", options);
    }
    const cluster = new Members(component, name, options.members);
    const phaseTimeout =
      options.phaseTimeout === undefined
        ? 0.1
        : requireSeconds(component, "phaseTimeout", options.phaseTimeout);
    const timing = checkTiming(component, options);
    super(sim, name);
    this.cluster = cluster;
    this.members = cluster.names;
    this.quorum = majority(cluster.size);
    this.phaseTimeout = phaseTimeout;
    this.retryBackoff = timing.retryBackoff;
    this.acceptor = new AcceptorState<V>(this, timing.syncLatency, (error) =>
      this.stopOnDiskError(error),
    );
  }

  /** The chosen value, once this node learned it; undefined before. */
  get decided(): V | undefined {
    return this.decidedValue;
  }

  get hasLearned(): boolean {
    return this.hasDecided;
  }

  /**
   * Every acceptance this acceptor answered, in order (durable before it answered): what makes
   * a value chosen, a quorum of acceptances in one ballot. For checkers (single decree: a few).
   */
  readonly acceptances: AcceptedValue<V>[] = [];

  /** This node's acceptor's state now: its promised ballot and accepted value (for checkers). */
  get acceptorState(): { readonly promised: Ballot; readonly accepted: AcceptedValue<V> | null } {
    return { promised: this.acceptor.promised, accepted: this.acceptor.accepted.get(0) ?? null };
  }

  /**
   * Proposes `value` and returns the chosen value: `value`, or one another proposer got chosen
   * first. A node proposes one value: a later call while undecided waits for the same choice.
   * Fails with `CancelledError` if the node crashes before it learns.
   */
  *propose(value: V): Generator<SimFuture<V>, V, unknown> {
    const decision = this.future<V>("paxos-decision");
    if (this.hasDecided) {
      decision.resolve(this.decidedValue as V);
    } else {
      this.waiters.push(decision);
      if (!this.hasProposal) {
        this.proposal = value;
        this.hasProposal = true;
        if (this.attempt === null && this.retryTimer < 0) this.startBallot();
      }
    }
    return (yield decision) as V;
  }

  get stats(): PaxosNodeStats {
    return { ...this.counts, decided: this.hasDecided ? 1 : 0 };
  }

  override metrics(): EntityMetrics {
    return { ...this.stats };
  }

  // --- Proposer -----------------------------------------------------------------------------

  private startBallot(): void {
    this.retryTimer = -1;
    if (this.hasDecided || !this.hasProposal) return;
    this.highestRound++;
    const ballot: Ballot = { round: this.highestRound, node: this.cluster.self };
    this.counts.ballotsStarted++;
    this.attempts++;
    this.attempt = {
      ballot,
      phase: 1,
      promises: new QuorumTracker(this.quorum),
      accepts: new QuorumTracker(this.quorum),
      highest: null,
      value: undefined,
      timer: this.after(this.phaseTimeout, this.ballotTimedOut, undefined, { daemon: true }),
    };
    this.start(this.prepare(ballot), { name: "prepare" });
  }

  /**
   * Logs the round before using it: a node that restarted after sending accepts in a ballot
   * must never send other values in the same ballot.
   */
  private *prepare(ballot: Ballot) {
    const acceptor = this.acceptor;
    if (!(yield* acceptor.durably(acceptor.persist({ type: "ballot", round: ballot.round }))))
      return;
    if (this.attempt?.ballot !== ballot) return;
    this.broadcast({ type: "prepare", from: this.cluster.self, ballot });
  }

  private readonly ballotTimedOut = (): void => {
    this.attempt = null;
    this.scheduleRetry();
  };

  private scheduleRetry(): void {
    if (this.hasDecided || this.retryTimer >= 0) return;
    if (this.attempt !== null) {
      this.cancelTimer(this.attempt.timer);
      this.attempt = null;
    }
    const delay = backoffSeconds(this.retryBackoff, this.attempts, this.backoffDraws);
    this.retryTimer = this.after(delay, this.retry, undefined, { daemon: true });
  }

  private readonly retry = (): void => {
    this.startBallot();
  };

  private onPromise(m: Extract<PaxosMessage<V>, { type: "promise" }>): void {
    this.counts.promisesReceived++;
    const attempt = this.attempt;
    if (attempt === null || attempt.phase !== 1 || compareBallots(m.ballot, attempt.ballot) !== 0) {
      return;
    }
    if (
      m.accepted !== null &&
      (attempt.highest === null || compareBallots(m.accepted.ballot, attempt.highest.ballot) > 0)
    ) {
      attempt.highest = m.accepted;
    }
    if (!attempt.promises.add(m.from)) return;
    attempt.phase = 2;
    // The rule that keeps a chosen value chosen: a value some quorum member accepted wins.
    const value = attempt.highest === null ? (this.proposal as V) : attempt.highest.value;
    attempt.value = value;
    this.broadcast({ type: "accept", from: this.cluster.self, ballot: attempt.ballot, value });
  }

  private onAccepted(m: Extract<PaxosMessage<V>, { type: "accepted" }>): void {
    this.counts.acceptsReceived++;
    const attempt = this.attempt;
    if (attempt === null || attempt.phase !== 2 || compareBallots(m.ballot, attempt.ballot) !== 0) {
      return;
    }
    if (!attempt.accepts.add(m.from)) return;
    const value = attempt.value as V;
    this.broadcast({ type: "decide", from: this.cluster.self, value });
  }

  private onNack(m: Extract<PaxosMessage<V>, { type: "nack" }>): void {
    this.counts.nacksReceived++;
    if (m.promised.round > this.highestRound) this.highestRound = m.promised.round;
    const attempt = this.attempt;
    if (attempt !== null && compareBallots(m.ballot, attempt.ballot) === 0) this.scheduleRetry();
  }

  // --- Acceptor -----------------------------------------------------------------------------

  /**
   * Whether an acceptor that promised `promised` may accept in `ballot`: not below its promise.
   * (A test-only subclass breaks this rule to show the checkers catch it.)
   */
  protected mayAccept(ballot: Ballot, promised: Ballot): boolean {
    return compareBallots(ballot, promised) >= 0;
  }

  private *onPrepare(
    message: Message<PaxosMessage<V>>,
    m: Extract<PaxosMessage<V>, { type: "prepare" }>,
  ) {
    if (m.ballot.round > this.highestRound) this.highestRound = m.ballot.round;
    const acceptor = this.acceptor;
    const self = this.cluster.self;
    const accepted = acceptor.accepted.get(0) ?? null;
    const durable = acceptor.promise(m.ballot);
    if (durable === null) {
      this.nack(message, m.ballot);
      return;
    }
    if (!(yield* acceptor.durably(durable))) return;
    this.counts.promisesGiven++;
    this.answer(message, { type: "promise", from: self, ballot: m.ballot, accepted });
    if (this.hasDecided)
      this.answer(message, { type: "decide", from: self, value: this.decidedValue as V });
  }

  private *onAccept(
    message: Message<PaxosMessage<V>>,
    m: Extract<PaxosMessage<V>, { type: "accept" }>,
  ) {
    if (m.ballot.round > this.highestRound) this.highestRound = m.ballot.round;
    if (!this.mayAccept(m.ballot, this.acceptor.promised)) {
      this.nack(message, m.ballot);
      return;
    }
    const acceptor = this.acceptor;
    if (!(yield* acceptor.durably(acceptor.accept(0, m.ballot, m.value)))) return;
    this.counts.acceptsGiven++;
    this.acceptances.push({ ballot: m.ballot, value: m.value });
    this.answer(message, { type: "accepted", from: this.cluster.self, ballot: m.ballot });
  }

  /** Refuses a prepare or accept in `ballot`, naming the promise above it. */
  private nack(message: Message<PaxosMessage<V>>, ballot: Ballot): void {
    const promised = this.acceptor.promised;
    this.answer(message, { type: "nack", from: this.cluster.self, ballot, promised });
  }

  // --- Learner ------------------------------------------------------------------------------

  private *learn(value: V) {
    if (this.hasDecided) {
      if (!Object.is(value, this.decidedValue)) this.counts.conflictingDecisions++;
      return;
    }
    this.hasDecided = true;
    this.decidedValue = value;
    this.acceptor.chosen.set(0, value);
    if (this.attempt !== null) this.cancelTimer(this.attempt.timer);
    this.attempt = null;
    if (this.retryTimer >= 0) this.cancelTimer(this.retryTimer);
    this.retryTimer = -1;
    const waiters = this.waiters;
    this.waiters = [];
    for (const waiter of waiters) waiter.resolve(value);
    yield* this.acceptor.durably(this.acceptor.persist({ type: "chosen", slot: 0, value }));
  }

  // --- Plumbing -----------------------------------------------------------------------------

  // biome-ignore lint/suspicious/noConfusingVoidType: a plain handler returns nothing (void), a generator handler a generator
  override handle(message: Message<PaxosMessage<V>>): void | ProcessGenerator<unknown> {
    const m = message.payload;
    switch (m.type) {
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
      case "decide":
        return this.learn(m.value);
    }
  }

  private broadcast(payload: PaxosMessage<V>): void {
    if (!this.acceptor.failed) broadcast(this, this.cluster, payload);
  }

  private answer(message: Message<PaxosMessage<V>>, payload: PaxosMessage<V>): void {
    if (!this.acceptor.failed) answer(this, message, payload);
  }

  /** A write of the acceptor's log failed: as `MultiPaxosNode`, the node crash-stops (memory may be ahead of its disk). */
  private stopOnDiskError(error: DiskError): void {
    this.traceStateChange("disk", "ok", "failed", `crash-stop: ${error.message}`);
    this.after(0, () => {
      if (this.isUp) this.crash({ kind: "process" });
    });
  }

  protected override onCrash(): void {
    this.attempt = null;
    this.highestRound = 0;
    this.retryTimer = -1;
    this.hasProposal = false;
    this.proposal = undefined;
    const waiters = this.waiters;
    this.waiters = [];
    for (const waiter of waiters) waiter.reject(new CancelledError(`${this.name} crashed`));
  }

  protected override onRecover(): void {
    this.acceptor.replay();
    this.highestRound = this.acceptor.highestRound;
    const chosen = this.acceptor.chosen.get(0);
    this.hasDecided = this.acceptor.chosen.has(0);
    this.decidedValue = chosen;
  }
}
