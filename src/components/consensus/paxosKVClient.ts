/**
 * `PaxosKVClient`: a linearizable key-value store's client, on a Multi-Paxos cluster whose
 * nodes replicate a `KVStateMachine`. Every operation (reads too) is a command proposed to the
 * leader and answered once its slot is chosen and applied. The client finds the leader: it asks
 * the node it believes leads, follows a `not-leader` answer's hint at once, and moves on to the
 * next node on a timeout, a refusal naming no leader or a lost proposal, after a seeded backoff
 * growing with each such failure, up to `maxAttempts`.
 *
 * Every command carries the client's session (its name and a sequence number), so a retry of a
 * command that was in fact applied is answered with the first result instead of applying twice:
 * that is what keeps a retried `put` or `cas` linearizable. A session is a sequence: a client
 * runs one operation at a time (asking for a second meanwhile is misuse, an error); give each
 * concurrent caller its own client.
 *
 * @example
 * const client = new PaxosKVClient<string>(sim, "client", { nodes: ["m1", "m2", "m3"] });
 * // In a process:
 * yield* client.put("x", "1");
 * const x = yield* client.get("x"); // "1"
 */
import { type CatalogEntry, knobs } from "../../catalog/entry.js";
import { Entity, type EntityMetrics } from "../../core/entity.js";
import type { Yieldable } from "../../core/process.js";
import type { Simulation } from "../../core/simulation.js";
import { ConfigError, RemoteError, SimulationError } from "../../errors/errors.js";
import { requireInteger, requireSeconds } from "../shared/validate.js";
import { LeaderGuess } from "./leaderGuess.js";
import type { ProposeRequest } from "./multiPaxosNode.js";
import { NOT_LEADER } from "./notLeaderError.js";
import type { KVCommand, KVResult } from "./stateMachine.js";

export interface PaxosKVClientOptions {
  /** The cluster's node names (MultiPaxosNodes replicating a KVStateMachine). */
  nodes: readonly string[];
  /** Seconds to wait for one attempt's answer (> 0). Default 0.5. */
  attemptTimeout?: number;
  /** Attempts per operation before it fails with the last error (integer >= 1). Default 20. */
  maxAttempts?: number;
  /** Base of the seeded backoff between attempts, seconds (> 0). Default 0.02. */
  retryBackoff?: number;
}

export interface PaxosKVClientStats {
  /** Operations asked. */
  readonly requests: number;
  readonly succeeded: number;
  /** Operations that failed after `maxAttempts`. */
  readonly gaveUp: number;
  /** Attempts after the first (redirects, timeouts, refusals). */
  readonly retries: number;
  /** Attempts answered `not-leader`. */
  readonly redirects: number;
  readonly timeouts: number;
  /** Operations in progress when the client crashed. */
  readonly lostToCrash: number;
  /** Operations in progress now (requests = succeeded + gaveUp + lostToCrash + inFlight). */
  readonly inFlight: number;
}

type Node<C, R> = Entity<ProposeRequest<C>, R>;

/**
 * A client of a Multi-Paxos cluster replicating any state machine: `submit` proposes a command
 * to the leader it believes in, follows not-leader hints, retries with its session. The
 * protocol lives here; `PaxosKVClient` (and the Multi-Paxos lock backend) only name commands.
 */
export class PaxosClient<C, R> extends Entity {
  readonly nodes: readonly string[];
  readonly attemptTimeout: number;
  readonly maxAttempts: number;
  readonly retryBackoff: number;
  private readonly backoffDraws = this.random("backoff");
  private readonly leader: LeaderGuess;
  private seq = 0;
  private counts = { requests: 0, succeeded: 0, gaveUp: 0, retries: 0, redirects: 0, timeouts: 0 };
  private lostToCrash = 0;
  private active = 0;
  /** Crashes so far: an operation begun before the last one was counted lost by it. */
  private epoch = 0;

  constructor(sim: Simulation, name: string, options: PaxosKVClientOptions) {
    const component = `${new.target.name} "${name}"`;
    if (options === null || typeof options !== "object") {
      throw new ConfigError(component, "options", "an options object { nodes, ... }", options);
    }
    const nodes = options.nodes;
    if (
      !Array.isArray(nodes) ||
      nodes.length === 0 ||
      nodes.some((n) => typeof n !== "string" || n === "")
    ) {
      throw new ConfigError(component, "nodes", "a non-empty list of node names", nodes);
    }
    const attemptTimeout =
      options.attemptTimeout === undefined
        ? 0.5
        : requireSeconds(component, "attemptTimeout", options.attemptTimeout);
    const maxAttempts =
      options.maxAttempts === undefined
        ? 20
        : requireInteger(component, "maxAttempts", options.maxAttempts, 1);
    const retryBackoff =
      options.retryBackoff === undefined
        ? 0.02
        : requireSeconds(component, "retryBackoff", options.retryBackoff);
    super(sim, name);
    this.nodes = [...nodes];
    this.attemptTimeout = attemptTimeout;
    this.maxAttempts = maxAttempts;
    this.retryBackoff = retryBackoff;
    this.leader = new LeaderGuess(this.nodes);
  }

  get stats(): PaxosKVClientStats {
    return { ...this.counts, lostToCrash: this.lostToCrash, inFlight: this.active };
  }

  override metrics(): EntityMetrics {
    return { ...this.stats };
  }

  /**
   * Proposes `command` until an attempt answers, one session step for all its attempts; throws
   * the last error after `maxAttempts`. One at a time per client (a session is a sequence).
   */
  *submit(command: C): Generator<Yieldable, R, unknown> {
    if (!this.isUp) {
      throw new SimulationError("operation asked of a crashed client", this.name, this.sim.nowNs);
    }
    if (this.active > 0) {
      // A session is a sequence: a retry of an earlier step after a later one was applied
      // would be answered with the later one's result.
      throw new SimulationError(
        "operation asked while another is in progress (one at a time per client; use a client per concurrent caller)",
        this.name,
        this.sim.nowNs,
      );
    }
    this.counts.requests++;
    this.active++;
    const request: ProposeRequest<C> = {
      type: "propose",
      command,
      session: { client: this.name, seq: ++this.seq },
    };
    let succeeded = false;
    let lastError: unknown = null;
    const epoch = this.epoch;
    try {
      // Attempts that failed without naming a leader to ask: the backoff grows with them.
      let failures = 0;
      let redirected = false;
      for (let attempt = 0; attempt < this.maxAttempts; attempt++) {
        if (attempt > 0) {
          this.counts.retries++;
          // A redirect to a named leader goes there at once: waiting only delays the answer.
          if (!redirected) {
            yield this.retryBackoff * this.backoffDraws.uniform(0.5, 1.5) * Math.min(failures, 8);
          }
        }
        const name = this.nodes[this.leader.current]!;
        const target = this.sim.entity(name) as Node<C, R> | undefined;
        if (target === undefined) {
          throw new SimulationError(`node "${name}" is not an entity`, this.name, this.sim.nowNs);
        }
        try {
          const result = yield* this.call(target, "propose", request, {
            timeout: this.attemptTimeout,
          });
          succeeded = true;
          return result;
        } catch (error) {
          // The client crashed: its calls were cancelled, and so is the operation.
          if (!this.isUp) throw error;
          lastError = error;
          redirected = this.redirect(error);
          if (!redirected) failures++;
        }
      }
      throw lastError;
    } finally {
      // A crash since it began already counted it lost.
      if (epoch === this.epoch) {
        this.active--;
        if (succeeded) this.counts.succeeded++;
        else this.counts.gaveUp++;
      }
    }
  }

  protected override onCrash(): void {
    this.lostToCrash += this.active;
    this.active = 0;
    this.epoch++;
  }

  /**
   * Picks the next node to ask after `error`: the leader a refusal named (true), else the next
   * one in order (false).
   */
  private redirect(error: unknown): boolean {
    if (error instanceof RemoteError && error.reason.startsWith(NOT_LEADER)) {
      this.counts.redirects++;
      if (this.leader.follow(error.reason.slice(NOT_LEADER.length).trim())) return true;
    } else if (error instanceof Error && error.name === "TimeoutError") {
      this.counts.timeouts++;
    }
    this.leader.next();
    return false;
  }
}

export class PaxosKVClient<V> extends PaxosClient<KVCommand<V>, KVResult<V>> {
  static readonly catalog: CatalogEntry = {
    name: "PaxosKVClient",
    kind: "component",
    role: "operation",
    layer: "distributed",
    contract:
      "A linearizable key-value store on Multi-Paxos: get, put, delete and cas are each proposed to the leader as a command and answered once applied. The client follows not-leader hints, tries the next node on timeouts and refusals, and tags commands with a session so a retried command applies at most once.",
    requires: ["MultiPaxosNode"],
    provides: ["Read", "Write", "Delete", "CompareAndSwap", "AtMostOnce"],
    inputs: ["get, put, delete, cas (process calls)"],
    outputs: [
      "values, cas outcomes; the last error after maxAttempts",
      "requests, succeeded, gaveUp, retries, redirects, timeouts, inFlight",
    ],
    state: "the leader it believes in, its session's sequence number",
    failure_semantics:
      "A timed-out or lost attempt may still apply: the retry carries the same session step, so it is answered with the first result instead of applying twice. After maxAttempts the operation fails with the last error (it may have applied). A crash of the client loses its operations in progress.",
    composition_rules: ["MultiPaxosNode", "FlexiblePaxosNode"],
    operational_knobs: knobs<PaxosKVClientOptions>()(
      "nodes",
      "attemptTimeout",
      "maxAttempts",
      "retryBackoff",
    ),
  };

  *get(key: string): Generator<Yieldable, V | undefined, unknown> {
    return (yield* this.submit({ op: "get", key })) as V | undefined;
  }

  *put(key: string, value: V): Generator<Yieldable, void, unknown> {
    yield* this.submit({ op: "put", key, value });
  }

  /** Whether the key was there. */
  *delete(key: string): Generator<Yieldable, boolean, unknown> {
    return (yield* this.submit({ op: "delete", key })) as boolean;
  }

  /** Sets `value` if the key holds `expected` (undefined: absent); whether it did. */
  *cas(key: string, expected: V | undefined, value: V): Generator<Yieldable, boolean, unknown> {
    return (yield* this.submit({ op: "cas", key, expected, value })) as boolean;
  }
}
