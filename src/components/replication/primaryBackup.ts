/**
 * `PrimaryBackupReplication`: a primary and N backups, each a node entity with its own
 * `KVStore`, talking over whatever transport the simulation has (a `Network`: its partitions,
 * loss and duplication apply to every message below). The component itself is the front door
 * and the control plane (what ZooKeeper or a Sentinel is to a real deployment): it answers the
 * key-value protocol's `get`, `put` and `delete` by forwarding each to the primary it knows,
 * hears every node's heartbeat, and moves the primary role when the primary falls silent.
 *
 * Replication is log shipping. The primary numbers each write with the next sequence number
 * of its log, stamped with the epoch it is primary in, applies it to its store and sends it to
 * every backup; a backup appends entries that chain onto its log (same sequence and epoch
 * before them) and applies them in order, acknowledging the position it has applied. The
 * store versions are (epoch, sequence), so an entry applied twice or late changes nothing
 * (the store keeps the newer version: `KVStore`'s versioned put and tombstoning delete, as a
 * `ReplicatedStore`'s replicas do). A write is acknowledged to the client, by `mode`:
 *
 * - `"sync"`: once the primary and every backup applied it;
 * - `"semiSync"`: once the primary and `acks` backups applied it;
 * - `"async"`: once the primary applied it; the backups follow when they can.
 *
 * A sync or semi-sync write without its acknowledgements within `replicationTimeout` fails
 * ("unavailable": it may still replicate, acknowledged to nobody), where MySQL's semi-sync
 * would fall back to async: the guarantee is kept, availability paid.
 *
 * Failover: every node sends a heartbeat every `heartbeatInterval`; when the primary's is older
 * than `failureTimeout` (or on `failover()`), the component promotes the most up-to-date backup
 * whose heartbeat is fresh (the highest applied position, by epoch then sequence), in a new
 * epoch. A node that hears of a newer epoch, from the component or from a backup refusing its
 * stale entries, steps down: an old primary that comes back is fenced. A node whose log
 * diverged from the new primary's (an old primary's unreplicated tail) is resynchronised: the
 * primary sends a snapshot of its store, stamped in its epoch, and the backup drops what the
 * snapshot lacks (Redis's full resync). The acknowledged writes the new primary lacks at
 * promotion are counted in `lostOnFailover`: never in sync mode, possibly in the others.
 *
 * Nodes are named `<name>.node-<i>` (node 0 starts as primary in epoch 1), their stores
 * `<name>.node-<i>.store`; a fault schedule crashes, pauses or partitions them by these names.
 * A node's store, log and applied position survive its crash (a durable store); its role does
 * not: it comes back a backup until the component's view says otherwise.
 *
 * @example
 * const pb = new PrimaryBackupReplication<number>(sim, "pb", { backups: 2, mode: "sync" });
 * // in a process:
 * const version = yield* pb.put("x", 1);
 * const x = yield* pb.get("x");
 */
import { type CatalogEntry, knobs } from "../../catalog/entry.js";
import { Entity, type EntityMetrics } from "../../core/entity.js";
import type { SimFuture } from "../../core/future.js";
import type { Message } from "../../core/message.js";
import type { Simulation } from "../../core/simulation.js";
import { ConfigError, RemoteError, SimulationError, TimeoutError } from "../../errors/errors.js";
import { Histogram } from "../../metrics/histogram.js";
import { percentiles } from "../resource/statistics.js";
import { FrontDoor, type FrontDoorCounts, nodeNamed } from "../shared/frontDoor.js";
import { optionalBoolean, requireInteger, requireSeconds } from "../shared/validate.js";
import { KVStore, type KVStoreOptions } from "../store/kvStore.js";
import { isTombstone, type KVReply, type KVVersioned } from "../store/protocol.js";

/** When a write is acknowledged: after every backup, after `acks` of them, or at once. */
export type ReplicationMode = "sync" | "semiSync" | "async";

export const REPLICATION_MODES: readonly ReplicationMode[] = ["sync", "semiSync", "async"];

export interface PrimaryBackupOptions {
  /** Backups besides the primary (integer >= 1). Default 2. */
  backups?: number;
  /** "sync", "semiSync" or "async". Default "sync". */
  mode?: ReplicationMode;
  /** Backups a semi-sync write waits for (1 to `backups`). Default 1. Only with "semiSync". */
  acks?: number;
  /** Options of every node's `KVStore` (latencies, durability). Default: `KVStore`'s. */
  store?: KVStoreOptions;
  /** Seconds between a node's heartbeats (and the primary's retransmissions). Default 0.05. */
  heartbeatInterval?: number;
  /** Seconds of silence after which the primary is taken for failed (> heartbeatInterval). Default 0.25. */
  failureTimeout?: number;
  /** Seconds a sync or semi-sync write waits for its acknowledgements. Default 0.5. */
  replicationTimeout?: number;
  /** Seconds the front door waits for the primary's answer. Default 1. */
  requestTimeout?: number;
  /** Whether a silent primary is replaced by itself (false: only `failover()`). Default true. */
  autoFailover?: boolean;
}

/** One failover, as the component decided it. */
export interface FailoverRecord {
  /** Simulated seconds. */
  readonly time: number;
  readonly epoch: number;
  readonly from: string;
  readonly to: string;
  /** Acknowledged writes the new primary lacked when promoted. */
  readonly lost: number;
  /** "timeout" (heartbeats stopped) or "manual" (`failover()`). */
  readonly reason: "timeout" | "manual";
}

/**
 * A snapshot of the front door and control plane. At every instant:
 * `requests = completed + failed + rejected + lostToCrash + active`.
 */
export interface PrimaryBackupStats extends FrontDoorCounts {
  /** Refused by the primary, not acknowledged in time, or no primary answered. */
  readonly failed: number;
  /** Answered reads. */
  readonly reads: number;
  /** Acknowledged writes (puts and deletes). */
  readonly writes: number;
  readonly failovers: number;
  /** The epoch now (1 at the start; one more per failover). */
  readonly epoch: number;
  /** Acknowledged writes the promoted primaries lacked, summed over failovers. */
  readonly lostOnFailover: number;
  /** Times a primary stepped down on hearing of a newer epoch. */
  readonly stepDowns: number;
  /** Full resynchronisations (snapshots) sent to backups whose log diverged. */
  readonly resyncs: number;
}

/** An entry of a node's log. */
interface LogEntry<V> {
  readonly epoch: number;
  readonly seq: number;
  readonly key: string;
  readonly value: V | undefined;
  readonly deleted: boolean;
  /** When the primary appended it (ns), for the replication lag. */
  readonly atNs: number;
}

/** A position in a log: a sequence number and the epoch of the entry there. */
interface Position {
  readonly seq: number;
  readonly epoch: number;
}

interface ClientWrite<V> {
  readonly key: string;
  readonly value: V | undefined;
  readonly deleted: boolean;
}

interface Append<V> {
  readonly epoch: number;
  readonly from: number;
  /** The position the first entry chains onto. */
  readonly prev: Position;
  readonly entries: readonly LogEntry<V>[];
}

interface Ack {
  readonly epoch: number;
  readonly from: number;
  readonly received: Position;
  readonly applied: Position;
  readonly resync: boolean;
}

interface Snapshot<V> {
  readonly epoch: number;
  readonly from: number;
  readonly at: Position;
  readonly entries: readonly KVVersioned<V>[];
}

interface Heartbeat {
  readonly from: number;
  readonly epoch: number;
  readonly primary: boolean;
  readonly applied: Position;
}

interface View {
  readonly epoch: number;
  readonly primary: number;
}

/** Store versions: (epoch, sequence), so a later epoch's writes beat an earlier one's. */
const EPOCH_SPAN = 2 ** 32;
function versionOf(epoch: number, seq: number): number {
  return epoch * EPOCH_SPAN + seq;
}

const NOT_PRIMARY = "not primary";
const SNAPSHOT_PAGE = 1000;
const MAX_BATCH = 64;
const ENTRY_BYTES = 100;
/** Entries a log keeps below what every backup (or a backup itself) has applied. */
const LOG_KEEP = 1024;
/** Most entries a primary keeps for a backup that is behind: past it, the backup gets a snapshot. */
const LOG_MAX = 65_536;

/** A client write waiting on the primary for its acknowledgements. */
interface Waiter {
  readonly seq: number;
  readonly future: SimFuture<string | null>;
}

/** @internal A node: a primary or a backup, with its store and log. */
class ReplicaNode<V> extends Entity<unknown, unknown> {
  readonly store: KVStore<V>;
  /** The epoch this node knows (durable). */
  epoch = 1;
  isPrimary = false;
  /** The primary this node follows (a backup) or is. */
  primaryIndex = 0;
  /** The log: entries after `base`, in sequence order (durable, as the store). */
  log: LogEntry<V>[] = [];
  base: Position = { seq: 0, epoch: 0 };
  /** Every entry up to here is applied to the store (durable, as the store). */
  appliedSeq = 0;
  /** Entries applied past `appliedSeq` (a primary's writes finish out of order). */
  private appliedAhead = new Set<number>();
  /** The next entry the serial applier takes. */
  private nextApply = 1;
  /** A primary's own writes, which it applies itself, at once: the applier skips them. */
  private ownWrites = new Set<number>();
  /** The last entry before this node became primary: the lag is measured after it. */
  private promotedAt = 0;
  private applying = false;
  installing = false;
  /** A diverged log noticed: asked for a snapshot in every acknowledgement until one lands. */
  private needsResync = false;
  // The primary's view of each backup (volatile).
  ackedThrough: number[] = [];
  receivedThrough: number[] = [];
  private sentThrough: number[] = [];
  private receivedAtLastTick: number[] = [];
  private resyncing: boolean[] = [];
  private resyncAfterNs: number[] = [];
  private waiters: Waiter[] = [];

  constructor(
    sim: Simulation,
    name: string,
    readonly index: number,
    readonly group: PrimaryBackupReplication<V>,
    storeOptions: KVStoreOptions,
  ) {
    super(sim, name);
    this.store = new KVStore<V>(sim, `${name}.store`, storeOptions);
    this.scheduleTick();
  }

  get lastSeq(): number {
    return this.base.seq + this.log.length;
  }

  /** The epoch of the entry at `seq`, or -1 when this log cannot tell (below its base, past its end). */
  epochAt(seq: number): number {
    if (seq === this.base.seq) return this.base.epoch;
    if (seq < this.base.seq || seq > this.lastSeq) return -1;
    return this.log[seq - this.base.seq - 1]!.epoch;
  }

  position(seq: number): Position {
    return { seq, epoch: this.epochAt(seq) };
  }

  /** The newest version this node holds or will apply for `key` (0: none): the loss oracle's. */
  knownVersion(key: string): number {
    let version = Math.max(this.store.versionOf(key), this.store.tombstoneOf(key));
    for (let i = this.appliedSeq - this.base.seq; i < this.log.length; i++) {
      const entry = this.log[i]!;
      if (i >= 0 && entry.key === key)
        version = Math.max(version, versionOf(entry.epoch, entry.seq));
    }
    return version;
  }

  // --- Timers ----------------------------------------------------------------------------

  private scheduleTick(): void {
    this.after(this.group.heartbeatInterval, this.tick, undefined, { daemon: true });
  }

  private readonly tick = (): void => {
    const heartbeat: Heartbeat = {
      from: this.index,
      epoch: this.epoch,
      primary: this.isPrimary,
      applied: this.position(this.appliedSeq),
    };
    this.send(this.group, "heartbeat", heartbeat);
    if (this.isPrimary) this.retransmit();
    this.scheduleTick();
  };

  /** Backups whose position has not moved since the last tick get their entries again. */
  private retransmit(): void {
    for (let b = 0; b < this.group.nodes.length; b++) {
      if (b === this.index || this.resyncing[b]) continue;
      const received = this.receivedThrough[b]!;
      if (received < this.lastSeq && received === this.receivedAtLastTick[b]) {
        this.sentThrough[b] = received;
      }
      this.receivedAtLastTick[b] = received;
      this.sendEntries(b, true);
    }
  }

  // --- Messages ----------------------------------------------------------------------------

  override *handle(message: Message<unknown>) {
    switch (message.kind) {
      case "clientPut":
        yield* this.clientWrite(message as Message<ClientWrite<V>>);
        return;
      case "clientGet":
        yield* this.clientRead(message as Message<{ key: string }>);
        return;
      case "append":
        this.onAppend(message.payload as Append<V>);
        return;
      case "ack":
        this.onAck(message.payload as Ack);
        return;
      case "snapshot":
        yield* this.install(message.payload as Snapshot<V>);
        return;
      case "view":
        this.onView(message.payload as View);
        return;
    }
  }

  private *clientWrite(message: Message<ClientWrite<V>>) {
    if (!this.isPrimary) {
      this.fail(message, NOT_PRIMARY);
      return;
    }
    const write = message.payload;
    const seq = this.lastSeq + 1;
    const epoch = this.epoch;
    this.log.push({
      epoch,
      seq,
      key: write.key,
      value: write.value,
      deleted: write.deleted,
      atNs: this.nowNs,
    });
    for (let b = 0; b < this.group.nodes.length; b++) {
      if (b !== this.index && !this.resyncing[b]) this.sendEntries(b, false);
    }
    const future = this.future<string | null>(`write ${seq} on ${this.name}`);
    this.waiters.push({ seq, future });
    // The primary applies its clients' writes concurrently (its store takes them in parallel);
    // a backup applies the log one entry at a time, so it can fall behind.
    if (!this.applying && this.nextApply === seq) this.nextApply = seq + 1;
    else this.ownWrites.add(seq); // the applier, busy with older entries, skips it
    const log = this.log;
    yield* this.applyEntry(log[log.length - 1]!);
    if (log === this.log) this.markApplied(seq);
    const outcome = (yield this.group._timed(future, this)) as string | null;
    if (outcome === null) this.reply(message, versionOf(epoch, seq));
    else this.fail(message, outcome);
  }

  private *clientRead(message: Message<{ key: string }>) {
    if (!this.isPrimary) {
      this.fail(message, NOT_PRIMARY);
      return;
    }
    const value = yield* this.store.get(message.payload.key);
    this.reply(message, value);
  }

  /** Sends backup `b` the entries after what it was sent; with `probe`, an empty append too. */
  private sendEntries(b: number, probe: boolean): void {
    const from = this.sentThrough[b]!;
    const last = this.lastSeq;
    if (from < last && from < this.base.seq) {
      this.startResync(b);
      return;
    }
    if (from >= last && !probe) return;
    const start = from - this.base.seq;
    const entries = this.log.slice(start, Math.min(start + MAX_BATCH, this.log.length));
    const append: Append<V> = {
      epoch: this.epoch,
      from: this.index,
      prev: this.position(from),
      entries,
    };
    this.sentThrough[b] = from + entries.length;
    this.send(this.group.nodes[b]!, "append", append, {
      sizeBytes: entries.length * ENTRY_BYTES,
    });
  }

  /** A newer epoch heard of: adopt it, and stop being primary of an older one. */
  private adopt(epoch: number, primary: number): void {
    if (epoch > this.epoch) this.epoch = epoch;
    this.primaryIndex = primary;
    if (this.isPrimary && primary !== this.index) this.stepDown();
  }

  private stepDown(): void {
    this.isPrimary = false;
    this.group._stepDowns++;
    const waiters = this.waiters;
    this.waiters = [];
    for (const waiter of waiters) {
      if (waiter.future.isPending) {
        waiter.future.resolve(`${NOT_PRIMARY}: fenced by epoch ${this.epoch}`);
      }
    }
  }

  private onView(view: View): void {
    if (view.epoch < this.epoch) return;
    if (view.primary === this.index) {
      this.epoch = view.epoch;
      this.primaryIndex = this.index;
      if (!this.isPrimary) this.becomePrimary();
    } else {
      this.adopt(view.epoch, view.primary);
    }
  }

  /** Takes the primary role in this node's epoch: every backup gets a probe to answer. */
  becomePrimary(): void {
    this.isPrimary = true;
    const n = this.group.nodes.length;
    const last = this.lastSeq;
    this.promotedAt = last;
    this.ackedThrough = new Array(n).fill(0);
    this.receivedThrough = new Array(n).fill(0);
    this.receivedAtLastTick = new Array(n).fill(-1);
    this.sentThrough = new Array(n).fill(last);
    this.resyncing = new Array(n).fill(false);
    this.resyncAfterNs = new Array(n).fill(0);
    for (let b = 0; b < n; b++) if (b !== this.index) this.sendEntries(b, true);
  }

  private onAppend(append: Append<V>): void {
    if (append.epoch < this.epoch) {
      // A stale primary: tell it the epoch it missed.
      this.sendAck(append.from);
      return;
    }
    this.adopt(append.epoch, append.from);
    if (this.installing || this.isPrimary) return;
    let prev = append.prev;
    for (const entry of append.entries) {
      if (entry.seq <= this.lastSeq) {
        const mine = this.epochAt(entry.seq);
        if (mine !== -1 && mine !== entry.epoch) this.needsResync = true;
      } else if (entry.seq === this.lastSeq + 1 && this.epochAt(prev.seq) === prev.epoch) {
        this.log.push(entry);
      } else {
        if (this.epochAt(prev.seq) !== -1 && this.epochAt(prev.seq) !== prev.epoch) {
          this.needsResync = true;
        }
        break;
      }
      prev = entry;
    }
    if (append.entries.length === 0 && this.epochAt(prev.seq) !== -1) {
      if (this.epochAt(prev.seq) !== prev.epoch) this.needsResync = true;
    }
    this.kickApplier();
    this.sendAck(append.from);
  }

  private sendAck(to: number): void {
    const ack: Ack = {
      epoch: this.epoch,
      from: this.index,
      received: this.position(this.lastSeq),
      applied: this.position(this.appliedSeq),
      resync: this.needsResync,
    };
    this.send(this.group.nodes[to]!, "ack", ack);
  }

  private onAck(ack: Ack): void {
    if (ack.epoch > this.epoch) {
      // A backup has moved on to a newer epoch: this primary was replaced.
      this.epoch = ack.epoch;
      if (this.isPrimary) this.stepDown();
      return;
    }
    if (!this.isPrimary || ack.epoch < this.epoch) return;
    const b = ack.from;
    // A position counts only if this log has the same entry there: a backup's log that
    // diverged (an old primary's tail) cannot acknowledge this primary's entries.
    if (ack.resync || this.epochAt(ack.received.seq) !== ack.received.epoch) {
      this.startResync(b);
      return;
    }
    if (ack.received.seq > this.receivedThrough[b]!) this.receivedThrough[b] = ack.received.seq;
    const before = this.ackedThrough[b]!;
    const applied = ack.applied.seq;
    if (applied > before) {
      this.ackedThrough[b] = applied;
      const node = this.group.nodes[b]!.name;
      const from = Math.max(before, this.base.seq, this.promotedAt) + 1;
      for (let seq = from; seq <= applied; seq++) {
        const entry = this.log[seq - this.base.seq - 1]!;
        this.group._recordLag(node, (this.nowNs - entry.atNs) / 1e9);
      }
      this.settleWaiters();
      let slowest = this.lastSeq;
      for (let other = 0; other < this.ackedThrough.length; other++) {
        if (other !== this.index) slowest = Math.min(slowest, this.ackedThrough[other]!);
      }
      this.trimLog(Math.max(slowest - LOG_KEEP, this.lastSeq - LOG_MAX));
    }
  }

  private startResync(b: number): void {
    // One snapshot at a time per backup, and not again before the last could have landed.
    if (this.resyncing[b] || this.nowNs < this.resyncAfterNs[b]!) return;
    this.resyncing[b] = true;
    this.resyncAfterNs[b] = this.nowNs + this.group.failureTimeout * 1e9;
    this.start(this.resync(b), { name: "resync" });
  }

  /** Sends backup `b` a snapshot of this store, stamped at the applied position. */
  private *resync(b: number) {
    const entries: KVVersioned<V>[] = [];
    let from = "";
    for (;;) {
      const page = yield* this.store.scan({ from, limit: SNAPSHOT_PAGE, tombstones: true });
      entries.push(...page);
      if (page.length < SNAPSHOT_PAGE) break;
      from = `${page[page.length - 1]!.key}\u0000`;
    }
    this.resyncing[b] = false;
    if (!this.isPrimary) return;
    const at = this.position(this.appliedSeq);
    this.group._resyncs++;
    this.sentThrough[b] = at.seq;
    this.receivedThrough[b] = 0;
    const snapshot: Snapshot<V> = { epoch: this.epoch, from: this.index, at, entries };
    this.send(this.group.nodes[b]!, "snapshot", snapshot, {
      sizeBytes: Math.max(1, entries.length) * ENTRY_BYTES,
    });
  }

  /** A backup takes the primary's snapshot: its values, and none of what the primary lacks. */
  private *install(snapshot: Snapshot<V>) {
    if (snapshot.epoch < this.epoch || this.installing || this.isPrimary) return;
    this.adopt(snapshot.epoch, snapshot.from);
    this.installing = true;
    // Stamped in the snapshot's epoch: newer than anything an older epoch left here.
    const version = versionOf(snapshot.epoch, snapshot.at.seq);
    const keep = new Set<string>();
    for (const entry of snapshot.entries) {
      keep.add(entry.key);
      if (isTombstone(entry)) yield* this.store.delete(entry.key, { version });
      else yield* this.store.put(entry.key, entry.value, { version });
    }
    const mine = yield* this.store.scan({ limit: Number.MAX_SAFE_INTEGER, tombstones: true });
    for (const entry of mine) {
      if (!keep.has(entry.key) && !isTombstone(entry)) {
        yield* this.store.delete(entry.key, { version });
      }
    }
    this.log = [];
    this.base = snapshot.at;
    this.appliedSeq = snapshot.at.seq;
    this.nextApply = snapshot.at.seq + 1;
    this.appliedAhead.clear();
    this.ownWrites.clear();
    this.installing = false;
    this.needsResync = false;
    this.sendAck(snapshot.from);
  }

  // --- Applying the log --------------------------------------------------------------------

  private kickApplier(): void {
    if (this.applying || this.installing || this.nextApply > this.lastSeq) return;
    this.applying = true;
    this.start(this.applyLog(), { name: "apply" });
  }

  /** Applies the log in order, one entry at a time (a replica's single apply thread). */
  private *applyLog() {
    while (!this.installing && this.nextApply <= this.lastSeq) {
      const seq = this.nextApply++;
      if (this.ownWrites.delete(seq)) continue;
      const log = this.log;
      yield* this.applyEntry(log[seq - this.base.seq - 1]!);
      if (log !== this.log) break; // a snapshot replaced the log meanwhile
      this.markApplied(seq);
    }
    this.applying = false;
  }

  private *applyEntry(entry: LogEntry<V>) {
    const version = versionOf(entry.epoch, entry.seq);
    try {
      if (entry.deleted) yield* this.store.delete(entry.key, { version });
      else yield* this.store.put(entry.key, entry.value as V, { version });
    } catch (error) {
      // A refusal (a full store) leaves the entry unapplied here; the log moves on.
      if (!(error instanceof RemoteError)) throw error;
    }
  }

  /** Entry `seq` is in the store: moves the applied position over what is contiguous. */
  private markApplied(seq: number): void {
    if (seq <= this.appliedSeq) return;
    this.appliedAhead.add(seq);
    const before = this.appliedSeq;
    while (this.appliedAhead.delete(this.appliedSeq + 1)) this.appliedSeq++;
    if (this.appliedSeq === before) return;
    if (this.isPrimary) this.settleWaiters();
    else {
      this.sendAck(this.primaryIndex);
      this.trimLog(this.appliedSeq - LOG_KEEP);
    }
  }

  /**
   * Drops the log's entries up to `seq` (in place: a process holding the array keeps it),
   * in batches, so memory stays bounded over a long run.
   */
  private trimLog(seq: number): void {
    const drop = Math.min(seq, this.appliedSeq) - this.base.seq;
    if (drop < LOG_KEEP) return;
    const last = this.log[drop - 1]!;
    this.base = { seq: last.seq, epoch: last.epoch };
    this.log.splice(0, drop);
  }

  /** Resolves the client writes whose acknowledgements are in (in sequence order). */
  private settleWaiters(): void {
    const needed = this.group._backupAcksNeeded();
    while (this.waiters.length > 0) {
      const waiter = this.waiters[0]!;
      if (!waiter.future.isPending) {
        this.waiters.shift();
        continue;
      }
      if (this.appliedSeq < waiter.seq) return;
      let acked = 0;
      for (let b = 0; b < this.ackedThrough.length; b++) {
        if (b !== this.index && this.ackedThrough[b]! >= waiter.seq) acked++;
      }
      if (acked < needed) return;
      this.waiters.shift();
      waiter.future.resolve(null);
    }
  }

  // --- Lifecycle ---------------------------------------------------------------------------

  protected override onCrash(): void {
    this.store.crash();
    this.isPrimary = false;
    this.applying = false;
    this.installing = false;
    // Applies in progress are lost: the applier takes them again from the applied position.
    this.nextApply = this.appliedSeq + 1;
    this.appliedAhead.clear();
    this.ownWrites.clear();
    this.waiters = [];
    this.resyncing = [];
  }

  protected override onRecover(): void {
    this.store.recover();
    if (!this.store.durable) {
      this.log = [];
      this.base = { seq: 0, epoch: 0 };
      this.appliedSeq = 0;
      this.nextApply = 1;
    }
    this.scheduleTick();
    this.kickApplier();
  }
}

/** The front door's record of an acknowledged write, for the loss count. */
interface Acknowledged {
  readonly key: string;
  readonly version: number;
}

export class PrimaryBackupReplication<V = unknown> extends Entity<unknown, KVReply<V>> {
  static readonly catalog: CatalogEntry = {
    name: "PrimaryBackupReplication",
    kind: "component",
    role: "persistence",
    layer: "distributed",
    contract:
      "A primary and N backups (node entities, each with a KVStore) behind a front door answering get, put and delete: the primary logs each write (epoch, sequence), applies it and ships it to the backups, which apply in order; a write is acknowledged after every backup applied it (sync), after `acks` (semiSync), or after the primary alone (async). On heartbeat silence (or failover()) the most up-to-date live backup is promoted in a new epoch; an old primary is fenced and steps down; diverged logs are resynchronised by snapshot. Sync loses no acknowledged write on failover; the others may (counted).",
    requires: ["ReplicaSet", "Epoch", "SequenceNumber", "Heartbeat", "TimeoutPolicy"],
    provides: [
      "Read",
      "Write",
      "Delete",
      "Replicator",
      "ReplicatedLog",
      "ReplicationPolicy",
      "FailureDetector",
      "LeaderElection",
      "Fenced",
    ],
    inputs: ["get, put, delete (messages or process calls)", "failover() (manual)"],
    outputs: [
      "values, versions (replies or returned values)",
      'failures (RemoteError: "unavailable: ...", "not primary")',
      "requests, completed, failed, lostToCrash, failovers, epoch, lostOnFailover, stepDowns, resyncs, write latency and replication lag percentiles, lag per backup (entries, seconds)",
    ],
    state:
      "per node: a KVStore, a log and its applied position (durable), its role (volatile); the front door: the epoch and primary (durable), heartbeats heard (volatile), the acknowledged writes (measurement)",
    failure_semantics:
      "A silent primary is replaced after failureTimeout by the most up-to-date live backup in a new epoch; a returning old primary hears the newer epoch (from the front door or from backups refusing its entries) and steps down; its unreplicated tail is discarded by a snapshot resync. Sync never acknowledges a write some backup lacks, so a failover loses none; semiSync and async may lose acknowledged writes (lostOnFailover). A write not acknowledged in replicationTimeout fails but may still replicate. A front-door crash loses its requests in progress; the nodes keep replicating.",
    composition_rules: ["KVStore", "Network", "Client", "CachedStore"],
    operational_knobs: knobs<PrimaryBackupOptions>()(
      "backups",
      "mode",
      "acks",
      "store",
      "heartbeatInterval",
      "failureTimeout",
      "replicationTimeout",
      "requestTimeout",
      "autoFailover",
    ),
  };

  readonly mode: ReplicationMode;
  /** Backups a semi-sync write waits for (every backup for sync, 0 for async). */
  readonly acks: number;
  readonly heartbeatInterval: number;
  readonly failureTimeout: number;
  readonly replicationTimeout: number;
  readonly requestTimeout: number;
  readonly autoFailover: boolean;
  /** @internal Every node, primary first at the start. */
  readonly nodes: readonly ReplicaNode<V>[];
  private epochNow = 1;
  private primaryIndex = 0;
  private lastHeard: number[];
  private reported: Position[];
  private readonly acknowledged: Acknowledged[] = [];
  private readonly failoverLog: FailoverRecord[] = [];
  private readonly callOptions: { readonly timeout: number };
  private readonly door = new FrontDoor<KVReply<V>>(this);
  private counts = newCounts();
  /** @internal Counted by the nodes. */
  _stepDowns = 0;
  /** @internal Counted by the nodes. */
  _resyncs = 0;
  private writeLatency = new Histogram();
  private lagAll = new Histogram();
  private lagByNode = new Map<string, Histogram>();

  constructor(sim: Simulation, name: string, options: PrimaryBackupOptions = {}) {
    const component = `PrimaryBackupReplication "${name}"`;
    if (options === null || typeof options !== "object") {
      throw new ConfigError(component, "options", "an options object", options);
    }
    const backups = requireInteger(component, "backups", options.backups ?? 2, 1);
    const mode = options.mode ?? "sync";
    if (!REPLICATION_MODES.includes(mode)) {
      throw new ConfigError(component, "mode", '"sync", "semiSync" or "async"', mode);
    }
    const givenAcks = options.acks;
    if (givenAcks !== undefined && mode !== "semiSync") {
      throw new ConfigError(component, "acks", 'unset unless mode is "semiSync"', givenAcks);
    }
    const acks =
      mode === "sync"
        ? backups
        : mode === "async"
          ? 0
          : requireInteger(component, "acks", givenAcks ?? 1, 1, backups);
    const store = options.store ?? {};
    if (store === null || typeof store !== "object") {
      throw new ConfigError(component, "store", "KVStore options (an object)", store);
    }
    const heartbeatInterval = requireSeconds(
      component,
      "heartbeatInterval",
      options.heartbeatInterval ?? 0.05,
    );
    const failureTimeout = requireSeconds(
      component,
      "failureTimeout",
      options.failureTimeout ?? 0.25,
    );
    if (failureTimeout <= heartbeatInterval) {
      throw new ConfigError(
        component,
        "failureTimeout",
        `seconds > heartbeatInterval (${heartbeatInterval})`,
        failureTimeout,
      );
    }
    const replicationTimeout = requireSeconds(
      component,
      "replicationTimeout",
      options.replicationTimeout ?? 0.5,
    );
    const requestTimeout = requireSeconds(component, "requestTimeout", options.requestTimeout ?? 1);
    const autoFailover = optionalBoolean(component, "autoFailover", options.autoFailover, true);
    // Checked before anything is registered (a KVStore checks the rest when built).
    checkStoreOptions(component, store);
    super(sim, name);
    this.mode = mode;
    this.acks = acks;
    this.heartbeatInterval = heartbeatInterval;
    this.failureTimeout = failureTimeout;
    this.replicationTimeout = replicationTimeout;
    this.requestTimeout = requestTimeout;
    this.autoFailover = autoFailover;
    this.callOptions = { timeout: requestTimeout };
    const nodes: ReplicaNode<V>[] = [];
    this.nodes = nodes;
    for (let i = 0; i <= backups; i++) {
      nodes.push(new ReplicaNode<V>(sim, `${name}.node-${i}`, i, this, store));
    }
    nodes[0]!.becomePrimary();
    this.lastHeard = nodes.map(() => 0);
    this.reported = nodes.map(() => ({ seq: 0, epoch: 0 }));
    this.scheduleCheck();
  }

  // --- The process API ---------------------------------------------------------------------

  /** The value under `key` on the primary, or undefined. */
  *get(key: string): Generator<SimFuture<KVReply<V>>, V | undefined> {
    return (yield this.submit("get", key, undefined, false)) as V | undefined;
  }

  /** Writes `value` under `key`; its version once acknowledged by the mode. */
  *put(key: string, value: V): Generator<SimFuture<KVReply<V>>, number> {
    return (yield this.submit("put", key, value, false)) as number;
  }

  /** Deletes `key` (a versioned tombstone on every node); its version once acknowledged. */
  *delete(key: string): Generator<SimFuture<KVReply<V>>, number> {
    return (yield this.submit("delete", key, undefined, true)) as number;
  }

  /**
   * Promotes the most up-to-date backup heard from within `failureTimeout` now, whatever the
   * primary's health (a planned switchover, or a test's). Returns the new primary's name, or
   * null when no backup is live.
   */
  failover(): string | null {
    return this.promote("manual");
  }

  // --- State ---------------------------------------------------------------------------------

  /** The node the front door sends requests to now. */
  get primary(): string {
    return this.nodes[this.primaryIndex]!.name;
  }

  get epoch(): number {
    return this.epochNow;
  }

  /** Every node's name, node 0 first. */
  get nodeNames(): string[] {
    return this.nodes.map((node) => node.name);
  }

  /** The store of the node named `name` (for checks and reports). */
  storeOf(name: string): KVStore<V> {
    const node = nodeNamed(this, this.nodes, name);
    return node.store;
  }

  /** Whether the node named `name` acts as primary now (it may not know it was replaced). */
  isActingPrimary(name: string): boolean {
    return this.nodes.some((node) => node.name === name && node.isPrimary && node.isUp);
  }

  /** The failovers so far, in order. */
  get failovers(): readonly FailoverRecord[] {
    return this.failoverLog;
  }

  /**
   * Replication lag of each backup as the primary sees it now: entries it has not acknowledged,
   * and seconds since the oldest of them was written (0 when caught up).
   */
  lag(): { readonly node: string; readonly entries: number; readonly seconds: number }[] {
    const primary = this.nodes[this.primaryIndex]!;
    const result = [];
    for (let b = 0; b < this.nodes.length; b++) {
      if (b === this.primaryIndex) continue;
      const acked = primary.isPrimary ? (primary.ackedThrough[b] ?? 0) : 0;
      const entries = Math.max(0, primary.lastSeq - acked);
      let seconds = 0;
      if (entries > 0 && acked >= primary.base.seq) {
        const oldest = primary.log[acked - primary.base.seq];
        if (oldest !== undefined) seconds = (this.nowNs - oldest.atNs) / 1e9;
      }
      result.push({ node: this.nodes[b]!.name, entries, seconds });
    }
    return result;
  }

  /** Seconds from a write's append on the primary to a backup's acknowledgement of it. */
  get replicationLag(): Histogram {
    return this.lagAll;
  }

  /** As `replicationLag`, for the backup named `node`. */
  replicationLagOf(node: string): Histogram {
    return this.lagByNode.get(node) ?? new Histogram();
  }

  /** Seconds from arrival to acknowledgement of the writes acknowledged. */
  get writeLatencyHistogram(): Histogram {
    return this.writeLatency;
  }

  get stats(): PrimaryBackupStats {
    const c = this.counts;
    return {
      ...this.door.counts(),
      reads: c.reads,
      writes: c.writes,
      failovers: c.failovers,
      epoch: this.epochNow,
      lostOnFailover: c.lostOnFailover,
      stepDowns: this._stepDowns,
      resyncs: this._resyncs,
    };
  }

  /**
   * `stats`, percentiles of write latency (`p99WriteLatency`) and replication lag
   * (`p99ReplicationLag`), and per backup its lag now (`lag.<node>.entries`, `lag.<node>.seconds`).
   */
  override metrics(): EntityMetrics {
    const result: Record<string, number | string> = { ...this.stats, primary: this.primary };
    Object.assign(result, percentiles("WriteLatency", this.writeLatency));
    Object.assign(result, percentiles("ReplicationLag", this.lagAll));
    for (const lag of this.lag()) {
      result[`lag.${lag.node}.entries`] = lag.entries;
      result[`lag.${lag.node}.seconds`] = lag.seconds;
    }
    return result;
  }

  // --- The message API -----------------------------------------------------------------------

  override *handle(message: Message<unknown>) {
    if (message.kind === "heartbeat") {
      this.onHeartbeat(message.payload as Heartbeat);
      return;
    }
    const kind = message.kind;
    if (kind !== "get" && kind !== "put" && kind !== "delete") {
      this.fail(message, `unknown operation "${kind}" (get, put or delete)`);
      return;
    }
    const payload = (message.payload ?? {}) as { key?: unknown; value?: V };
    if (typeof payload.key !== "string") {
      this.fail(message, `${kind}: the key must be a string`);
      return;
    }
    if (kind === "put" && payload.value === undefined) {
      this.fail(message, "put: the value must not be undefined");
      return;
    }
    yield* this.door.answer(
      message,
      this.serve(kind, payload.key, payload.value, kind === "delete"),
    );
  }

  // --- Internals -----------------------------------------------------------------------------

  private submit(
    kind: "get" | "put" | "delete",
    key: string,
    value: V | undefined,
    deleted: boolean,
  ): SimFuture<KVReply<V>> {
    if (typeof key !== "string" || (kind === "put" && value === undefined)) {
      throw new SimulationError(
        `PrimaryBackupReplication: ${kind} needs a string key${kind === "put" ? " and a value (not undefined)" : ""}; given ${String(key)}`,
        this.name,
        this.nowNs,
      );
    }
    return this.door.submit(kind, this.serve(kind, key, value, deleted));
  }

  private *serve(
    kind: "get" | "put" | "delete",
    key: string,
    value: V | undefined,
    deleted: boolean,
  ): Generator<SimFuture<unknown>, KVReply<V>, unknown> {
    const startNs = this.nowNs;
    const primary = this.nodes[this.primaryIndex]!;
    const call =
      kind === "get"
        ? this.request(primary, "clientGet", { key }, this.callOptions)
        : this.request(
            primary,
            "clientPut",
            { key, value, deleted } satisfies ClientWrite<V>,
            this.callOptions,
          );
    let answer: unknown;
    try {
      answer = yield call;
    } catch (error) {
      if (error instanceof TimeoutError) {
        throw new RemoteError(
          `unavailable: primary ${primary.name} did not answer in ${this.requestTimeout}s`,
          this.name,
        );
      }
      throw error;
    }
    if (kind === "get") {
      this.counts.reads++;
      return answer as V | undefined;
    }
    this.counts.writes++;
    this.writeLatency.record((this.nowNs - startNs) / 1e9);
    this.acknowledged.push({ key, version: answer as number });
    return answer as number;
  }

  private onHeartbeat(heartbeat: Heartbeat): void {
    const i = heartbeat.from;
    this.lastHeard[i] = this.nowNs;
    this.reported[i] = heartbeat.applied;
    const isPrimary = i === this.primaryIndex;
    if (heartbeat.epoch !== this.epochNow || heartbeat.primary !== isPrimary) {
      const view: View = { epoch: this.epochNow, primary: this.primaryIndex };
      this.send(this.nodes[i]!, "view", view);
    }
  }

  private scheduleCheck(): void {
    this.after(this.heartbeatInterval, this.check, undefined, { daemon: true });
  }

  private readonly check = (): void => {
    const silentNs = this.nowNs - this.lastHeard[this.primaryIndex]!;
    if (this.autoFailover && silentNs > this.failureTimeout * 1e9) this.promote("timeout");
    this.scheduleCheck();
  };

  private promote(reason: "timeout" | "manual"): string | null {
    let chosen = -1;
    const freshNs = this.failureTimeout * 1e9;
    for (let i = 0; i < this.nodes.length; i++) {
      if (i === this.primaryIndex || this.nowNs - this.lastHeard[i]! > freshNs) continue;
      if (chosen < 0 || newer(this.reported[i]!, this.reported[chosen]!)) chosen = i;
    }
    if (chosen < 0) return null;
    const from = this.nodes[this.primaryIndex]!.name;
    const promoted = this.nodes[chosen]!;
    let lost = 0;
    for (const write of this.acknowledged) {
      if (promoted.knownVersion(write.key) < write.version) lost++;
    }
    this.epochNow++;
    this.primaryIndex = chosen;
    this.counts.failovers++;
    this.counts.lostOnFailover += lost;
    this.failoverLog.push({
      time: this.now,
      epoch: this.epochNow,
      from,
      to: promoted.name,
      lost,
      reason,
    });
    this.traceStateChange("primary", from, promoted.name, `epoch ${this.epochNow} (${reason})`);
    const view: View = { epoch: this.epochNow, primary: chosen };
    for (const node of this.nodes) this.send(node, "view", view);
    return promoted.name;
  }

  /** @internal A client write's wait for its acknowledgements, bounded by the mode's timeout. */
  _timed(future: SimFuture<string | null>, node: ReplicaNode<V>): SimFuture<string | null> {
    if (this._backupAcksNeeded() === 0) return future;
    const token = node.after(
      this.replicationTimeout,
      (waiting: SimFuture<string | null>) => {
        waiting.resolve(
          `unavailable: ${this._backupAcksNeeded()} backup acknowledgement(s) not in within ${this.replicationTimeout}s`,
        );
      },
      future,
    );
    future.addListener({ futureSettled: () => node.cancelTimer(token) });
    return future;
  }

  /**
   * @internal Backups that must have applied a write before it is acknowledged: what the
   * mode promises. (A test-only subclass breaks this promise to plant a bug.)
   */
  _backupAcksNeeded(): number {
    return this.acks;
  }

  /** @internal Records one entry's lag to backup `node`. */
  _recordLag(node: string, seconds: number): void {
    this.lagAll.record(seconds);
    let histogram = this.lagByNode.get(node);
    if (histogram === undefined) {
      histogram = new Histogram();
      this.lagByNode.set(node, histogram);
    }
    histogram.record(seconds);
  }

  protected override onRecover(): void {
    // Heartbeats heard before the crash are forgotten: every node gets a full timeout again.
    this.lastHeard = this.nodes.map(() => this.nowNs);
    this.scheduleCheck();
  }

  protected override onResetStats(): void {
    this.counts = newCounts();
    this._stepDowns = 0;
    this._resyncs = 0;
    this.writeLatency = new Histogram();
    this.lagAll = new Histogram();
    this.lagByNode = new Map();
  }
}

function newer(a: Position, b: Position): boolean {
  return a.epoch > b.epoch || (a.epoch === b.epoch && a.seq > b.seq);
}

function newCounts() {
  return {
    reads: 0,
    writes: 0,
    failovers: 0,
    lostOnFailover: 0,
  };
}

/** Store options a KVStore would refuse, refused here before anything is registered. */
function checkStoreOptions(component: string, store: KVStoreOptions): void {
  const known = new Set([
    "readLatency",
    "writeLatency",
    "concurrency",
    "queueCapacity",
    "capacity",
    "whenFull",
    "durable",
    "tombstoneGrace",
  ]);
  for (const key of Object.keys(store)) {
    if (!known.has(key)) {
      throw new ConfigError(
        component,
        `store.${key}`,
        `a KVStore option (${[...known].join(", ")})`,
        key,
      );
    }
  }
  if (store.tombstoneGrace !== undefined && store.tombstoneGrace !== Number.POSITIVE_INFINITY) {
    throw new ConfigError(
      component,
      "store.tombstoneGrace",
      "Infinity (a purged tombstone would let a resync bring a deleted value back)",
      store.tombstoneGrace,
    );
  }
}
