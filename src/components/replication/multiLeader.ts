/**
 * `MultiLeaderReplication`: N leader nodes, every one of which takes writes, over whatever
 * transport the simulation has (a `Network`: its partitions, loss and duplication apply). The
 * component is the front door: `get`, `put` and `delete` go to the node a request names (`at`),
 * or to the nodes in turn. It exists to show what coordination-free writes cost: replicas that
 * diverge while cut off, conflicts when they meet again, and how long they take to agree.
 *
 * A write at node n is stamped with a vector clock (the clocks of the versions n holds for the
 * key, merged, then n's entry incremented) and a hybrid-logical-clock timestamp, applied at
 * once and sent to every other node (fire and forget). A node receiving a version keeps it if
 * it is newer than what it holds (its clock dominates), drops it if older or known, and when
 * the two are concurrent counts a conflict and settles it with the `resolver`:
 * `"lastWriterWins"` (the latest HLC timestamp, ties by node, stored with a clock covering the
 * losers, so a late copy of one is known), `"vectorClockMerge"` (keeps the concurrent versions
 * as siblings; with `merge`, a read sees their values merged), or a function making a
 * `ConflictResolver` of your own per node (`ConflictResolver.custom`), applied to the siblings
 * when a key is read.
 *
 * What replication misses (a node down, a partition, a lost message) is repaired by anti-entropy:
 * every `antiEntropyInterval` each node builds a `MerkleTree` over its keys and sends it to the
 * next peer in turn; the peer diffs it with its own and both exchange the keys of the
 * divergent leaf ranges only, merging them as replicated versions. Counted: rounds, rounds
 * that found divergence (`repairs`), keys whose versions changed (`keysRepaired`).
 *
 * A delete writes a tombstone: a version like a put's (clock, timestamp), so it replicates, meets
 * concurrent writes in the resolver and travels with anti-entropy; tombstones are kept, so no
 * stale replica brings a deleted key back (see `delete`).
 *
 * Nodes are named `<name>.node-<i>`; their data survives a crash (a durable store), messages to
 * a node that is down are lost (anti-entropy brings it back up to date).
 *
 * @example
 * const ml = new MultiLeaderReplication<string>(sim, "ml", { nodes: 3, resolver: "lastWriterWins" });
 * // in a process:
 * yield* ml.put("cart", "book", { at: 0 });
 * const cart = yield* ml.get("cart", { at: 2 }); // "book" once replicated
 */
import { ConflictResolver, type Version } from "../../algorithms/crdt/conflictResolver.js";
import { MerkleTree, merkleToken } from "../../algorithms/merkleTree.js";
import { type CatalogEntry, knobs } from "../../catalog/entry.js";
import { HybridLogicalClock } from "../../clocks/hybridLogicalClock.js";
import { NodeClock } from "../../clocks/nodeClock.js";
import { VectorClock } from "../../clocks/vectorClock.js";
import { Entity, type EntityMetrics } from "../../core/entity.js";
import type { SimFuture } from "../../core/future.js";
import type { Message } from "../../core/message.js";
import type { Simulation } from "../../core/simulation.js";
import { ConfigError, RemoteError, SimulationError, TimeoutError } from "../../errors/errors.js";
import { FrontDoor, type FrontDoorCounts, nodeNamed } from "../shared/frontDoor.js";
import { requireInteger, requireSeconds } from "../shared/validate.js";

/** How a node settles concurrent versions of a key. */
export type ResolverOption<V> =
  | "lastWriterWins"
  | "vectorClockMerge"
  | ((node: string, clock: HybridLogicalClock) => ConflictResolver<V>);

export interface MultiLeaderOptions<V> {
  /** Leader nodes (integer >= 2). Default 3. */
  nodes?: number;
  /** The conflict resolver. Default "lastWriterWins". */
  resolver?: ResolverOption<V>;
  /** With "vectorClockMerge": merges sibling values into one. Default: keep siblings. */
  merge?: (values: V[]) => V;
  /** Seconds between a node's anti-entropy rounds (0: none). Default 1. */
  antiEntropyInterval?: number;
  /** Depth of the Merkle trees (0 to 16). Default 6. */
  merkleDepth?: number;
  /** Seconds the front door waits for a node's answer. Default 1. */
  requestTimeout?: number;
}

/**
 * A snapshot of the front door and the nodes. At every instant:
 * `requests = completed + failed + rejected + lostToCrash + active`.
 */
export interface MultiLeaderStats extends FrontDoorCounts {
  readonly reads: number;
  /** Writes taken by the nodes: puts and deletes. */
  readonly writes: number;
  /** Of the writes, deletes (tombstones written). */
  readonly deletes: number;
  /** Versions sent to peers by replication. */
  readonly replicationsSent: number;
  /** Versions received from peers (replication and anti-entropy). */
  readonly replicationsReceived: number;
  /** Versions received that were concurrent with what a node held. */
  readonly conflicts: number;
  /** Conflicts settled to one version (last writer wins; the other resolvers keep siblings). */
  readonly conflictsResolved: number;
  /** Anti-entropy rounds run (trees sent). */
  readonly antiEntropyRounds: number;
  /** Rounds whose trees differed. */
  readonly repairs: number;
  /** Keys whose versions an anti-entropy exchange changed. */
  readonly keysRepaired: number;
}

interface Stamped<V> {
  readonly key: string;
  readonly version: Version<V>;
}

/** @internal A leader node: its versions per key, its clocks. */
class LeaderNode<V> extends Entity<unknown, unknown> {
  /** Each key's surviving versions (one, or siblings); durable. */
  readonly data = new Map<string, Version<V>[]>();
  readonly hlc: HybridLogicalClock;
  private readonly resolver: ConflictResolver<V>;
  /**
   * Settles the siblings a read finds (a merge, a custom resolver); null: siblings are read as
   * they are. Applied on reads only: a version merged from concurrent ones and stored under
   * their joint clock would let two nodes that merged different sets (one had seen a write that
   * superseded a value, the other had not) hold different values under equal clocks for good,
   * and bring an overwritten or deleted value back. Stored siblings converge; so do their reads.
   */
  private readonly reader: ConflictResolver<V> | null;
  private nextPeer = 0;

  constructor(
    sim: Simulation,
    name: string,
    readonly index: number,
    readonly group: MultiLeaderReplication<V>,
    resolver: ResolverOption<V>,
    merge: ((values: V[]) => V) | undefined,
  ) {
    super(sim, name);
    this.hlc = new HybridLogicalClock(new NodeClock(this), { maxOffset: Number.POSITIVE_INFINITY });
    // Last writer wins picks by a total order that agrees with causality (HLC timestamps), so
    // its choice can be stored; every other resolver keeps siblings and settles them on reads.
    this.resolver =
      resolver === "lastWriterWins"
        ? ConflictResolver.lastWriterWins<V>(this.hlc)
        : ConflictResolver.vectorClockMerge<V>();
    this.reader =
      resolver === "lastWriterWins"
        ? null
        : resolver === "vectorClockMerge"
          ? merge === undefined
            ? null
            : ConflictResolver.vectorClockMerge<V>(mergeLive(merge))
          : resolver(name, this.hlc);
    this.scheduleAntiEntropy();
  }

  override handle(message: Message<unknown>): void {
    switch (message.kind) {
      case "clientPut": {
        const { key, value } = message.payload as { key: string; value: V };
        this.reply(message, this.write(key, value));
        return;
      }
      case "clientDelete": {
        this.group._counts.deletes++;
        this.reply(message, this.write((message.payload as { key: string }).key, TOMBSTONE as V));
        return;
      }
      case "clientGet": {
        this.reply(message, this.read((message.payload as { key: string }).key));
        return;
      }
      case "replicate": {
        const stamped = message.payload as Stamped<V>;
        this.group._counts.replicationsReceived++;
        this.absorb(stamped.key, [stamped.version]);
        return;
      }
      case "tree":
        this.onTree(message.payload as { from: number; tree: MerkleTree });
        return;
      case "repair":
        this.onRepair(message.payload as RepairPayload<V>);
        return;
    }
  }

  /**
   * A local write (a put, or a delete's tombstone): its clock covers every version held here,
   * tombstones included, so it supersedes them everywhere; sent to every peer.
   */
  private write(key: string, value: V): string {
    const clock = new VectorClock();
    for (const held of this.data.get(key) ?? []) clock.merge(held.clock!);
    clock.increment(this.name);
    const version: Version<V> = { value, node: this.name, timestamp: this.hlc.send(), clock };
    this.data.set(key, [version]);
    this.group._counts.writes++;
    const stamped: Stamped<V> = { key, version };
    for (const peer of this.group.nodes) {
      if (peer === this) continue;
      this.group._counts.replicationsSent++;
      this.send(peer, "replicate", stamped, { sizeBytes: 100 });
    }
    return clock.toString();
  }

  /** What a read of `key` here sees: the value, the siblings' values, or undefined. */
  read(key: string): V | V[] | undefined {
    const versions = this.data.get(key);
    if (versions === undefined) return undefined;
    return readValue(
      this.reader === null || versions.length === 1 ? versions : this.reader.resolve(versions),
    );
  }

  /** Merges versions from a peer into `key`'s; true if what this node holds changed. */
  absorb(key: string, incoming: readonly Version<V>[]): boolean {
    let held = this.data.get(key);
    let changed = false;
    for (const version of incoming) {
      if (version.timestamp !== undefined) this.hlc.receive(version.timestamp);
      if (held === undefined) {
        held = [version];
        changed = true;
        continue;
      }
      if (held.some((mine) => covers(mine.clock!, version.clock!))) continue; // known or older
      const newer = held.every((mine) => mine.clock!.happenedBefore(version.clock!));
      if (newer) {
        held = [version];
        changed = true;
        continue;
      }
      this.group._counts.conflicts++;
      const all = [...held.filter((mine) => !mine.clock!.happenedBefore(version.clock!)), version];
      let resolved = this.resolver.resolve(all);
      if (resolved.length === 1) {
        this.group._counts.conflictsResolved++;
        const clock = new VectorClock();
        for (const version of all) clock.merge(version.clock!);
        resolved = [{ ...resolved[0]!, clock }];
      }
      held = resolved;
      changed = true;
    }
    if (held !== undefined && changed) this.data.set(key, held);
    return changed;
  }

  // --- Anti-entropy ------------------------------------------------------------------------

  private scheduleAntiEntropy(): void {
    const interval = this.group.antiEntropyInterval;
    if (interval > 0) this.after(interval, this.antiEntropy, undefined, { daemon: true });
  }

  private readonly antiEntropy = (): void => {
    const peers = this.group.nodes.length - 1;
    const peer = this.group.nodes[(this.index + 1 + (this.nextPeer++ % peers)) % (peers + 1)]!;
    this.group._counts.antiEntropyRounds++;
    const tree = this.tree();
    this.send(peer, "tree", { from: this.index, tree }, { sizeBytes: 4 * (2 * tree.leaves - 1) });
    this.scheduleAntiEntropy();
  };

  tree(): MerkleTree {
    const entries: [string, string][] = [];
    for (const [key, versions] of this.data) entries.push([key, fingerprint(versions)]);
    return new MerkleTree(entries, { depth: this.group.merkleDepth });
  }

  private onTree(payload: { from: number; tree: MerkleTree }): void {
    const mine = this.tree();
    const diff = MerkleTree.diff(payload.tree, mine);
    if (diff.ranges.length === 0) return;
    this.group._counts.repairs++;
    const leaves = new Set(diff.ranges.map((range) => range.leaf));
    // Ours to it, and ask for its keys of the same ranges.
    this.sendRepair(payload.from, leaves, true);
  }

  private sendRepair(to: number, leaves: ReadonlySet<number>, reply: boolean): void {
    const entries: [string, Version<V>[]][] = [];
    const depth = this.group.merkleDepth;
    for (const [key, versions] of this.data) {
      // The leaf a tree of this depth puts the key in (MerkleTree.leafOf, without a tree).
      const leaf = depth === 0 ? 0 : merkleToken(key) >>> (32 - depth);
      if (leaves.has(leaf)) entries.push([key, versions]);
    }
    const payload: RepairPayload<V> = { from: this.index, leaves: [...leaves], entries, reply };
    this.send(this.group.nodes[to]!, "repair", payload, {
      sizeBytes: Math.max(1, entries.length) * 100,
    });
  }

  private onRepair(payload: RepairPayload<V>): void {
    for (const [key, versions] of payload.entries) {
      this.group._counts.replicationsReceived++;
      if (this.absorb(key, versions)) this.group._counts.keysRepaired++;
    }
    if (payload.reply) this.sendRepair(payload.from, new Set(payload.leaves), false);
  }

  protected override onRecover(): void {
    // The crash cancelled the anti-entropy timer; the data survived.
    this.scheduleAntiEntropy();
  }
}

interface RepairPayload<V> {
  readonly from: number;
  readonly leaves: readonly number[];
  readonly entries: readonly (readonly [string, Version<V>[]])[];
  /** Whether the receiver answers with its own keys of these leaves. */
  readonly reply: boolean;
}

/** Whether `a` already includes the event `b` stands for (equal or after it). */
function covers(a: VectorClock, b: VectorClock): boolean {
  const order = a.compare(b);
  return order === "equal" || order === "after";
}

/**
 * One value for a read: the single version's, or the siblings' values in a stable order;
 * tombstones read as nothing (undefined when only tombstones are left).
 */
function readValue<V>(versions: readonly Version<V>[]): V | V[] | undefined {
  if (versions.length === 1) {
    const value = versions[0]!.value;
    return value === TOMBSTONE ? undefined : value;
  }
  const live = sortedSiblings(versions).filter((version) => version.value !== TOMBSTONE);
  if (live.length <= 1) return live[0]?.value;
  return live.map((version) => version.value);
}

/**
 * A delete's value: a version like any other (a vector clock, an HLC timestamp), so it
 * replicates, meets concurrent writes in the resolver and travels with anti-entropy; reads
 * see nothing. Never removed (see `MultiLeaderReplication.delete`).
 */
const TOMBSTONE: unknown = Object.freeze({ tombstone: true });

/** Whether `version` is a delete's tombstone (for a custom resolver, which sees them). */
export function isTombstoneVersion(version: Version<unknown>): boolean {
  return version.value === TOMBSTONE;
}

/** A `merge` that sees live values only: a tombstone concurrent with a write loses to it. */
function mergeLive<V>(merge: (values: V[]) => V): (values: V[]) => V {
  return (values) => {
    const live = values.filter((value) => value !== TOMBSTONE);
    if (live.length === 0) return TOMBSTONE as V;
    return merge(live);
  };
}

function sortedSiblings<V>(versions: readonly Version<V>[]): Version<V>[] {
  return [...versions].sort((a, b) => {
    const x = String(a.clock);
    const y = String(b.clock);
    return x < y ? -1 : x > y ? 1 : 0;
  });
}

/** What the Merkle leaf hashes: the values and clocks of a key's versions. */
function fingerprint<V>(versions: readonly Version<V>[]): string {
  return sortedSiblings(versions)
    .map(
      (version) =>
        // No JSON text starts with "†": a tombstone cannot hash as a value does.
        `${version.value === TOMBSTONE ? "†" : JSON.stringify(version.value)}@${String(version.clock)}`,
    )
    .join("|");
}

export class MultiLeaderReplication<V = unknown> extends Entity<unknown, unknown> {
  static readonly catalog: CatalogEntry = {
    name: "MultiLeaderReplication",
    kind: "component",
    role: "persistence",
    layer: "distributed",
    contract:
      "N leader nodes behind a front door answering get, put and delete at a node of the caller's choice (or in turn): every node applies its writes at once, stamped with a vector clock and an HLC timestamp, and replicates them asynchronously; versions concurrent with what a node holds are conflicts settled by the resolver (lastWriterWins, vectorClockMerge with siblings or a merge, or a custom ConflictResolver); periodic Merkle-tree anti-entropy exchanges only the divergent key ranges, so replicas converge once the network heals. A delete is a tombstone version (vector clock, timestamp) that replicates, is resolved against concurrent writes and is repaired like a put; tombstones are kept, so a stale replica never brings a deleted key back.",
    requires: ["ReplicaSet", "Version", "Timestamp", "TimeoutPolicy"],
    provides: [
      "Read",
      "Write",
      "Delete",
      "Replicator",
      "ConflictPolicy",
      "AntiEntropyRepair",
      "Causal",
    ],
    inputs: ["get, put, delete (messages or process calls), each with an optional node (at)"],
    outputs: [
      "values, or sibling values (replies or returned values)",
      'failures (RemoteError: "unavailable: ...")',
      "requests, completed, failed, writes, deletes, reads, replicationsSent/Received, conflicts, conflictsResolved, antiEntropyRounds, repairs, keysRepaired",
    ],
    state:
      "per node: each key's surviving versions with their vector clocks, tombstones included (durable), an HLC; the front door: requests in progress (volatile)",
    failure_semantics:
      "A write is acknowledged by the one node that took it: a node cut off keeps taking writes and diverges; replication to a node down or cut off is lost and repaired by anti-entropy after the heal. Concurrent writes are conflicts: lastWriterWins keeps one (the other is silently lost), vectorClockMerge keeps both or merges them. A front-door crash loses its requests in progress.",
    composition_rules: ["Network", "Client", "KVStore"],
    operational_knobs: knobs<MultiLeaderOptions<unknown>>()(
      "nodes",
      "resolver",
      "merge",
      "antiEntropyInterval",
      "merkleDepth",
      "requestTimeout",
    ),
  };

  readonly antiEntropyInterval: number;
  readonly merkleDepth: number;
  readonly requestTimeout: number;
  readonly resolverName: string;
  /** @internal Every node. */
  readonly nodes: readonly LeaderNode<V>[];
  /** @internal Counted by the nodes too. */
  _counts = newCounts();
  private turn = 0;
  private readonly door = new FrontDoor<unknown>(this);
  private readonly callOptions: { readonly timeout: number };

  constructor(sim: Simulation, name: string, options: MultiLeaderOptions<V> = {}) {
    const component = `MultiLeaderReplication "${name}"`;
    if (options === null || typeof options !== "object") {
      throw new ConfigError(component, "options", "an options object", options);
    }
    const count = requireInteger(component, "nodes", options.nodes ?? 3, 2);
    const resolver = options.resolver ?? "lastWriterWins";
    if (
      resolver !== "lastWriterWins" &&
      resolver !== "vectorClockMerge" &&
      typeof resolver !== "function"
    ) {
      throw new ConfigError(
        component,
        "resolver",
        '"lastWriterWins", "vectorClockMerge" or (node, clock) => ConflictResolver',
        resolver,
      );
    }
    const merge = options.merge;
    if (merge !== undefined && (typeof merge !== "function" || resolver !== "vectorClockMerge")) {
      throw new ConfigError(
        component,
        "merge",
        'a function, with resolver "vectorClockMerge" only',
        merge,
      );
    }
    const antiEntropyInterval = requireSeconds(
      component,
      "antiEntropyInterval",
      options.antiEntropyInterval ?? 1,
      true,
    );
    const merkleDepth = requireInteger(component, "merkleDepth", options.merkleDepth ?? 6, 0, 16);
    const requestTimeout = requireSeconds(component, "requestTimeout", options.requestTimeout ?? 1);
    super(sim, name);
    this.antiEntropyInterval = antiEntropyInterval;
    this.merkleDepth = merkleDepth;
    this.requestTimeout = requestTimeout;
    this.resolverName = typeof resolver === "string" ? resolver : "custom";
    this.callOptions = { timeout: requestTimeout };
    const nodes: LeaderNode<V>[] = [];
    this.nodes = nodes;
    for (let i = 0; i < count; i++) {
      nodes.push(new LeaderNode<V>(sim, `${name}.node-${i}`, i, this, resolver, merge));
    }
  }

  // --- The process API ---------------------------------------------------------------------

  /** The value under `key` at node `at` (default: the next in turn); siblings as an array. */
  *get(
    key: string,
    options?: { readonly at?: number },
  ): Generator<SimFuture<unknown>, V | V[] | undefined> {
    return (yield this.submit("get", key, undefined, options?.at)) as V | V[] | undefined;
  }

  /** Writes `value` under `key` at node `at`; the write's vector clock, as text. */
  *put(
    key: string,
    value: V,
    options?: { readonly at?: number },
  ): Generator<SimFuture<unknown>, string> {
    return (yield this.submit("put", key, value, options?.at)) as string;
  }

  /**
   * Deletes `key` at node `at`: writes a tombstone, a version with a vector clock and an HLC
   * timestamp like a put's, so the delete replicates, is repaired by anti-entropy, and meets
   * concurrent writes in the resolver. `lastWriterWins`: the later of the delete and a
   * concurrent put wins (a put stamped later survives the delete; a delete stamped later
   * removes the put). `vectorClockMerge`: the tombstone is a sibling that reads as nothing
   * (the concurrent put's value is read), and with `merge` a concurrent put wins (the merge
   * sees live values only; add wins). A custom resolver sees tombstones as versions
   * (`isTombstoneVersion`). A put that has seen the delete (its clock covers the tombstone's)
   * writes the key again. Returns the tombstone's vector clock, as text.
   *
   * Tombstones are kept for good: a replica that missed the delete and still holds an older
   * version is answered by a tombstone whose clock covers it, so that version is dropped, never
   * brought back. Removing one would be safe only once every replica holds it (or a version
   * covering it) and no older version is still in flight (a delayed or duplicated message, a
   * node down with an older copy): the nodes would have to agree on that, which this
   * component does not do.
   */
  *delete(key: string, options?: { readonly at?: number }): Generator<SimFuture<unknown>, string> {
    return (yield this.submit("delete", key, undefined, options?.at)) as string;
  }

  // --- State ---------------------------------------------------------------------------------

  /** Every node's name. */
  get nodeNames(): string[] {
    return this.nodes.map((node) => node.name);
  }

  /**
   * What node `name` holds now, key by key in key order: the value, or the siblings' values
   * (for checks and reports; no latency). Deleted keys (only tombstones left) are left out.
   */
  contentsOf(name: string): [string, V | V[]][] {
    const node = nodeNamed(this, this.nodes, name);
    const keys = [...node.data.keys()].sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));
    const contents: [string, V | V[]][] = [];
    for (const key of keys) {
      const value = node.read(key);
      if (value !== undefined) contents.push([key, value]);
    }
    return contents;
  }

  /** Whether every node that is up holds the same contents. */
  converged(): boolean {
    const live = this.nodes.filter((node) => node.isUp);
    if (live.length < 2) return true;
    const first = live[0]!.tree().rootHash;
    return live.every((node) => node.tree().rootHash === first);
  }

  get stats(): MultiLeaderStats {
    const c = this._counts;
    return {
      ...this.door.counts(),
      reads: c.reads,
      writes: c.writes,
      deletes: c.deletes,
      replicationsSent: c.replicationsSent,
      replicationsReceived: c.replicationsReceived,
      conflicts: c.conflicts,
      conflictsResolved: c.conflictsResolved,
      antiEntropyRounds: c.antiEntropyRounds,
      repairs: c.repairs,
      keysRepaired: c.keysRepaired,
    };
  }

  override metrics(): EntityMetrics {
    return { ...this.stats, resolver: this.resolverName };
  }

  // --- The message API -----------------------------------------------------------------------

  override *handle(message: Message<unknown>) {
    const kind = message.kind;
    if (kind !== "get" && kind !== "put" && kind !== "delete") {
      this.fail(message, `unknown operation "${kind}" (get, put or delete)`);
      return;
    }
    const payload = (message.payload ?? {}) as { key?: unknown; value?: V; at?: number };
    if (typeof payload.key !== "string" || (kind === "put" && payload.value === undefined)) {
      this.fail(message, `${kind}: needs a string key${kind === "put" ? " and a value" : ""}`);
      return;
    }
    // A peer's bad node index is its error, refused like a bad key, not the simulation's.
    if (payload.at !== undefined && !this.isNodeIndex(payload.at)) {
      this.fail(message, `${kind}: at must be a node index in [0, ${this.nodes.length - 1}]`);
      return;
    }
    const node = this.nodeAt(payload.at);
    yield* this.door.answer(message, this.serve(kind, payload.key, payload.value, node));
  }

  // --- Internals -----------------------------------------------------------------------------

  private isNodeIndex(at: unknown): at is number {
    return Number.isSafeInteger(at) && (at as number) >= 0 && (at as number) < this.nodes.length;
  }

  private nodeAt(at: unknown): LeaderNode<V> {
    if (at === undefined) return this.nodes[this.turn++ % this.nodes.length]!;
    if (!this.isNodeIndex(at)) {
      throw new SimulationError(
        `MultiLeaderReplication: at must be a node index in [0, ${this.nodes.length - 1}]; given ${String(at)}`,
        this.name,
        this.nowNs,
      );
    }
    return this.nodes[at]!;
  }

  private submit(
    kind: "get" | "put" | "delete",
    key: string,
    value: V | undefined,
    at: number | undefined,
  ) {
    if (typeof key !== "string" || (kind === "put" && value === undefined)) {
      throw new SimulationError(
        `MultiLeaderReplication: ${kind} needs a string key${kind === "put" ? " and a value (not undefined)" : ""}; given ${String(key)}`,
        this.name,
        this.nowNs,
      );
    }
    return this.door.submit(kind, this.serve(kind, key, value, this.nodeAt(at)));
  }

  private *serve(
    kind: "get" | "put" | "delete",
    key: string,
    value: V | undefined,
    node: LeaderNode<V>,
  ): Generator<SimFuture<unknown>, unknown, unknown> {
    const call =
      kind === "get"
        ? this.request(node, "clientGet", { key }, this.callOptions)
        : kind === "put"
          ? this.request(node, "clientPut", { key, value }, this.callOptions)
          : this.request(node, "clientDelete", { key }, this.callOptions);
    try {
      const answer = yield call;
      if (kind === "get") this._counts.reads++;
      return answer;
    } catch (error) {
      if (error instanceof TimeoutError) {
        throw new RemoteError(
          `unavailable: ${node.name} did not answer in ${this.requestTimeout}s`,
          this.name,
        );
      }
      throw error;
    }
  }

  protected override onResetStats(): void {
    this._counts = newCounts();
  }
}

function newCounts() {
  return {
    reads: 0,
    writes: 0,
    deletes: 0,
    replicationsSent: 0,
    replicationsReceived: 0,
    conflicts: 0,
    conflictsResolved: 0,
    antiEntropyRounds: 0,
    repairs: 0,
    keysRepaired: 0,
  };
}
