/**
 * What the Paxos family shares (`PaxosNode`, `MultiPaxosNode`, `FlexiblePaxosNode`): ballots,
 * quorum counting, the member list, and the acceptor's state with its persistence. An acceptor
 * must never forget a promise or an acceptance it answered, or two proposers could each count
 * it towards a different value: so every change is decided in memory at once (a message handled
 * while the disk write is under way already sees it), written through a `DurableLog` synced on
 * every write, and answered only once the write returned. A restart replays the log.
 */
import type { Entity } from "../../core/entity.js";
import type { SimFuture } from "../../core/future.js";
import type { Simulation } from "../../core/simulation.js";
import { ConfigError, RemoteError, SimulationError } from "../../errors/errors.js";
import type { RandomStream } from "../../random/randomStream.js";
import { type Latency, requireLatency } from "../shared/latency.js";
import { requireSeconds } from "../shared/validate.js";
import { Disk } from "../storage/disk.js";
import { DurableLog } from "../storage/durableLog.js";

/**
 * A ballot: totally ordered by round, then by the proposer's place in the member list, so two
 * proposers never share one. `node` -1 is the ballot below every real one.
 */
export interface Ballot {
  readonly round: number;
  readonly node: number;
}

/** Below every ballot a proposer can pick. */
export const ZERO_BALLOT: Ballot = { round: 0, node: -1 };

/** Negative if `a` is below `b`, 0 if equal, positive if above. */
export function compareBallots(a: Ballot, b: Ballot): number {
  return a.round !== b.round ? a.round - b.round : a.node - b.node;
}

export function maxBallot(a: Ballot, b: Ballot): Ballot {
  return compareBallots(a, b) >= 0 ? a : b;
}

export function ballotText(b: Ballot): string {
  return `${b.round}.${b.node}`;
}

/**
 * Votes towards a quorum, each voter counted once: a duplicated message (the network may
 * deliver one twice) must not count twice.
 */
export class QuorumTracker {
  private readonly voters = new Set<number>();
  constructor(readonly size: number) {}

  /** Counts `voter`; true exactly when this vote completes the quorum. */
  add(voter: number): boolean {
    if (this.voters.has(voter)) return false;
    this.voters.add(voter);
    return this.voters.size === this.size;
  }

  get count(): number {
    return this.voters.size;
  }

  get reached(): boolean {
    return this.voters.size >= this.size;
  }
}

/** A value an acceptor accepted, with the ballot it was accepted in. */
export interface AcceptedValue<V> {
  readonly ballot: Ballot;
  readonly value: V;
}

/** One durable change of an acceptor (and a learner's "chosen", kept to restart with it). */
export type AcceptorRecord<V> =
  | { readonly type: "promise"; readonly ballot: Ballot }
  /** A round this node's proposer is about to use: never reused after a restart. */
  | { readonly type: "ballot"; readonly round: number }
  | {
      readonly type: "accept";
      readonly slot: number;
      readonly ballot: Ballot;
      readonly value: V;
    }
  | { readonly type: "chosen"; readonly slot: number; readonly value: V };

/** Bytes a record takes on the disk: a small header, and a value's worth. */
const RECORD_BYTES = 128;

/**
 * An acceptor's promised ballot, its accepted values by slot (single-decree Paxos uses slot 0),
 * and the slots a learner knows are chosen, with the log that keeps them across crashes.
 */
export class AcceptorState<V> {
  promised: Ballot = ZERO_BALLOT;
  /** The highest round this node's proposer logged (or promised to another): the next is above it. */
  highestRound = 0;
  readonly accepted = new Map<number, AcceptedValue<V>>();
  readonly chosen = new Map<number, V>();
  readonly disk: Disk<AcceptorRecord<V>>;
  private readonly log: DurableLog<AcceptorRecord<V>>;

  constructor(owner: Entity<never, unknown>, syncLatency: Latency) {
    this.disk = new Disk<AcceptorRecord<V>>(owner.sim, `${owner.name}.disk`, {
      owner,
      recordBytes: RECORD_BYTES,
      syncLatency,
    });
    this.log = new DurableLog(this.disk, { file: "acceptor", sync: "everyWrite" });
  }

  /** Writes `record` and returns once it is durable (a disk error is thrown). */
  *persist(record: AcceptorRecord<V>): Generator<SimFuture<unknown>, void, unknown> {
    yield* this.log.append(record);
  }

  /**
   * Returns once every write issued so far is durable. A repeated prepare or accept needs no
   * write of its own, but the first one's may still be waiting for its sync: the repeat's
   * answer must not leave before it, or a crash takes back an answer a proposer counted.
   */
  *settle(): Generator<SimFuture<unknown>, void, unknown> {
    if (this.disk.unsyncedWrites > 0) yield* this.log.flush();
  }

  /** Rebuilds the state from what the disk kept (after a restart). */
  replay(): void {
    this.promised = ZERO_BALLOT;
    this.highestRound = 0;
    this.accepted.clear();
    this.chosen.clear();
    for (const record of this.log.replay()) {
      if (record.type === "promise") {
        this.promised = maxBallot(this.promised, record.ballot);
      } else if (record.type === "ballot") {
        this.highestRound = Math.max(this.highestRound, record.round);
      } else if (record.type === "accept") {
        this.promised = maxBallot(this.promised, record.ballot);
        this.accepted.set(record.slot, { ballot: record.ballot, value: record.value });
      } else {
        this.chosen.set(record.slot, record.value);
      }
    }
    this.highestRound = Math.max(this.highestRound, this.promised.round);
  }

  /** Records written so far (each promise and acceptance is one). */
  get records(): number {
    return this.log.length;
  }
}

/** A cluster's members by name, checked at construction; resolved to entities at first use. */
export class Members {
  readonly names: readonly string[];
  readonly self: number;
  private entities: Entity<never, unknown>[] | null = null;

  constructor(component: string, name: string, value: unknown) {
    if (
      !Array.isArray(value) ||
      value.length === 0 ||
      value.some((m) => typeof m !== "string" || m === "") ||
      new Set(value).size !== value.length ||
      !value.includes(name)
    ) {
      throw new ConfigError(
        component,
        "members",
        `a list of distinct node names that includes "${name}"`,
        value,
      );
    }
    this.names = [...(value as string[])];
    this.self = this.names.indexOf(name);
  }

  get size(): number {
    return this.names.length;
  }

  /** The members as entities; each must exist by the first message (misuse otherwise). */
  all(sim: Simulation, who: string): readonly Entity<never, unknown>[] {
    if (this.entities === null) {
      this.entities = this.names.map((member) => {
        const entity = sim.entity(member);
        if (entity === undefined) {
          throw new SimulationError(
            `member "${member}" is not an entity of the simulation`,
            who,
            sim.nowNs,
          );
        }
        return entity as Entity<never, unknown>;
      });
    }
    return this.entities;
  }
}

/** A majority of `n`: floor(n/2) + 1. */
export function majority(n: number): number {
  return Math.floor(n / 2) + 1;
}

/** Seconds a proposer waits before its next ballot: exponential in the attempt, drawn from its stream. */
export function backoffSeconds(base: number, attempt: number, draws: RandomStream): number {
  return base * (1 << Math.min(attempt, 5)) * draws.uniform(0.5, 1.5);
}

/** The timing options every Paxos node takes, checked. */
export function checkTiming(
  component: string,
  options: { readonly retryBackoff?: unknown; readonly syncLatency?: unknown },
): { retryBackoff: number; syncLatency: Latency } {
  const retryBackoff =
    options.retryBackoff === undefined
      ? 0.05
      : requireSeconds(component, "retryBackoff", options.retryBackoff);
  // The disk's own default: a datacenter SSD's fsync.
  const syncLatency = requireLatency(component, "syncLatency", options.syncLatency, 0.002);
  return { retryBackoff, syncLatency };
}

/**
 * A proposal that a leader accepted but could not see chosen: it lost its leadership, or the
 * node crashed. It may still be chosen later (a new leader re-proposes what it finds accepted).
 */
export class ProposalLostError extends RemoteError {
  override name = "ProposalLostError";
  constructor(entity: string, reason: string) {
    super(`proposal lost: ${reason}`, entity);
  }
}
