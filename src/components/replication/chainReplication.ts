/**
 * `ChainReplication`: replicas in a chain (van Renesse and Schneider, OSDI 2004), with CRAQ
 * reads (Terrace and Freedman, USENIX ATC 2009) as an option, and a chain master that removes
 * failed nodes and repairs the chain.
 *
 * Writes enter at the head, which numbers them (one sequence for every key) and passes each to
 * its successor, node by node, to the tail; the tail applies it (commits) and an acknowledgement
 * travels back up the chain, each node marking the write committed, until the head answers the
 * client. Reads go to the tail, which has applied exactly the committed writes: reads and writes
 * are linearizable. With `craq`, a read goes to any node: a key with no write in flight there
 * (clean) is answered locally; a key with one (dirty) is answered with the version the tail has
 * committed, which the node asks the tail for (a version check), so reads spread over the chain
 * and stay linearizable.
 *
 * Each node keeps every write it has passed on and not yet seen acknowledged, and re-sends them
 * to its successor every `retransmit` seconds (lost messages, a new successor after a repair);
 * a node accepts only the next write in sequence from its predecessor of the current
 * configuration and re-acknowledges one it already has, so duplicates and reordering are
 * harmless.
 *
 * The master heartbeats every node every `heartbeat` seconds; a node that has not answered for
 * `failureTimeout` seconds is removed. Head: its successor becomes the head (writes only the old
 * head had are lost; their clients time out). Tail: its predecessor becomes the tail and commits
 * everything it has received. Middle: its predecessor re-sends what the successor may have
 * missed. A node serves reads only while its read lease (renewed by each heartbeat, measured on
 * its own monotonic clock) lasts, and the master installs a configuration without a node only
 * once that node's lease has surely run out (`lease` x 1.25, room for a 10% clock drift), so a
 * node removed while alive (a pause, a partition from the master) has stopped answering reads
 * before another node takes its place. Nodes keep their state across crashes (their store is on
 * disk); the master keeps the configuration.
 *
 * A removed node that the master hears from again (restarted, its partition healed) rejoins at
 * the tail, as in the paper: the master appends it in a new configuration marked with its
 * rejoin epoch; the node discards what it held (stale, or writes a removed head lost under
 * sequence numbers reused since), asks its predecessor (the old tail) for a copy of its state,
 * and takes no writes and serves no reads until the copy (committed values, then the
 * predecessor's uncommitted writes, which it commits as the tail) is installed. The old tail
 * stops serving tail reads when it adopts the configuration, before it sends the copy, so at
 * no time do two tails answer. The master never removes the last member holding the data (the
 * others rejoined and have not copied it yet): the chain waits for it, since members that all
 * discarded their state could never copy it back. With `rejoin: false` a removed node stays out.
 *
 * Clients reach the chain through a `ChainClient` (the configuration is the master's, read as
 * from a configuration service). Node names: `<name>-0` ... `<name>-<replicas - 1>`, in chain
 * order.
 *
 * @example
 * const chain = new ChainReplication<string>(sim, "chain", { replicas: 3, craq: true });
 * const client = new ChainClient(chain, worker);
 * yield* client.put("x", "v1");
 * const value = yield* client.get("x");
 */
import { type CatalogEntry, knobs } from "../../catalog/entry.js";
import { NodeClock } from "../../clocks/nodeClock.js";
import { Entity, type EntityMetrics } from "../../core/entity.js";
import type { Message } from "../../core/message.js";
import type { Yieldable } from "../../core/process.js";
import type { Simulation } from "../../core/simulation.js";
import { ConfigError, RemoteError } from "../../errors/errors.js";
import type { RandomStream } from "../../random/randomStream.js";
import { optionalBoolean, requireInteger, requireSeconds } from "../shared/validate.js";

export interface ChainReplicationOptions {
  /** Nodes in the chain (>= 1). Default 3. */
  replicas?: number;
  /** CRAQ: reads at any node, dirty keys checked with the tail. Default false (reads at the tail). */
  craq?: boolean;
  /** Seconds between the master's heartbeats (> 0). Default 0.05. */
  heartbeat?: number;
  /** Seconds without an answer after which the master removes a node (> heartbeat). Default 0.3. */
  failureTimeout?: number;
  /** A node's read lease from each heartbeat, seconds (> 0). Default 0.2. */
  lease?: number;
  /** Seconds between a node's re-sends of unacknowledged writes (> 0). Default 0.05. */
  retransmit?: number;
  /** Seconds a node waits for the tail's answer to a version check (> 0). Default 0.1. */
  versionTimeout?: number;
  /**
   * Seconds of a node's work per read and per version check it answers (>= 0), one at a time
   * (each node serves its reads in arrival order). Default 0: reads cost nothing.
   */
  readTime?: number;
  /**
   * Whether a removed node that is heard from again (restarted, healed) rejoins at the tail,
   * after copying its state from its new predecessor. Default true.
   */
  rejoin?: boolean;
}

/** The reasons a client's request is refused with. */
export const NOT_HEAD = "not the head";
export const NOT_SERVING = "not serving reads";

/** A configuration: the chain in order, numbered. */
export interface ChainConfig {
  readonly epoch: number;
  readonly chain: readonly string[];
  /**
   * Nodes that rejoined, with the epoch of their latest rejoin: such a node discards what it
   * held and copies its predecessor's state before it takes writes or serves reads.
   */
  readonly rejoinedAt?: Readonly<Record<string, number>>;
}

/** A predecessor's state, sent to a rejoining successor: committed values, then its log. */
interface Snapshot<V> {
  readonly epoch: number;
  readonly seq: number;
  readonly clean: readonly (readonly [string, Versioned<V>])[];
  readonly log: readonly (readonly [number, Write<V>])[];
}

interface Versioned<V> {
  readonly value: V;
  readonly seq: number;
}

interface KeyState<V> {
  clean: Versioned<V> | undefined;
  /** Writes received, not yet committed, oldest first. */
  readonly dirty: Versioned<V>[];
}

interface Write<V> {
  readonly key: string;
  readonly value: V;
}

type NodeMessage<V> =
  | { readonly key: string; readonly value?: V }
  | { readonly epoch: number; readonly seq: number; readonly key: string; readonly value: V }
  | { readonly epoch: number; readonly seq: number }
  | LeaseGrant
  | Alive
  | Snapshot<V>;

/** The master's heartbeat: the configuration, and the `alive` it answers (-1: a push). */
interface LeaseGrant {
  readonly config: ChainConfig;
  readonly sentAtNs: number;
}

/**
 * A node's heartbeat to the master: its epoch, its clock when it sent it, and the rejoin epoch
 * whose state copy it has installed (so the master knows which members hold the data).
 */
interface Alive {
  readonly epoch: number;
  readonly sentAtNs: number;
  readonly syncedFor: number;
}

/** What each node did: per-node statistics. */
export interface ChainNodeStats {
  readonly name: string;
  /** Reads it answered. */
  readonly reads: number;
  /** Reads answered from a clean key, locally (CRAQ; every tail read). */
  readonly cleanReads: number;
  /** Reads of a dirty key, answered after a version check with the tail (CRAQ). */
  readonly versionChecks: number;
  /** Reads refused (not the tail, no lease, the tail unreachable). */
  readonly readsRefused: number;
  /** Writes committed here. */
  readonly committed: number;
  /** State copies installed from a predecessor on rejoining. */
  readonly syncs: number;
  /** Writes re-sent to a successor. */
  readonly resent: number;
}

/** One node of the chain (created by `ChainReplication`). */
export class ChainNode<V> extends Entity<NodeMessage<V>, unknown> {
  readonly clock: NodeClock;
  private config: ChainConfig = { epoch: 0, chain: [] };
  private leaseUntilNs = -1;
  /** Highest sequence number received in order, and committed (acknowledged by the tail). */
  private received = 0;
  private committedSeq = 0;
  private readonly log = new Map<number, Write<V>>();
  private readonly keys = new Map<string, KeyState<V>>();
  /** At the head: clients waiting for their write's commit, by sequence number. */
  private readonly waiting = new Map<number, Message<NodeMessage<V>>>();
  private resendTimer = -1;
  /** Writes from the predecessor that arrived ahead of a gap, by sequence number. */
  private readonly early = new Map<number, Write<V>>();
  /** When the reads queued here will have been served (ns). */
  private readsBusyUntilNs = 0;
  /** The last put's message id seen from each client, whatever this node answered (durable). */
  private readonly lastPut = new Map<string, number>();
  /**
   * The rejoin epoch whose state copy this node has installed (durable): below the config's
   * `rejoinedAt` for it, the node is syncing (takes no writes, serves no reads).
   */
  private syncedFor = 0;
  private syncing = false;
  private counts = newNodeCounts();

  constructor(
    sim: Simulation,
    name: string,
    private readonly master: ChainReplication<V>,
  ) {
    super(sim, name);
    this.clock = new NodeClock(this);
    this.after(0, this.alive, undefined, { daemon: true });
  }

  private get position(): number {
    return this.config.chain.indexOf(this.name);
  }

  private neighbour(offset: number): ChainNode<V> | undefined {
    const position = this.position;
    if (position < 0) return undefined;
    const name = this.config.chain[position + offset];
    return name === undefined ? undefined : this.master.node(name);
  }

  private get isHead(): boolean {
    return this.position === 0;
  }

  private get isTail(): boolean {
    const position = this.position;
    return position >= 0 && position === this.config.chain.length - 1;
  }

  /** Seconds until this read is served: reads take `readTime` each, one after another. */
  private readSlot(): number {
    const now = this.nowNs;
    const start = Math.max(now, this.readsBusyUntilNs);
    this.readsBusyUntilNs = start + Math.round(this.workTime(this.master.readTime) * 1e9);
    return (this.readsBusyUntilNs - now) / 1e9;
  }

  private get leased(): boolean {
    return this.clock.monotonicNs() < this.leaseUntilNs;
  }

  override *handle(message: Message<NodeMessage<V>>): Generator<Yieldable, void, unknown> {
    switch (message.kind) {
      case "heartbeat":
        this.heartbeat(message as Message<LeaseGrant>);
        return;
      case "write":
        this.receiveWrite(
          message as Message<{ epoch: number; seq: number; key: string; value: V }>,
        );
        return;
      case "ack":
        this.receiveAck(message as Message<{ epoch: number; seq: number }>);
        return;
      case "syncRequest":
        this.sendSnapshot(message as Message<{ epoch: number; seq: number }>);
        return;
      case "snapshot":
        this.installSnapshot(message as Message<Snapshot<V>>);
        return;
      case "put":
        this.put(message as Message<{ key: string; value: V }>);
        return;
      case "version":
        if (this.master.readTime > 0) yield this.readSlot();
        this.version(message as Message<{ key: string }>);
        return;
      case "get":
        if (this.master.readTime > 0) yield this.readSlot();
        yield* this.get(message as Message<{ key: string }>);
        return;
      default:
        this.fail(message, `unknown operation "${message.kind}"`);
    }
  }

  /**
   * The master's answer to an `alive` (or a new configuration, pushed): the lease runs from the
   * `alive`'s own send time, by this node's clock, so an answer that arrives late (a pause, a
   * slow link) extends it by no more than the master allowed.
   */
  private heartbeat(message: Message<LeaseGrant>): void {
    const { config, sentAtNs } = message.payload;
    if (config.epoch < this.config.epoch) return;
    if (config.epoch > this.config.epoch) this.adopt(config);
    if (sentAtNs >= 0) {
      this.leaseUntilNs = Math.max(
        this.leaseUntilNs,
        sentAtNs + Math.round(this.master.lease * 1e9),
      );
    }
  }

  private readonly alive = (): void => {
    this.send(this.master, "alive", {
      epoch: this.config.epoch,
      sentAtNs: this.clock.monotonicNs(),
      syncedFor: this.syncedFor,
    });
    if (this.syncing) this.requestSync();
    this.after(this.master.heartbeat, this.alive, undefined, { daemon: true });
  };

  private adopt(config: ChainConfig): void {
    const wasTail = this.isTail;
    this.config = config;
    // Held writes came from the old predecessor: the new one re-sends what is missing.
    this.early.clear();
    if (this.position < 0) return;
    const rejoined = config.rejoinedAt?.[this.name] ?? 0;
    if (rejoined > this.syncedFor) {
      // Back in the chain after a removal: what this node holds may be stale, or writes the
      // chain lost (a removed head's) under sequence numbers reused since. Start empty and
      // copy the predecessor's state.
      if (!this.syncing) this.discardState();
      this.requestSync();
      return;
    }
    // A new tail commits everything it has: its successors are gone, so it is the last copy.
    if (this.isTail && !wasTail && this.received > this.committedSeq) this.commitTo(this.received);
    this.armResend();
  }

  private discardState(): void {
    this.syncing = true;
    this.received = 0;
    this.committedSeq = 0;
    this.log.clear();
    this.keys.clear();
    // lastPut stays: the puts seen before must still be told from the network's copies.
    this.waiting.clear();
  }

  private requestSync(): void {
    const predecessor = this.neighbour(-1);
    if (predecessor !== undefined) {
      this.send(predecessor, "syncRequest", { epoch: this.config.epoch, seq: 0 });
    }
  }

  /** A rejoining successor asks for this node's state: its committed values and its log. */
  private sendSnapshot(message: Message<{ epoch: number; seq: number }>): void {
    if (this.syncing || message.payload.epoch !== this.config.epoch) return;
    const successor = this.neighbour(1);
    if (successor === undefined || message.source !== successor) return;
    const clean: [string, Versioned<V>][] = [];
    for (const [key, state] of this.keys)
      if (state.clean !== undefined) clean.push([key, state.clean]);
    const log: [number, Write<V>][] = [];
    for (let s = this.committedSeq + 1; s <= this.received; s++) log.push([s, this.log.get(s)!]);
    const snapshot: Snapshot<V> = { epoch: this.config.epoch, seq: this.committedSeq, clean, log };
    this.send(successor, "snapshot", snapshot, { sizeBytes: 64 * (clean.length + log.length + 1) });
  }

  /**
   * The predecessor's state: its committed values become this node's, its uncommitted writes
   * are taken in order (a tail commits them at once, as a tail taking over would).
   */
  private installSnapshot(message: Message<Snapshot<V>>): void {
    const snapshot = message.payload;
    if (!this.syncing || snapshot.epoch !== this.config.epoch) return;
    if (message.source !== this.neighbour(-1)) return;
    this.syncing = false;
    this.syncedFor = this.config.rejoinedAt?.[this.name] ?? 0;
    this.counts.syncs++;
    for (const [key, clean] of snapshot.clean) this.keys.set(key, { clean, dirty: [] });
    this.received = snapshot.seq;
    this.committedSeq = snapshot.seq;
    for (const [seq, write] of snapshot.log) this.accept(seq, write.key, write.value);
    if (snapshot.log.length === 0 && snapshot.seq > 0) this.ack(snapshot.seq);
  }

  private put(message: Message<{ key: string; value: V }>): void {
    // A client has one request open at a time and its ids grow: an id not above the last one
    // seen from it is a copy the network made. Dropped before the head check, whatever this
    // node answered the first copy: a refusal of a copy of a put accepted here (then removed
    // from the head) would tell the client "not applied" of a write the chain may commit, and
    // a copy of a refused put taken once this node became the head would apply it after all.
    const client = message.source?.name ?? "";
    if (message.id <= (this.lastPut.get(client) ?? -1)) return;
    this.lastPut.set(client, message.id);
    if (!this.isHead || this.syncing) {
      this.fail(message, NOT_HEAD);
      return;
    }
    const seq = this.received + 1;
    this.waiting.set(seq, message as Message<NodeMessage<V>>);
    this.accept(seq, message.payload.key, message.payload.value);
  }

  private receiveWrite(message: Message<{ epoch: number; seq: number; key: string; value: V }>) {
    const write = message.payload;
    if (this.syncing) return;
    if (write.epoch !== this.config.epoch || message.source !== this.neighbour(-1)) return;
    if (write.seq <= this.received) {
      // A duplicate or a re-send: what is committed here is acknowledged again.
      if (this.committedSeq > 0) this.ack(this.committedSeq);
      return;
    }
    if (write.seq !== this.received + 1) {
      // Ahead of a gap (the network reordered or lost one): kept until the gap fills.
      this.early.set(write.seq, { key: write.key, value: write.value });
      return;
    }
    this.early.delete(write.seq);
    this.accept(write.seq, write.key, write.value);
    for (let next = this.early.get(this.received + 1); next !== undefined; ) {
      this.early.delete(this.received + 1);
      this.accept(this.received + 1, next.key, next.value);
      next = this.early.get(this.received + 1);
    }
  }

  private accept(seq: number, key: string, value: V): void {
    this.received = seq;
    this.log.set(seq, { key, value });
    let state = this.keys.get(key);
    if (state === undefined) {
      state = { clean: undefined, dirty: [] };
      this.keys.set(key, state);
    }
    state.dirty.push({ value, seq });
    if (this.isTail) {
      this.commitTo(seq);
      return;
    }
    const successor = this.neighbour(1);
    if (successor !== undefined) {
      this.send(successor, "write", { epoch: this.config.epoch, seq, key, value });
    }
    this.armResend();
  }

  private receiveAck(message: Message<{ epoch: number; seq: number }>): void {
    const { epoch, seq } = message.payload;
    if (this.syncing) return;
    if (epoch !== this.config.epoch || message.source !== this.neighbour(1)) return;
    if (seq > this.committedSeq) this.commitTo(Math.min(seq, this.received));
  }

  /** Marks every write up to `seq` committed, answers waiting clients, acknowledges upstream. */
  private commitTo(seq: number): void {
    for (let s = this.committedSeq + 1; s <= seq; s++) {
      const write = this.log.get(s);
      if (write === undefined) continue;
      this.log.delete(s);
      const state = this.keys.get(write.key)!;
      state.clean = { value: write.value, seq: s };
      while (state.dirty.length > 0 && state.dirty[0]!.seq <= s) state.dirty.shift();
      this.counts.committed++;
      const client = this.waiting.get(s);
      if (client !== undefined) {
        this.waiting.delete(s);
        this.reply(client, s);
      }
    }
    this.committedSeq = seq;
    this.ack(seq);
  }

  private ack(seq: number): void {
    const predecessor = this.neighbour(-1);
    if (predecessor !== undefined) this.send(predecessor, "ack", { epoch: this.config.epoch, seq });
  }

  private armResend(): void {
    if (this.resendTimer >= 0 || this.received <= this.committedSeq) return;
    this.resendTimer = this.after(this.master.retransmit, this.resend, undefined, { daemon: true });
  }

  private readonly resend = (): void => {
    this.resendTimer = -1;
    const successor = this.neighbour(1);
    if (successor === undefined || this.received <= this.committedSeq) return;
    for (let s = this.committedSeq + 1; s <= this.received; s++) {
      const write = this.log.get(s)!;
      this.send(successor, "write", { epoch: this.config.epoch, seq: s, ...write });
      this.counts.resent++;
    }
    this.armResend();
  };

  /** The tail's committed version of a key, for a CRAQ version check. */
  private version(message: Message<{ key: string }>): void {
    if (!this.isTail || !this.leased || this.syncing) {
      this.fail(message, NOT_SERVING);
      return;
    }
    this.reply(message, this.keys.get(message.payload.key)?.clean?.seq ?? 0);
  }

  private *get(message: Message<{ key: string }>): Generator<Yieldable, void, unknown> {
    const { key } = message.payload;
    if (!this.leased || this.syncing || this.position < 0 || (!this.master.craq && !this.isTail)) {
      this.counts.readsRefused++;
      this.fail(message, NOT_SERVING);
      return;
    }
    const state = this.keys.get(key);
    if (state === undefined || state.dirty.length === 0) {
      this.counts.reads++;
      this.counts.cleanReads++;
      this.reply(message, state?.clean?.value);
      return;
    }
    this.counts.versionChecks++;
    const tail = this.master.node(this.config.chain[this.config.chain.length - 1]!);
    let seq: number;
    try {
      seq = (yield* this.call(
        tail,
        "version",
        { key },
        {
          timeout: this.master.versionTimeout,
        },
      )) as number;
    } catch {
      this.counts.readsRefused++;
      this.fail(message, NOT_SERVING);
      return;
    }
    // The tail has committed `seq`: every write up to it is committed, here too.
    if (seq > this.committedSeq && seq <= this.received) this.commitTo(seq);
    const found =
      seq === 0
        ? undefined
        : state.clean !== undefined && state.clean.seq >= seq
          ? state.clean
          : state.dirty.find((version) => version.seq === seq);
    if (seq !== 0 && found === undefined) {
      this.counts.readsRefused++;
      this.fail(message, NOT_SERVING);
      return;
    }
    this.counts.reads++;
    this.reply(message, found?.value);
  }

  protected override onCrash(): void {
    // The store, the log and the configuration are on disk; clients waiting for a commit and
    // the re-send timer are not.
    this.waiting.clear();
    this.early.clear();
    this.resendTimer = -1;
    this.readsBusyUntilNs = 0;
    this.leaseUntilNs = -1;
  }

  protected override onRecover(): void {
    this.armResend();
    this.alive();
  }

  protected override onResetStats(): void {
    this.counts = newNodeCounts();
  }

  get stats(): ChainNodeStats {
    return { name: this.name, ...this.counts };
  }

  /** The committed value of `key` here (a read outside the protocol). */
  peek(key: string): V | undefined {
    return this.keys.get(key)?.clean?.value;
  }

  override metrics(): EntityMetrics {
    const { name: _name, ...counts } = this.stats;
    return counts;
  }
}

export class ChainReplication<V = unknown> extends Entity<Alive, never> {
  static readonly catalog: CatalogEntry = {
    name: "ChainReplication",
    kind: "component",
    role: "replication",
    layer: "distributed",
    contract:
      "Replicas in a chain: writes enter at the head, pass node by node and are acknowledged once the tail applies them; reads at the tail, or with craq at any node (clean keys answered locally, dirty ones with the version the tail committed). Reads and writes are linearizable. A master heartbeats the nodes, removes one silent for failureTimeout (after its read lease ran out) and repairs the chain: head, middle and tail, with unacknowledged writes re-sent. A removed node heard from again rejoins at the tail once it has copied its predecessor's state (rejoin).",
    requires: ["ReplicaSet", "Replicator", "Heartbeat", "FailureDetector", "Lease"],
    provides: ["Ordered", "Durable", "Read", "Write"],
    inputs: ["puts at the head and gets (ChainClient)", "heartbeat answers"],
    outputs: [
      "committed writes and reads",
      'refusals ("not the head", "not serving reads")',
      "chainLength, epoch, reconfigurations, removed, rejoined; per node reads, cleanReads, versionChecks, readsRefused, committed, resent, syncs",
    ],
    state:
      "per node: committed and in-flight versions per key, the writes not yet acknowledged (durable); the master: the configuration",
    failure_semantics:
      "A node silent for failureTimeout is removed; heard from again, it rejoins at the tail, serving nothing until it has copied its predecessor's state (rejoin: false keeps it out); writes only the removed head had are lost (their clients time out, never acknowledged). A node cut off from the master stops serving reads when its lease runs out, before the chain goes on without it. With rejoin, the last member holding the data is never removed (the chain waits for it); without, a chain with every node removed refuses everything.",
    composition_rules: ["Network", "Client"],
    operational_knobs: knobs<ChainReplicationOptions>()(
      "replicas",
      "craq",
      "heartbeat",
      "failureTimeout",
      "lease",
      "retransmit",
      "versionTimeout",
      "readTime",
      "rejoin",
    ),
  };

  readonly craq: boolean;
  readonly heartbeat: number;
  readonly failureTimeout: number;
  readonly lease: number;
  readonly retransmit: number;
  readonly versionTimeout: number;
  readonly readTime: number;
  readonly rejoin: boolean;
  /** Every node ever in the chain, by name, in the initial order. */
  readonly nodes: readonly ChainNode<V>[];
  private readonly byName = new Map<string, ChainNode<V>>();
  private current: ChainConfig;
  private readonly lastHeard = new Map<string, number>();
  /** Nodes suspected and waiting for their lease to run out before the chain goes on without them. */
  private readonly removing = new Set<string>();
  /** Members that rejoined and have not yet reported their state copy installed. */
  private readonly unsynced = new Set<string>();
  private counts = { reconfigurations: 0, removed: 0, rejoined: 0 };

  constructor(sim: Simulation, name: string, options: ChainReplicationOptions = {}) {
    const component = `ChainReplication "${name}"`;
    if (typeof options !== "object" || options === null) {
      throw new ConfigError(component, "options", "an object", options);
    }
    const replicas = requireInteger(component, "replicas", options.replicas ?? 3, 1);
    const craq = options.craq ?? false;
    if (typeof craq !== "boolean") throw new ConfigError(component, "craq", "a boolean", craq);
    const heartbeat = requireSeconds(component, "heartbeat", options.heartbeat ?? 0.05);
    const failureTimeout = requireSeconds(
      component,
      "failureTimeout",
      options.failureTimeout ?? 0.3,
    );
    if (failureTimeout <= heartbeat) {
      throw new ConfigError(
        component,
        "failureTimeout",
        `seconds > heartbeat (${heartbeat})`,
        failureTimeout,
      );
    }
    const lease = requireSeconds(component, "lease", options.lease ?? 0.2);
    const retransmit = requireSeconds(component, "retransmit", options.retransmit ?? 0.05);
    const versionTimeout = requireSeconds(
      component,
      "versionTimeout",
      options.versionTimeout ?? 0.1,
    );
    const readTime = requireSeconds(component, "readTime", options.readTime ?? 0, true);
    const rejoin = optionalBoolean(component, "rejoin", options.rejoin, true);
    super(sim, name);
    this.rejoin = rejoin;
    this.craq = craq;
    this.heartbeat = heartbeat;
    this.failureTimeout = failureTimeout;
    this.lease = lease;
    this.retransmit = retransmit;
    this.versionTimeout = versionTimeout;
    this.readTime = readTime;
    const nodes: ChainNode<V>[] = [];
    for (let i = 0; i < replicas; i++) {
      const node = new ChainNode<V>(sim, `${name}-${i}`, this);
      nodes.push(node);
      this.byName.set(node.name, node);
      this.lastHeard.set(node.name, 0);
    }
    this.nodes = nodes;
    this.current = { epoch: 1, chain: nodes.map((node) => node.name) };
    this.beat();
  }

  /** The node named `name`. */
  node(name: string): ChainNode<V> {
    return this.byName.get(name)!;
  }

  /** The configuration in force: the chain, head first. */
  get config(): ChainConfig {
    return this.current;
  }

  get head(): ChainNode<V> | undefined {
    const name = this.current.chain[0];
    return name === undefined ? undefined : this.node(name);
  }

  get tail(): ChainNode<V> | undefined {
    const name = this.current.chain[this.current.chain.length - 1];
    return name === undefined ? undefined : this.node(name);
  }

  override handle(message: Message<Alive>): void {
    const source = message.source;
    if (message.kind !== "alive" || source === null) return;
    const name = source.name;
    // A node suspected gets no lease: the chain goes on without it.
    if (this.removing.has(name)) return;
    if (!this.current.chain.includes(name)) {
      // A removed node heard from again: back at the tail, where it copies its state from its
      // predecessor (the old tail) before it serves; until then the old tail's writes wait.
      if (!this.rejoin || !this.byName.has(name)) return;
      this.reconfigure({
        epoch: this.current.epoch + 1,
        chain: [...this.current.chain, name],
        rejoinedAt: { ...this.current.rejoinedAt, [name]: this.current.epoch + 1 },
      });
      this.unsynced.add(name);
      this.counts.rejoined++;
    } else if (
      this.unsynced.has(name) &&
      message.payload.syncedFor >= (this.current.rejoinedAt?.[name] ?? 0)
    ) {
      this.unsynced.delete(name);
    }
    this.lastHeard.set(name, this.now);
    this.send(source as ChainNode<V>, "heartbeat", {
      config: this.current,
      sentAtNs: message.payload.sentAtNs,
    });
  }

  /** Looks for silent nodes every heartbeat. */
  private readonly beat = (): void => {
    for (const name of this.current.chain) {
      if (this.removing.has(name) || this.holdsLastCopy(name)) continue;
      if (this.now - this.lastHeard.get(name)! > this.failureTimeout) {
        // No more leases for it; go on without it once the last one has run out by its clock
        // (a lease lasts `lease` from before the master answered; x 1.25 covers a fast drift).
        this.removing.add(name);
        this.after(this.lease * 1.25, this.remove, name, { daemon: true });
      }
    }
    this.after(this.heartbeat, this.beat, undefined, { daemon: true });
  };

  private readonly remove = (name: string): void => {
    this.removing.delete(name);
    if (!this.current.chain.includes(name) || this.holdsLastCopy(name)) return;
    this.unsynced.delete(name);
    const chain = this.current.chain.filter((member) => member !== name);
    const { rejoinedAt } = this.current;
    this.counts.removed++;
    this.reconfigure(
      rejoinedAt === undefined
        ? { epoch: this.current.epoch + 1, chain }
        : { epoch: this.current.epoch + 1, chain, rejoinedAt },
    );
  };

  /**
   * Whether `name` is the only member left holding the chain's data (the others rejoined and
   * have not copied it yet): with rejoin, the chain waits for it rather than go on without it,
   * for a chain of nodes that all discarded their state to copy from one another could never
   * serve again, and every committed write would be gone. Without rejoin no one copies, so the
   * chain goes on without it as without any other.
   */
  private holdsLastCopy(name: string): boolean {
    if (!this.rejoin || this.unsynced.has(name)) return false;
    for (const member of this.current.chain) {
      if (member !== name && !this.unsynced.has(member)) return false;
    }
    return true;
  }

  private reconfigure(config: ChainConfig): void {
    this.current = config;
    this.counts.reconfigurations++;
    for (const member of config.chain) {
      if (!this.removing.has(member)) {
        this.send(this.node(member), "heartbeat", { config, sentAtNs: -1 });
      }
    }
  }

  protected override onCrash(): void {
    this.removing.clear();
  }

  protected override onRecover(): void {
    // Silence while the master was down is its own: every node gets a fresh start.
    for (const name of this.current.chain) this.lastHeard.set(name, this.now);
    this.beat();
  }

  protected override onResetStats(): void {
    this.counts = { reconfigurations: 0, removed: 0, rejoined: 0 };
  }

  /** Per-node statistics, in the initial chain order. */
  nodeStats(): ChainNodeStats[] {
    return this.nodes.map((node) => node.stats);
  }

  get stats() {
    return {
      chainLength: this.current.chain.length,
      epoch: this.current.epoch,
      ...this.counts,
    };
  }

  override metrics(): EntityMetrics {
    const metrics: Record<string, number> = { ...this.stats };
    for (const node of this.nodes) {
      metrics[`reads.${node.name}`] = node.stats.reads;
      metrics[`versionChecks.${node.name}`] = node.stats.versionChecks;
    }
    return metrics;
  }
}

/**
 * A client entity's handle on a chain: puts at the head, gets at the tail (or, with CRAQ, any
 * node). It keeps the configuration it last read from the master and reads it again only after
 * a request failed (refused or timed out), as a client of a configuration service would: so it
 * may ask a node the chain has gone on without, which must then refuse (its read lease ran out).
 */
export class ChainClient<V> {
  private readonly timeout: number;
  private readonly pick: RandomStream;
  private known: ChainConfig;

  constructor(
    readonly chain: ChainReplication<V>,
    readonly owner: Entity,
    options: { readonly timeout?: number } = {},
  ) {
    this.timeout = requireSeconds(
      `ChainClient "${owner?.name}"`,
      "timeout",
      options.timeout ?? 0.5,
    );
    this.pick = owner.random("chain");
    this.known = chain.config;
  }

  /** The configuration this client uses now. */
  get config(): ChainConfig {
    return this.known;
  }

  /** Writes `value` under `key`; returns the write's sequence number once the tail applied it. */
  *put(key: string, value: V): Generator<Yieldable, number, unknown> {
    const head = this.known.chain[0];
    if (head === undefined) return this.refuse();
    return (yield* this.ask(head, "put", { key, value })) as number;
  }

  /** Reads `key`: at the tail, or with CRAQ at a node drawn at random. */
  *get(key: string): Generator<Yieldable, V | undefined, unknown> {
    const chain = this.known.chain;
    if (chain.length === 0) return this.refuse();
    const name = this.chain.craq
      ? chain[this.pick.integer(chain.length)]!
      : chain[chain.length - 1]!;
    return (yield* this.ask(name, "get", { key })) as V | undefined;
  }

  private refuse(): never {
    this.known = this.chain.config;
    throw new RemoteError("no node left in the chain", this.chain.name);
  }

  private *ask(name: string, kind: string, payload: NodeMessage<V>) {
    try {
      return yield* this.owner.call(this.chain.node(name), kind, payload, {
        timeout: this.timeout,
      });
    } catch (error) {
      this.known = this.chain.config;
      throw error;
    }
  }
}

function newNodeCounts() {
  return {
    reads: 0,
    cleanReads: 0,
    versionChecks: 0,
    readsRefused: 0,
    committed: 0,
    resent: 0,
    syncs: 0,
  };
}
