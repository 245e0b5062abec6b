/**
 * What the Paxos family shares (`PaxosNode`, `MultiPaxosNode`, `FlexiblePaxosNode`): ballots,
 * quorum counting, the member list, the sends to members, and the acceptor's state with its
 * promise and accept steps, its persistence and (Multi-Paxos snapshots) its log compaction. An acceptor
 * must never forget a promise or an acceptance it answered, or two proposers could each count
 * it towards a different value: so every change is decided in memory at once (a message handled
 * while the disk write is under way already sees it), written through a `DurableLog` synced on
 * every write, and answered only once the write returned. A restart replays the log.
 */
import type { Entity } from "../../core/entity.js";
import type { SimFuture } from "../../core/future.js";
import type { Message } from "../../core/message.js";
import type { Simulation } from "../../core/simulation.js";
import { ConfigError, RemoteError, SimulationError } from "../../errors/errors.js";
import type { RandomStream } from "../../random/randomStream.js";
import { type Latency, requireLatency } from "../shared/latency.js";
import { requireSeconds } from "../shared/validate.js";
import { Disk } from "../storage/disk.js";
import { DiskError } from "../storage/diskErrors.js";
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
  | { readonly type: "chosen"; readonly slot: number; readonly value: V }
  /**
   * The first record of a compacted log file: every slot below `slot` is chosen and folded
   * into `state` (Multi-Paxos snapshots). The file counts only once its `sealed` record of the
   * same generation is durable: a crash before leaves the previous file the one replayed.
   */
  | {
      readonly type: "snapshot";
      readonly generation: number;
      readonly slot: number;
      readonly state: unknown;
    }
  | { readonly type: "sealed"; readonly generation: number };

/** A snapshot an acceptor keeps: every slot below `slot` is chosen, and `state` folds them in. */
export interface AcceptorSnapshot {
  readonly slot: number;
  readonly state: unknown;
}

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
  /** The latest snapshot (slots below its `slot` are dropped from `accepted` and `chosen`). */
  snapshot: AcceptorSnapshot | null = null;
  readonly disk: Disk<AcceptorRecord<V>>;
  /** The log written now: one of two files, the other the previous generation (or empty). */
  private log: DurableLog<AcceptorRecord<V>>;
  /** The two files compaction alternates between; the second is made at the first compaction. */
  private readonly logs: DurableLog<AcceptorRecord<V>>[];
  private generation = 0;
  /** A compaction is under way, and whether another was asked meanwhile. */
  private compacting = false;
  private compactAgain = false;
  /** Compactions whose sealed file became durable. */
  compactions = 0;
  /**
   * A write failed (a full disk, a power loss of the disk alone) while the node ran on: its
   * memory may hold a promise or acceptance its disk does not, so it must answer nothing more
   * until a restart replays the disk (`replay` clears it).
   */
  failed = false;

  constructor(
    private readonly owner: Entity<never, unknown>,
    syncLatency: Latency,
    /** Told once per failure (the node crash-stops: a repeat asked later would be answered from memory). */
    private readonly onDiskFailure: (error: DiskError) => void,
  ) {
    this.disk = new Disk<AcceptorRecord<V>>(owner.sim, `${owner.name}.disk`, {
      owner,
      recordBytes: RECORD_BYTES,
      syncLatency,
    });
    this.log = new DurableLog(this.disk, { file: ACCEPTOR_FILES[0], sync: "everyWrite" });
    this.logs = [this.log];
    this.disk.addLifecycleHook({
      onCrash: () => {
        // The disk lost power alone (its owner runs on) with writes in its buffer: memory holds
        // changes the disk lost, before any waiting process hears of it.
        if (owner.isUp && this.disk.unsyncedWrites > 0) {
          this.fail(new DiskError("crashed", this.disk.name, "disk lost power"));
        }
      },
    });
  }

  /**
   * Runs `writes` (steps of `persist`, `promise`, `accept`, `settle`); true once they are
   * durable. A disk error is not thrown (it would fail the whole simulation): it marks the
   * acceptor failed, tells the node, and returns false (answer nothing).
   */
  *durably(
    writes: Generator<SimFuture<unknown>, void, unknown>,
  ): Generator<SimFuture<unknown>, boolean, unknown> {
    try {
      yield* writes;
    } catch (error) {
      if (!(error instanceof DiskError)) throw error;
      this.fail(error);
      return false;
    }
    return !this.failed;
  }

  private fail(error: DiskError): void {
    if (this.failed) return;
    this.failed = true;
    this.onDiskFailure(error);
  }

  /** Writes `record` and returns once it is durable (a disk error is thrown). */
  *persist(record: AcceptorRecord<V>): Generator<SimFuture<unknown>, void, unknown> {
    // A compaction copies the highest round used: one logged but not yet synced is as good.
    if (record.type === "ballot" && record.round > this.highestRound) {
      this.highestRound = record.round;
    }
    const writing = this.log.append(record);
    let step = writing.next();
    // Refused at once (a full disk, a disk that is down): memory already holds the change, and
    // a repeat handled before this process resumes (a duplicated accept, at the same instant)
    // must find the acceptor failed, not answer from memory.
    if (
      step.done !== true &&
      step.value.state === "rejected" &&
      step.value.error instanceof DiskError
    ) {
      this.fail(step.value.error);
    }
    while (step.done !== true) {
      let sent: unknown;
      try {
        sent = yield step.value;
      } catch (error) {
        step = writing.throw(error);
        continue;
      }
      step = writing.next(sent);
    }
  }

  /**
   * Folds every slot below `slot` (all chosen) into `state`: drops their accepted and chosen
   * values now, and rewrites the log without them. The rewrite goes to the other file: the
   * snapshot, then what the acceptor holds now (its promise, highest round, accepted and chosen
   * values from `slot` on: in memory, so decided but not yet synced ones too, which only makes
   * them durable sooner), then a seal. Writes issued later follow in that file. Until the seal
   * is durable a crash replays the previous file, which holds all of it; after, the previous
   * file is emptied. So the disk holds about two snapshots' worth, however long the run.
   */
  truncate(slot: number, state: unknown): void {
    if (this.snapshot !== null && slot <= this.snapshot.slot) return;
    this.snapshot = { slot, state };
    for (const at of this.accepted.keys()) if (at < slot) this.accepted.delete(at);
    for (const at of this.chosen.keys()) if (at < slot) this.chosen.delete(at);
    if (this.compacting) {
      this.compactAgain = true;
      return;
    }
    this.compacting = true;
    this.owner.start(this.compact(), { name: "compact-log" });
  }

  private *compact(): Generator<SimFuture<unknown>, void, unknown> {
    try {
      do {
        this.compactAgain = false;
        yield* this.rewrite();
      } while (this.compactAgain);
    } catch (error) {
      // Refused at once (a full disk), the rewrite already went back to the previous file
      // without throwing. Failed later (the disk lost power under it), later writes went to a
      // file that may never be sealed, which a restart would not replay: the node stops.
      if (!(error instanceof DiskError)) throw error;
      this.fail(error);
    } finally {
      this.compacting = false;
    }
  }

  private *rewrite(): Generator<SimFuture<unknown>, void, unknown> {
    const snapshot = this.snapshot!;
    const previous = this.log;
    if (this.logs.length === 1) {
      this.logs.push(new DurableLog(this.disk, { file: ACCEPTOR_FILES[1], sync: "everyWrite" }));
    }
    const next = this.logs[previous === this.logs[0] ? 1 : 0]!;
    const generation = this.generation + 1;
    const records: AcceptorRecord<V>[] = [
      { type: "snapshot", generation, slot: snapshot.slot, state: snapshot.state },
      { type: "promise", ballot: this.promised },
      { type: "ballot", round: this.highestRound },
    ];
    for (const [slot, accepted] of this.accepted) {
      records.push({ type: "accept", slot, ballot: accepted.ballot, value: accepted.value });
    }
    for (const [slot, value] of this.chosen) records.push({ type: "chosen", slot, value });
    records.push({ type: "sealed", generation });
    // Issued together with the switch, before any later write: a sync that covers a later
    // write covers the whole file before it.
    if (this.disk.length(next.file) > 0) this.disk.truncateFuture(next.file, 0).defuse();
    this.log = next;
    this.generation = generation;
    const writing = next.appendAll(records);
    let step = writing.next();
    if (this.disk.length(next.file) !== records.length) {
      // Refused at once (a full disk): later writes must not go to a file that will never be
      // sealed, so the previous one, whole, stays in use.
      this.log = previous;
      this.generation = generation - 1;
      writing.return();
      return;
    }
    while (step.done !== true) {
      let sent: unknown;
      try {
        sent = yield step.value;
      } catch (error) {
        step = writing.throw(error);
        continue;
      }
      step = writing.next(sent);
    }
    this.compactions++;
    // The new file is durable and sealed: the previous one is no longer read.
    if (this.log === next) yield this.disk.truncateFuture(previous.file, 0);
  }

  /**
   * Phase 1 at the acceptor: a prepare for `ballot`. Below the promise: null (the node nacks).
   * Otherwise a new promise is decided in memory at once (a message handled while it is being
   * written already sees it), and the returned steps make it durable (a repeat's: wait for the
   * writes before it); the node answers once they are done.
   */
  promise(ballot: Ballot): Generator<SimFuture<unknown>, void, unknown> | null {
    const order = compareBallots(ballot, this.promised);
    if (order < 0) return null;
    if (order === 0) return this.settle();
    this.promised = ballot;
    return this.persist({ type: "promise", ballot });
  }

  /**
   * Phase 2 at the acceptor, once the node checked `ballot` may be accepted: records `value`
   * at `slot` (raising the promise to `ballot`) and returns once it is durable; a repeat of the
   * same ballot's acceptance writes nothing but waits for the writes before it.
   */
  *accept(slot: number, ballot: Ballot, value: V): Generator<SimFuture<unknown>, void, unknown> {
    const previous = this.accepted.get(slot);
    if (previous !== undefined && compareBallots(previous.ballot, ballot) === 0) {
      yield* this.settle();
      return;
    }
    if (compareBallots(ballot, this.promised) > 0) this.promised = ballot;
    this.accepted.set(slot, { ballot, value });
    yield* this.persist({ type: "accept", slot, ballot, value });
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
    this.snapshot = null;
    this.compacting = false;
    this.compactAgain = false;
    this.failed = false;
    if (this.logs.length === 1 && this.disk.length(ACCEPTOR_FILES[1]) > 0) {
      this.logs.push(new DurableLog(this.disk, { file: ACCEPTOR_FILES[1], sync: "everyWrite" }));
    }
    // The file of the highest sealed generation; the first file, never compacted, is
    // generation 0 without a header.
    let chosenLog = this.logs[0]!;
    let chosenRecords: readonly AcceptorRecord<V>[] = [];
    let best = -1;
    for (let i = 0; i < this.logs.length; i++) {
      const log = this.logs[i]!;
      const records = log.replay();
      const generation = fileGeneration(records, i === 0);
      if (generation > best) {
        best = generation;
        chosenLog = log;
        chosenRecords = records;
      }
    }
    this.log = chosenLog;
    this.generation = Math.max(best, 0);
    for (const record of chosenRecords) {
      if (record.type === "snapshot") {
        this.snapshot = { slot: record.slot, state: record.state };
      } else if (record.type === "sealed") {
        // Marks the file whole; nothing to restore.
      } else if (record.type === "promise") {
        this.promised = maxBallot(this.promised, record.ballot);
      } else if (record.type === "ballot") {
        this.highestRound = Math.max(this.highestRound, record.round);
      } else if (record.type === "accept") {
        this.promised = maxBallot(this.promised, record.ballot);
        if (record.slot >= this.snapshotSlot) {
          this.accepted.set(record.slot, { ballot: record.ballot, value: record.value });
        }
      } else if (record.slot >= this.snapshotSlot) {
        this.chosen.set(record.slot, record.value);
      }
    }
    this.highestRound = Math.max(this.highestRound, this.promised.round);
  }

  /** The first slot not folded into the snapshot (0 without one). */
  get snapshotSlot(): number {
    return this.snapshot === null ? 0 : this.snapshot.slot;
  }

  /** Records on the disk now, both files (each promise and acceptance is one). */
  get records(): number {
    let records = 0;
    for (const log of this.logs) records += log.length;
    return records;
  }
}

/** The acceptor's two log files: the first is the only one until a compaction. */
const ACCEPTOR_FILES = ["acceptor", "acceptor.next"] as const;

/**
 * The generation of a log file's records: a compacted file's, once sealed; the first file
 * without a header is generation 0; anything else (a rewrite a crash cut short, an emptied
 * file) -1, never replayed.
 */
function fileGeneration<V>(records: readonly AcceptorRecord<V>[], first: boolean): number {
  const head = records[0];
  if (head === undefined || head.type !== "snapshot") return first && head !== undefined ? 0 : -1;
  for (const record of records) {
    if (record.type === "sealed" && record.generation === head.generation) return head.generation;
  }
  return -1;
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

/** What a Paxos node sends: a typed message whose `type` is also the message's kind. */
interface PaxosPayload {
  readonly type: string;
}

/** Sends `payload` to every member, `node` itself included (plain sends: a network carries them). */
export function broadcast(
  node: Entity<never, unknown>,
  members: Members,
  payload: PaxosPayload,
): void {
  for (const member of members.all(node.sim, node.name)) {
    node.send(member as Entity<PaxosPayload, unknown>, payload.type, payload);
  }
}

/** Sends `payload` to the sender of `message` (a plain send: nobody awaits it as a reply). */
export function answer(
  node: Entity<never, unknown>,
  message: Message<unknown>,
  payload: PaxosPayload,
): void {
  const source = message.source;
  if (source === null) return;
  node.send(source as Entity<PaxosPayload, unknown>, payload.type, payload);
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
