/**
 * `RaftKV`: a linearizable key-value store on Raft. A cluster of `RaftNode`s, each driving a
 * `KVStateMachine`, behind a `Network`; `RaftKVClient`s find the leader and retry. Writes go
 * through the log (with the client's session, so a retried write applies once); reads go
 * through the leader's read index (or lease), without a log entry.
 *
 * A client's operation ends in one of three ways: its result (applied, or read, linearizably);
 * `RaftRefusedError`, when every attempt was refused or a cas found another value (certainly
 * not applied: a history records it as `fail`); or `TimeoutError` after `giveUpAfter` seconds
 * with at least one attempt unanswered (indeterminate: `info`). A client's writes are one
 * session, a sequence: it runs one operation at a time (a second meanwhile is misuse, an
 * error); give each concurrent caller its own client.
 *
 * @example
 * const kv = new RaftKV<number>(sim, "kv", { nodes: 3 });
 * const client = kv.client("client-0");
 * client.start(function* () {
 *   yield* client.put("x", 1);
 *   const x = yield* client.get("x"); // 1
 * });
 */
import { Entity } from "../../core/entity.js";
import type { SimFuture } from "../../core/future.js";
import type { Simulation } from "../../core/simulation.js";
import { ConfigError, DistsimError, SimulationError, TimeoutError } from "../../errors/errors.js";
import * as conditions from "../network/conditions.js";
import { Network } from "../network/network.js";
import { NetworkLink } from "../network/networkLink.js";
import { requireInteger, requireSeconds } from "../shared/validate.js";
import { LeaderGuess } from "./leaderGuess.js";
import { RaftNode, type RaftNodeOptions, type RaftReply, type RaftRequest } from "./raftNode.js";
import { type KVCommand, type KVResult, KVStateMachine } from "./stateMachine.js";

/** An operation certainly not applied: refused by every node asked, or a cas that found another value. */
export class RaftRefusedError extends DistsimError {
  override name = "RaftRefusedError";
}

export type RaftKVNodeOptions<V> = Omit<
  RaftNodeOptions<KVCommand<V>, KVResult<V>>,
  "members" | "stateMachine"
>;

export interface RaftKVOptions<V> {
  /** Cluster size (integer >= 1). Default 3, or the number of `members`. */
  nodes?: number;
  /** The nodes' names (instead of `nodes`; if both are given they must agree). Default `${name}-1` ... `${name}-n`. */
  members?: readonly string[];
  /** Every node's options. */
  node?: RaftKVNodeOptions<V>;
  /**
   * The network the nodes and clients talk over: the simulation's `Network` (a simulation has
   * one). Default: the simulation's network if it has one, else a new one named `${name}-net`
   * with a datacenter link.
   */
  network?: Network;
  /** Builds each node (a test's variant of RaftNode). Default `new RaftNode(...)`. */
  createNode?: (
    sim: Simulation,
    name: string,
    options: RaftNodeOptions<KVCommand<V>, KVResult<V>>,
  ) => RaftNode<KVCommand<V>, KVResult<V>>;
}

export interface RaftKVClientOptions {
  /** Seconds to wait for one node's answer. Default 0.1. */
  attemptTimeout?: number;
  /** Seconds after which an operation gives up (indeterminate if an attempt went unanswered). Default 2. */
  giveUpAfter?: number;
  /** Seconds to wait before asking again when no leader is known. Default 0.05. */
  backoff?: number;
}

export class RaftKV<V> {
  readonly nodes: readonly RaftNode<KVCommand<V>, KVResult<V>>[];
  readonly network: Network;
  /** The nodes' names: the initial configuration. */
  readonly members: readonly string[];

  constructor(
    readonly sim: Simulation,
    readonly name: string,
    options: RaftKVOptions<V> = {},
  ) {
    const where = `RaftKV "${name}"`;
    const members = options.members;
    if (
      members !== undefined &&
      (!Array.isArray(members) ||
        members.length === 0 ||
        !members.every((m) => typeof m === "string" && m !== "") ||
        new Set(members).size !== members.length)
    ) {
      throw new ConfigError(where, "members", "a non-empty array of distinct names", members);
    }
    const count = requireInteger(where, "nodes", options.nodes ?? members?.length ?? 3, 1);
    // Given both, they must agree: a count silently overridden by the names is a surprise.
    if (members !== undefined && options.nodes !== undefined && count !== members.length) {
      throw new ConfigError(
        where,
        "nodes",
        `the number of members (${members.length}), or left out`,
        options.nodes,
      );
    }
    if (options.createNode !== undefined && typeof options.createNode !== "function") {
      throw new ConfigError(where, "createNode", "a function", options.createNode);
    }
    // A simulation has one network (a Network becomes its transport): a store built after
    // the model's own Network joins it rather than failing to build a second one.
    const current = sim.transport;
    if (
      options.network !== undefined &&
      (!(options.network instanceof Network) || options.network !== current)
    ) {
      throw new ConfigError(where, "network", "the simulation's Network", options.network);
    }
    this.network =
      options.network ??
      (current instanceof Network
        ? current
        : new Network(sim, `${name}-net`, {
            defaultLink: new NetworkLink(sim, `${name}-link`, conditions.datacenter()),
          }));
    this.members = members ?? Array.from({ length: count }, (_, i) => `${name}-${i + 1}`);
    const create =
      options.createNode ??
      ((s: Simulation, n: string, o: RaftNodeOptions<KVCommand<V>, KVResult<V>>) =>
        new RaftNode(s, n, o));
    this.nodes = this.members.map((member) =>
      create(sim, member, {
        ...(options.node ?? {}),
        members: this.members,
        stateMachine: new KVStateMachine<V>(),
      }),
    );
  }

  /** A client of the store. */
  client(name: string, options: RaftKVClientOptions = {}): RaftKVClient<V> {
    return new RaftKVClient<V>(this.sim, name, this.nodes, options);
  }

  /** The node that leads in the highest term among those up, or null. */
  leader(): RaftNode<KVCommand<V>, KVResult<V>> | null {
    let best: RaftNode<KVCommand<V>, KVResult<V>> | null = null;
    for (const node of this.nodes) {
      if (node.isLeader && (best === null || node.term > best.term)) best = node;
    }
    return best;
  }
}

/**
 * A client of a Raft cluster replicating any state machine: finds the leader, follows
 * redirects, retries with its session. `submit` is the whole protocol; `RaftKVClient` (and the
 * Raft lock backend) only name the commands. One session is a sequence: a client submits one
 * command at a time (a node answers a session's older seq with its latest result), so a
 * second one asked meanwhile is misuse, a `SimulationError`: give each concurrent caller its
 * own client.
 */
export class RaftClient<C, R> extends Entity<never, unknown> {
  private readonly attemptTimeout: number;
  private readonly giveUpAfter: number;
  private readonly backoff: number;
  private seq = 0;
  private readonly leader: LeaderGuess;
  private busy = false;

  constructor(
    sim: Simulation,
    name: string,
    private readonly nodes: readonly RaftNode<C, R>[],
    options: RaftKVClientOptions = {},
  ) {
    const where = `${new.target.name} "${name}"`;
    const attemptTimeout = requireSeconds(where, "attemptTimeout", options.attemptTimeout ?? 0.1);
    const giveUpAfter = requireSeconds(where, "giveUpAfter", options.giveUpAfter ?? 2);
    const backoff = requireSeconds(where, "backoff", options.backoff ?? 0.05);
    super(sim, name);
    this.attemptTimeout = attemptTimeout;
    this.giveUpAfter = giveUpAfter;
    this.backoff = backoff;
    this.leader = new LeaderGuess(nodes.map((node) => node.name));
  }

  /**
   * `command` through the leader: "propose" appends it to the log (with this client's session),
   * "read" asks the leader's read index. Throws `RaftRefusedError` (certainly not applied) or
   * `TimeoutError` (indeterminate) after `giveUpAfter` seconds.
   */
  *submit(kind: "propose" | "read", command: C): Generator<SimFuture<unknown>, R, unknown> {
    if (this.busy) {
      // A session is a sequence: once a later write applied, a node answers an earlier one's
      // retry from the session without applying it, so the earlier write would be acknowledged
      // and lost.
      throw new SimulationError(
        `${kind} asked while another operation is in progress (one at a time per client; use a client per concurrent caller)`,
        this.name,
        this.sim.nowNs,
      );
    }
    this.busy = true;
    try {
      return yield* this.attempt(kind, command);
    } finally {
      this.busy = false;
    }
  }

  private *attempt(
    kind: "propose" | "read",
    command: C,
  ): Generator<SimFuture<unknown>, R, unknown> {
    const request: RaftRequest<C> =
      kind === "propose" ? { command, client: this.name, seq: ++this.seq } : { command };
    const deadline = this.now + this.giveUpAfter;
    let unanswered = false;
    for (;;) {
      const node = this.nodes[this.leader.current]!;
      try {
        const reply = (yield* this.call(node, kind, request, {
          timeout: this.attemptTimeout,
        })) as RaftReply<R>;
        if (reply.ok) return reply.result;
        if (this.leader.follow(reply.leader)) continue;
        this.leader.next();
        if (this.now + this.backoff >= deadline) break;
        yield this.sleep(this.backoff);
      } catch (error) {
        if (!(error instanceof TimeoutError)) throw error;
        unanswered = true;
        this.leader.next();
      }
      if (this.now >= deadline) break;
    }
    if (unanswered) throw new TimeoutError(this.giveUpAfter);
    throw new RaftRefusedError(`${this.name}: no leader accepted the ${kind}`);
  }
}

/** A client of a `RaftKV`: a `RaftClient` speaking the key-value commands. */
export class RaftKVClient<V> extends RaftClient<KVCommand<V>, KVResult<V>> {
  /** The value under `key`, or null when there is none (a linearizable read). */
  *get(key: string): Generator<SimFuture<unknown>, V | null, unknown> {
    const value = yield* this.submit("read", { op: "get", key });
    return (value ?? null) as V | null;
  }

  /** Writes `value` under `key`; returns it (Jepsen's habit for a write's result). */
  *put(key: string, value: V): Generator<SimFuture<unknown>, V, unknown> {
    yield* this.submit("propose", { op: "put", key, value });
    return value;
  }

  /** Whether `key` was there; it is not any more. */
  *delete(key: string): Generator<SimFuture<unknown>, boolean, unknown> {
    return (yield* this.submit("propose", { op: "delete", key })) as boolean;
  }

  /** Sets `key` to `value` if it holds `expected`; throws `RaftRefusedError` if it did not. */
  *cas(
    key: string,
    expected: V | undefined,
    value: V,
  ): Generator<SimFuture<unknown>, true, unknown> {
    const applied = yield* this.submit("propose", { op: "cas", key, expected, value });
    if (applied !== true)
      throw new RaftRefusedError(`${this.name}: cas on "${key}" found another value`);
    return true;
  }
}
