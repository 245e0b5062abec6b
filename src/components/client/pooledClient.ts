/**
 * `PooledClient`: a `Client` whose every attempt first takes a connection from a
 * `ConnectionPool`, sends the request over it to the pool's target, and gives it back. Same
 * timeout per attempt, same retry policies, same counters, plus the time spent waiting for a
 * connection and the attempts that never got one. Real clients work this way (HTTP, database
 * drivers), so the pool's limits and handshakes show up in the client's latency: waiting for a
 * connection is part of every request, and under load it can dominate.
 *
 * Use it from a process (`const response = yield* client.issue(payload)`) or as a message
 * target (each message is issued as a request, fire-and-forget, which is how a `Source`
 * drives it).
 *
 * @example
 * const pool = new ConnectionPool(sim, "api-pool", { target: api, maxConnections: 8, connectLatency: dist.constant(0.03) });
 * const client = new PooledClient(sim, "client", { pool, timeout: 0.5, retryPolicy: retry.exponentialBackoff({ maxAttempts: 3, initial: 0.1 }) });
 */
import { type CatalogEntry, knobs } from "../../catalog/entry.js";
import type { Yieldable } from "../../core/process.js";
import type { Simulation } from "../../core/simulation.js";
import { ConfigError, RemoteError } from "../../errors/errors.js";
import { Histogram } from "../../metrics/histogram.js";
import { AcquireTimeoutError, type Connection, ConnectionPool } from "./connectionPool.js";
import {
  type ClientStats,
  checkRetryingOptions,
  RetryingClient,
  type RetryingClientOptions,
} from "./retryingClient.js";

export interface PooledClientOptions<Req, Res> extends RetryingClientOptions {
  /**
   * Where each attempt takes its connection; requests go to the pool's target. The pool's
   * `acquireTimeout` bounds the wait for a connection; `timeout` starts once one is held.
   */
  pool: ConnectionPool<Req, Res>;
}

/**
 * A pooled client's attempt is forwarded from the moment it asks for a connection: one that
 * gets none in time ends in `connectionTimedOut` (so its attempts end as succeeded, failed,
 * timedOut or connectionTimedOut) and never reaches the target.
 */
export interface PooledClientStats extends ClientStats {
  /** Attempts that got no connection within the pool's acquireTimeout (not in `timedOut`). */
  readonly connectionTimedOut: number;
  /** Mean seconds an attempt that got a connection waited for it (NaN before the first). */
  readonly meanConnectionWait: number;
  /** Median of that wait (seconds, within 1%; NaN before the first connection). */
  readonly p50ConnectionWait: number;
  /** 99th percentile of that wait (seconds, within 1%). */
  readonly p99ConnectionWait: number;
}

/** How an attempt ended, for what to do with its connection. */
const RELEASE = 0;
const DISCARD = 1;

export class PooledClient<Req = unknown, Res = unknown> extends RetryingClient<Req, Res> {
  static readonly catalog: CatalogEntry = {
    name: "PooledClient",
    kind: "component",
    role: "recovery",
    layer: "local",
    contract:
      "For each attempt takes a connection from its pool, calls the pool's target over it with a timeout, and gives it back; retries by its policy; returns the first success or throws the last error, and counts everything, connection waits included.",
    requires: ["ConnectionPool", "RetryLoop", "Timeout", "RequestId"],
    provides: ["AtLeastOnce"],
    inputs: [
      "payloads to request (issue() or messages)",
      "connections, responses, rejections, silence",
    ],
    outputs: [
      "requests to the pool's target",
      "requests, succeeded, gaveUp, failureRate, forwarded, failed, timedOut, connectionTimedOut, retries, latency of successes and of every finished request, connection wait",
    ],
    state: "requests in flight; counters",
    failure_semantics:
      "An attempt that gets no connection in time (AcquireTimeoutError), times out or is refused is retried after the policy's delay. A connection whose request timed out is discarded, not reused (its answer may still be coming on it), so timeouts cost new handshakes. At-least-once, like Client. A crash abandons in-flight requests and returns their connections.",
    composition_rules: ["ConnectionPool", "Server", "LoadBalancer", "Network"],
    operational_knobs: knobs<PooledClientOptions<unknown, unknown>>()(
      "pool",
      "timeout",
      "retryPolicy",
      "kind",
      "window",
      "retryBudget",
    ),
  };

  readonly pool: ConnectionPool<Req, Res>;
  /** Seconds each attempt that got a connection waited for it (0 when one was idle). */
  readonly connectionWait = new Histogram();
  private connectionTimedOut = 0;

  constructor(sim: Simulation, name: string, options: PooledClientOptions<Req, Res>) {
    // Checked before registering: a refused client leaves no entity behind.
    const component = `PooledClient "${name}"`;
    const config = checkRetryingOptions(component, options);
    const pool = options?.pool;
    if (!(pool instanceof ConnectionPool) || pool.sim !== sim) {
      throw new ConfigError(component, "pool", "a ConnectionPool of this simulation", pool);
    }
    super(sim, name, config);
    this.pool = pool;
  }

  override get stats(): PooledClientStats {
    const wait = this.connectionWait;
    return {
      ...super.stats,
      connectionTimedOut: this.connectionTimedOut,
      meanConnectionWait: wait.mean,
      p50ConnectionWait: wait.p50,
      p99ConnectionWait: wait.p99,
    };
  }

  protected override attempt(payload: Req): Generator<Yieldable, Res, unknown> {
    return this.overConnection(payload);
  }

  protected override countFailure(error: unknown): boolean {
    if (error instanceof AcquireTimeoutError) {
      this.connectionTimedOut++;
      return true;
    }
    return super.countFailure(error);
  }

  protected override onResetStats(): void {
    super.onResetStats();
    this.connectionTimedOut = 0;
    this.connectionWait.reset();
  }

  private *overConnection(payload: Req): Generator<Yieldable, Res, unknown> {
    const pool = this.pool;
    const askedNs = this.nowNs;
    // The attempt is under way from the moment it asks for a connection.
    this.attemptForwarded();
    let connection: Connection;
    try {
      connection = yield* pool.acquire();
    } catch (error) {
      this.attemptSettled();
      throw error;
    }
    this.connectionWait.record((this.nowNs - askedNs) / 1e9);
    // Until the attempt ends one way or the other, the connection is in an unknown state: an
    // attempt abandoned midway (the client crashed) does not give it back for reuse.
    let outcome = DISCARD;
    try {
      const reply = this.request(pool.target, this.kind, payload, this.callOptions());
      reply._privateToWaiter = true;
      const response = (yield reply) as Res;
      outcome = RELEASE;
      return response;
    } catch (error) {
      // A refusal is a complete answer: the connection is fine. After a timeout the answer may
      // still be on its way over it, so it cannot carry another request.
      if (error instanceof RemoteError) outcome = RELEASE;
      throw error;
    } finally {
      this.attemptSettled();
      if (outcome === RELEASE) pool.release(connection);
      else pool.discard(connection);
    }
  }
}
