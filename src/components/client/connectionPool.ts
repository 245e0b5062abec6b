/**
 * `ConnectionPool`: reusable connections to one target. A caller takes a connection with
 * `yield* pool.acquire()` and gives it back with `pool.release(connection)`. An idle connection
 * is handed out at once; otherwise the caller waits (FIFO, at most `acquireTimeout` seconds)
 * while the pool opens a new connection, paying `connectLatency` (the TCP and TLS handshake),
 * up to `maxConnections`; beyond that, callers wait for a connection to be released.
 * `minConnections` are opened at start and kept warm; connections above the minimum close
 * after `idleTimeout` seconds unused. Both timeouts may be profiles of simulated time (read
 * when a caller starts waiting, and when a connection becomes idle).
 *
 * It exists because the handshake is often the most expensive part of a short request, and a
 * pool decides when that cost is paid: a cold pool (or one that shrank during a quiet period)
 * makes the first requests of a burst pay it, which shows in p99 and not in p50; a pool too
 * small for the load makes requests queue for a connection, not for the server.
 *
 * @example
 * const pool = new ConnectionPool(sim, "db-pool", { target: db, minConnections: 2, maxConnections: 10, connectLatency: dist.constant(0.03) });
 * const connection = yield* pool.acquire();
 * try {
 *   answer = yield* this.call(pool.target, "query", sql);
 * } finally {
 *   pool.release(connection);
 * }
 */
import { type CatalogEntry, knobs } from "../../catalog/entry.js";
import { Entity, type EntityMetrics } from "../../core/entity.js";
import type { SimFuture } from "../../core/future.js";
import type { Yieldable } from "../../core/process.js";
import type { Simulation } from "../../core/simulation.js";
import { ConfigError, RemoteError, SimulationError, TimeoutError } from "../../errors/errors.js";
import { Histogram } from "../../metrics/histogram.js";
import { constant } from "../../random/distributions/closedForm.js";
import type { Distribution } from "../../random/distributions/distribution.js";
import { type Param, valueAt } from "../../random/profile.js";
import { type DropSink, fifo } from "../resource/queueDiscipline.js";
import {
  requireDistribution,
  requireEntity,
  requireInteger,
  requireSecondsParam,
} from "../shared/validate.js";

export interface ConnectionPoolOptions<Req, Res> {
  /** Where the connections lead. */
  target: Entity<Req, Res>;
  /** Connections opened at start and kept open however idle (integer >= 0). Default 0. */
  minConnections?: number;
  /** Most connections open (or opening) at once (integer >= 1, >= minConnections). Default 10. */
  maxConnections?: number;
  /** Seconds to open one connection (handshakes). Default `dist.constant(0.01)`. */
  connectLatency?: Distribution;
  /**
   * Seconds a caller may wait for a connection before `acquire` throws `TimeoutError` (> 0): a
   * number or a profile, read when the caller starts waiting. Default 5.
   */
  acquireTimeout?: Param;
  /**
   * Seconds an idle connection above the minimum stays open (> 0): a number or a profile. The
   * profile is read when a connection becomes idle, and that idle spell keeps the value it
   * started with (like a timer set then): a timeout that drops from 60 to 5 s closes
   * connections released after the drop within 5 s, while one idle since before the drop still
   * waits out its 60 s. Connections close in order of their own deadlines, oldest release first
   * among equal ones. Default 60.
   */
  idleTimeout?: Param;
}

export interface ConnectionPoolStats {
  /**
   * Connections opened (each paid the connect latency once) since the start or the last
   * reset, which counts those open then again: `connectionsCreated = connectionsClosed + open`.
   */
  readonly connectionsCreated: number;
  /** Connections closed: idle too long, discarded, or lost in a crash. */
  readonly connectionsClosed: number;
  /** Connections open now (active + idle). */
  readonly open: number;
  /** Connections held by callers now. */
  readonly active: number;
  /** Connections open and unused now. */
  readonly idle: number;
  /** Connections being opened now. */
  readonly opening: number;
  /** Callers waiting for a connection now. */
  readonly queued: number;
  /** Connections handed out. */
  readonly acquisitions: number;
  /** Callers that gave up after `acquireTimeout`. */
  readonly timedOut: number;
  /** Mean seconds from `acquire` to a connection, over acquisitions (0 when one was idle). */
  readonly meanAcquireWait: number;
  /** Median of that wait (seconds, within 1%; NaN before the first acquisition). */
  readonly p50AcquireWait: number;
  /** 99th percentile of that wait (seconds, within 1%). */
  readonly p99AcquireWait: number;
  readonly maxAcquireWait: number;
}

/**
 * `acquire` gave up: no connection came within `acquireTimeout`. A `TimeoutError`, so code
 * that retries timeouts retries it; its own class, so a client can count it apart from
 * requests that timed out.
 */
export class AcquireTimeoutError extends TimeoutError {
  override name = "AcquireTimeoutError";
  constructor(
    seconds: number,
    /** Name of the pool. */
    readonly pool: string,
  ) {
    super(seconds);
    this.message = `no connection from pool "${pool}" within ${seconds}s`;
  }
}

const ACTIVE = 0;
const IDLE = 1;
const CLOSED = 2;

/** One connection of a pool: hold it between `acquire` and `release`, then forget it. */
export class Connection {
  /** @internal ACTIVE, IDLE or CLOSED. */
  _state = IDLE;
  /** @internal When its current idle spell times out (ns): became idle + the idle timeout then. */
  _idleUntilNs = 0;

  /** @internal Only the pool makes connections. */
  constructor(
    /** The pool it belongs to. */
    readonly pool: ConnectionPool,
    /** 1, 2, ... in order of opening, per pool. */
    readonly id: number,
    /** Simulated time it finished opening, in seconds. */
    readonly openedAt: number,
    /** @internal The pool's crash epoch when it opened: a crash since then lost it. */
    readonly _epoch: number,
  ) {}

  /** False once the pool closed it (idle too long, discarded, lost in a crash). */
  get isOpen(): boolean {
    return this._state !== CLOSED && this._epoch === this.pool._crashEpoch;
  }
}

/** FIFO never drops a waiter. */
const NO_DROPS: DropSink<Waiter> = {
  dropped() {},
};

/** A caller waiting for a connection. */
class Waiter {
  timerToken = -1;
  constructor(
    readonly grant: SimFuture<Connection>,
    readonly sinceNs: number,
    /** The acquire timeout it waits with (seconds), read when it started waiting. */
    readonly timeout: number,
  ) {}
}

export class ConnectionPool<Req = unknown, Res = unknown> extends Entity<never> {
  static readonly catalog: CatalogEntry = {
    name: "ConnectionPool",
    kind: "component",
    role: "flow",
    layer: "local",
    contract:
      "Hands out reusable connections to its target: an idle one at once, else a new one after the connect latency (up to maxConnections), else the next one released; waiters are served FIFO and give up after acquireTimeout. Keeps minConnections open; closes idle connections above it after idleTimeout.",
    requires: ["Semaphore", "Queue", "Timeout", "Timer"],
    provides: ["Bounded", "Reserve", "Release"],
    inputs: ["acquire() and release(connection) from callers"],
    outputs: [
      "connections (a handshake's latency for new ones)",
      "connectionsCreated, connectionsClosed, active, idle, queued, acquire wait, timedOut",
    ],
    state: "open connections (idle or held), connections opening, waiters (volatile)",
    failure_semantics:
      "A waiter that gets no connection within acquireTimeout fails with AcquireTimeoutError (a TimeoutError). A crash closes every connection and fails every waiter with RemoteError; connections held across the crash are closed when released; requests already sent on them are not interrupted. Recovery reopens minConnections.",
    composition_rules: ["PooledClient", "Server", "Network", "LoadBalancer"],
    operational_knobs: knobs<ConnectionPoolOptions<unknown, unknown>>()(
      "target",
      "minConnections",
      "maxConnections",
      "connectLatency",
      "acquireTimeout",
      "idleTimeout",
    ),
  };

  /** Where the connections lead: send requests here while holding a connection. */
  readonly target: Entity<Req, Res>;
  readonly minConnections: number;
  readonly maxConnections: number;
  /** As given: seconds, or a profile of seconds read when a caller starts waiting. */
  readonly acquireTimeout: Param;
  /** As given: seconds, or a profile of seconds read when a connection becomes idle. */
  readonly idleTimeout: Param;
  /** Seconds from `acquire` to a connection, for every acquisition (0 when one was idle). */
  readonly acquireWait = new Histogram();
  private readonly connectLatency: Distribution;
  /** The idle timeout in ns when it is a number; -1 for a profile (read per idle spell). */
  private readonly idleTimeoutNs: number;
  private readonly draws = this.random("connect");
  /** Idle connections, least recently released first. */
  private readonly idle: Connection[] = [];
  /** Callers waiting, oldest first (the resource family's FIFO discipline). */
  private readonly waiters = fifo<Waiter>();
  private active = 0;
  private opening = 0;
  private idleTimerToken = -1;
  /** When the idle timer fires (ns), while it is armed. */
  private idleTimerDueNs = 0;
  /**
   * @internal Crashes so far, never reset: a connection opened in an earlier epoch was lost.
   * Not `counters.crashes`, which `sim.resetStats()` zeroes.
   */
  _crashEpoch = 0;
  private counts = {
    connectionsCreated: 0,
    connectionsClosed: 0,
    acquisitions: 0,
    timedOut: 0,
  };

  constructor(sim: Simulation, name: string, options: ConnectionPoolOptions<Req, Res>) {
    // Checked before registering: a refused pool leaves no entity behind.
    const config = checkConnectionPoolOptions(sim, name, options);
    super(sim, name);
    this.target = config.target;
    this.minConnections = config.minConnections;
    this.maxConnections = config.maxConnections;
    this.connectLatency = config.connectLatency;
    this.acquireTimeout = config.acquireTimeout;
    this.idleTimeout = config.idleTimeout;
    this.idleTimeoutNs =
      typeof this.idleTimeout === "number" ? Math.round(this.idleTimeout * 1e9) : -1;
    this.keepMinimum();
  }

  get stats(): ConnectionPoolStats {
    const wait = this.acquireWait;
    return {
      ...this.counts,
      open: this.active + this.idle.length,
      active: this.active,
      idle: this.idle.length,
      opening: this.opening,
      queued: this.waiters.length,
      meanAcquireWait: wait.count > 0 ? wait.mean : 0,
      p50AcquireWait: wait.p50,
      p99AcquireWait: wait.p99,
      maxAcquireWait: wait.count > 0 ? wait.max : 0,
    };
  }

  override metrics(): EntityMetrics {
    return { ...this.stats };
  }

  /**
   * `const connection = yield* pool.acquire()`: an idle connection at once, or the first one
   * opened or released for this caller (FIFO among waiters). Throws `AcquireTimeoutError`
   * after `acquireTimeout` seconds without one, and `RemoteError` if the pool is down or
   * crashes meanwhile. Every connection acquired must be released exactly once.
   */
  *acquire(): Generator<Yieldable, Connection, unknown> {
    if (!this.isUp) throw new RemoteError("connection pool down", this.name);
    // Most recently released first: under light load the same few connections stay busy and
    // the rest age out, so the pool shrinks back to what the load needs.
    const idle = this.idle.pop();
    if (idle !== undefined) {
      idle._state = ACTIVE;
      this.active++;
      this.counts.acquisitions++;
      this.acquireWait.record(0);
      return idle;
    }
    const waiter = new Waiter(
      this.future<Connection>("connection"),
      this.nowNs,
      valueAt(this.acquireTimeout, this.now),
    );
    const grant = waiter.grant;
    // If the waiting process is cancelled (its entity crashed, it lost a race), the wait is
    // cancelled with it and must leave the queue, or a connection would be handed to nobody.
    grant._privateToWaiter = true;
    grant.onCancel(() => this.forget(waiter));
    waiter.timerToken = this.after(waiter.timeout, this.expire, waiter);
    this.waiters.enqueue(waiter, this.nowNs, undefined);
    this.openForWaiters();
    let received = false;
    try {
      const connection = (yield grant) as Connection;
      received = true;
      return connection;
    } finally {
      // Handed a connection, but cancelled before it could resume: give it back.
      if (!received && grant.state === "resolved") this.release(grant.value);
    }
  }

  /**
   * Gives a connection back for the next caller (or to wait idle). Releasing one that is not
   * held (twice, or from another pool) is a `SimulationError`. A connection the pool lost in
   * a crash while it was held is closed instead.
   */
  release(connection: Connection): void {
    this.checkHeld(connection, "release");
    if (connection._epoch !== this._crashEpoch) {
      // Already counted closed at the crash.
      connection._state = CLOSED;
      return;
    }
    this.active--;
    this.handOver(connection);
  }

  /**
   * Gives a held connection back broken: it is closed, not reused (an HTTP/1.1 connection whose
   * request timed out still has the answer coming on it). A waiter gets a new connection.
   */
  discard(connection: Connection): void {
    this.checkHeld(connection, "discard");
    if (connection._epoch !== this._crashEpoch) {
      connection._state = CLOSED;
      return;
    }
    this.active--;
    this.close(connection);
    this.openForWaiters();
    this.keepMinimum();
  }

  private checkHeld(connection: Connection, api: string): void {
    if (!(connection instanceof Connection) || connection.pool !== this) {
      throw new SimulationError(
        `${api}(): not a connection of this pool (given ${connection instanceof Connection ? `a connection of "${connection.pool.name}"` : typeof connection})`,
        this.name,
        this.nowNs,
      );
    }
    if (connection._state !== ACTIVE) {
      throw new SimulationError(
        `${api}(): connection ${connection.id} is not held (released twice?)`,
        this.name,
        this.nowNs,
      );
    }
  }

  /** A free connection goes to the oldest waiter, or joins the idle ones. */
  private handOver(connection: Connection): void {
    const waiter = this.waiters.dequeue(this.nowNs, NO_DROPS);
    if (waiter !== undefined) {
      this.cancelTimer(waiter.timerToken);
      connection._state = ACTIVE;
      this.active++;
      this.counts.acquisitions++;
      this.acquireWait.record((this.nowNs - waiter.sinceNs) / 1e9);
      waiter.grant.resolve(connection);
      return;
    }
    connection._state = IDLE;
    const timeoutNs =
      this.idleTimeoutNs >= 0
        ? this.idleTimeoutNs
        : Math.round(valueAt(this.idleTimeout, this.now) * 1e9);
    connection._idleUntilNs = this.nowNs + timeoutNs;
    this.idle.push(connection);
    // Only with a profile can a connection idle from now be due before the armed timer (the
    // timeout dropped since it was armed): then the timer is moved earlier.
    if (this.idleTimerToken >= 0 && connection._idleUntilNs < this.idleTimerDueNs) {
      this.cancelTimer(this.idleTimerToken);
      this.idleTimerToken = -1;
    }
    this.armIdleTimer();
  }

  /** Opens connections for waiters that no connection being opened will serve, up to the max. */
  private openForWaiters(): void {
    while (
      this.opening < this.waiters.length &&
      this.active + this.idle.length + this.opening < this.maxConnections
    ) {
      this.openConnection();
    }
  }

  private keepMinimum(): void {
    while (this.active + this.idle.length + this.opening < this.minConnections) {
      this.openConnection();
    }
  }

  private openConnection(): void {
    this.opening++;
    this.after(this.connectLatency.sample(this.draws, this.now), this.opened);
  }

  private readonly opened = (): void => {
    this.opening--;
    this.counts.connectionsCreated++;
    this.handOver(
      new Connection(
        this as ConnectionPool,
        this.counts.connectionsCreated,
        this.now,
        this._crashEpoch,
      ),
    );
  };

  private readonly expire = (waiter: Waiter): void => {
    this.waiters.remove(waiter, this.nowNs);
    this.counts.timedOut++;
    waiter.grant.reject(new AcquireTimeoutError(waiter.timeout, this.name));
  };

  private forget(waiter: Waiter): void {
    if (!this.waiters.remove(waiter, this.nowNs)) return;
    this.cancelTimer(waiter.timerToken);
  }

  private close(connection: Connection): void {
    connection._state = CLOSED;
    this.counts.connectionsClosed++;
  }

  /**
   * One timer for the idle connection due to age out next. It is a daemon: closing idle
   * connections never keeps a run alive. With a fixed idle timeout that is the least recently
   * released one (O(1)); with a profile every idle spell has its own timeout, so the earliest
   * deadline may be any of them (a scan of the idle connections, at most maxConnections).
   */
  private armIdleTimer(): void {
    if (this.idleTimerToken >= 0) return;
    const idle = this.idle;
    const oldest = idle[0];
    if (oldest === undefined || this.active + idle.length <= this.minConnections) return;
    let dueNs = oldest._idleUntilNs;
    if (this.idleTimeoutNs < 0) {
      for (let i = 1; i < idle.length; i++) dueNs = Math.min(dueNs, idle[i]!._idleUntilNs);
    }
    // Never in the past: the oldest may have idled within the minimum before the pool grew.
    const delay = Math.max(0, dueNs - this.nowNs) / 1e9;
    this.idleTimerDueNs = Math.max(dueNs, this.nowNs);
    this.idleTimerToken = this.after(delay, this.closeIdle, undefined, { daemon: true });
  }

  /** Closes the idle connections past their deadline, oldest release first, down to the minimum. */
  private readonly closeIdle = (): void => {
    this.idleTimerToken = -1;
    const idle = this.idle;
    const nowNs = this.nowNs;
    let i = 0;
    while (i < idle.length && this.active + idle.length > this.minConnections) {
      const connection = idle[i]!;
      if (connection._idleUntilNs <= nowNs) {
        if (i === 0) idle.shift();
        else idle.splice(i, 1);
        this.close(connection);
      } else if (this.idleTimeoutNs >= 0) {
        // A fixed timeout: deadlines follow release order, so the rest are not due either.
        break;
      } else {
        i++;
      }
    }
    this.armIdleTimer();
  };

  protected override onCrash(): void {
    // The crash cancelled the connect, idle and acquire timers. Every connection is lost:
    // those held are closed when released (their epoch is now stale).
    this._crashEpoch++;
    this.counts.connectionsClosed += this.active + this.idle.length;
    for (const connection of this.idle) connection._state = CLOSED;
    this.idle.length = 0;
    this.active = 0;
    this.opening = 0;
    this.idleTimerToken = -1;
    const waiters = this.waiters.clear(this.nowNs);
    for (const waiter of waiters) {
      waiter.grant.reject(new RemoteError("connection pool crashed", this.name));
    }
  }

  protected override onResetStats(): void {
    // Connections open at the reset are counted again as created, so
    // `connectionsCreated = connectionsClosed + open` keeps holding.
    this.counts = {
      connectionsCreated: this.active + this.idle.length,
      connectionsClosed: 0,
      acquisitions: 0,
      timedOut: 0,
    };
    this.acquireWait.reset();
  }

  protected override onRecover(): void {
    this.keepMinimum();
  }
}

/** A pool's options, checked and defaulted, before the pool registers. */
function checkConnectionPoolOptions<Req, Res>(
  sim: Simulation,
  name: string,
  options: ConnectionPoolOptions<Req, Res>,
) {
  const component = `ConnectionPool "${name}"`;
  const target = requireEntity(component, "target", options?.target, sim, Entity) as Entity<
    Req,
    Res
  >;
  const minConnections = requireInteger(
    component,
    "minConnections",
    options.minConnections ?? 0,
    0,
  );
  const maxConnections = requireInteger(
    component,
    "maxConnections",
    options.maxConnections ?? 10,
    1,
  );
  if (minConnections > maxConnections) {
    throw new ConfigError(
      component,
      "minConnections",
      `an integer <= maxConnections (${maxConnections})`,
      minConnections,
    );
  }
  const connectLatency = requireDistribution(
    component,
    "connectLatency",
    options.connectLatency ?? constant(0.01),
  );
  const acquireTimeout = requireSecondsParam(
    component,
    "acquireTimeout",
    options.acquireTimeout ?? 5,
  );
  const idleTimeout = requireSecondsParam(component, "idleTimeout", options.idleTimeout ?? 60);
  return { target, minConnections, maxConnections, connectLatency, acquireTimeout, idleTimeout };
}
