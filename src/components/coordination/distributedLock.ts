/**
 * `DistributedLock`: a lock service that grants leases with fencing tokens, as Chubby and
 * ZooKeeper recipes do and as Kleppmann's "How to do distributed locking" says a lock must.
 *
 * A client acquires a named lock for `ttl` seconds and gets a `LockGrant`: its fencing token
 * and when the lease expires by the service's clock. It renews before then, or loses the lock:
 * the lease expires by the service's clock alone, whatever the holder believes, so a holder
 * that stalls (a GC pause, a partition) may wake still thinking it holds a lock that another
 * client now holds. That is split brain, and no lease timing prevents it; fencing does: every
 * grant's token is larger than every earlier grant's, the holder sends its token with each
 * write, and the protected resource (`FencedStore`) refuses a token lower than the highest it
 * has seen, so the stale holder's write is refused once the new holder has written.
 *
 * Messages (a `LockClient` sends them for a client entity):
 *
 * | kind | payload | reply |
 * | --- | --- | --- |
 * | `"acquire"` | `{ lock, owner, ttl?, wait? }` | a `LockGrant`; fails "lock busy" when the lock stays held `wait` seconds |
 * | `"renew"` | `{ lock, owner, token, ttl? }` | a `LockGrant` with the new expiry; fails "lease lost" when it expired or was released |
 * | `"release"` | `{ lock, owner, token }` | true, or false when the lease had already expired or gone |
 *
 * An owner that acquires a lock it holds gets the same token back, its lease extended (a
 * retried or duplicated acquire must not fence its own writes). Waiters are served in FIFO
 * order as the lock is released or its lease expires (a timer on the service's clock).
 *
 * The lease table lives in a `LockBackend`: `standaloneLockBackend()` (default: the service's
 * memory, kept across its crashes) or a backend of your own on a replicated log; the service
 * speaks only to the interface, so the API stays when the backend changes.
 *
 * Clock: the service reads a `NodeClock` of its own (`clock`: offset and drift, and the
 * clock fault kinds step or drift it), so a clock that jumps forward expires leases early.
 *
 * Crash: waiting acquires are lost (`lostWaiting`; their callers time out); the lease table
 * is the backend's (the standalone one keeps it). While down, requests are dropped.
 *
 * @example
 * const lock = new DistributedLock(sim, "locks", { ttl: 2 });
 * const store = new FencedStore<string>(sim, "storage");
 * worker.start(function* () {
 *   const client = new LockClient(lock, worker);
 *   const grant = yield* client.acquire("job", { wait: 5 });
 *   yield* worker.call(store, "put", { key: "result", value: "done", token: grant.token });
 *   yield* client.release(grant);
 * });
 */
import { type CatalogEntry, knobs } from "../../catalog/entry.js";
import { MAX_CLOCK_RATE_PPM, NodeClock, type NodeClockOptions } from "../../clocks/nodeClock.js";
import { Entity, type EntityMetrics } from "../../core/entity.js";
import type { Message } from "../../core/message.js";
import type { Simulation } from "../../core/simulation.js";
import { ConfigError } from "../../errors/errors.js";
import { requireSeconds } from "../shared/validate.js";
import {
  isLockBackend,
  type LeaseCommand,
  type LeaseResult,
  type LockBackend,
  standaloneLockBackend,
} from "./leaseTable.js";

/** A request to the lock service (which fields each kind reads: the table above). */
export interface LockRequest {
  readonly lock: string;
  readonly owner: string;
  /** Lease length, seconds (> 0). Default: the service's `ttl`. */
  readonly ttl?: number;
  /** `acquire`: seconds to wait while another owner holds the lock (>= 0). Default: the service's `wait`. */
  readonly wait?: number;
  /** `renew`, `release`: the token of the lease. */
  readonly token?: number;
}

/** A lease granted (or renewed): the fencing token and the expiry by the service's clock. */
export interface LockGrant {
  readonly lock: string;
  readonly owner: string;
  readonly token: number;
  readonly ttl: number;
  /** When the lease expires, by the service's clock (seconds). */
  readonly expiresAt: number;
}

export type LockReply = LockGrant | boolean;

export interface DistributedLockOptions {
  /** Where the lease table lives. Default `standaloneLockBackend()`. */
  backend?: LockBackend;
  /** Default lease length, seconds (> 0). Default 10. */
  ttl?: number;
  /** Default seconds an acquire waits for a held lock (>= 0; 0 refuses at once). Default 0. */
  wait?: number;
  /** The service's clock: offset (seconds) and drift (ppm) from true time. Default exact. */
  clock?: ServiceClockOptions;
}

/** A service clock's error: where it starts and how fast it runs (see `NodeClock`). */
export interface ServiceClockOptions {
  readonly offset?: number;
  readonly driftPpm?: number;
}

/** Checked before the service registers, so a refused one leaves its name free. */
function checkClock(component: string, clock: ServiceClockOptions): NodeClockOptions {
  const offset = clock?.offset ?? 0;
  const driftPpm = clock?.driftPpm ?? 0;
  if (
    typeof clock !== "object" ||
    clock === null ||
    typeof offset !== "number" ||
    !Number.isFinite(offset) ||
    typeof driftPpm !== "number" ||
    !(Math.abs(driftPpm) <= MAX_CLOCK_RATE_PPM)
  ) {
    throw new ConfigError(
      component,
      "clock",
      `{ offset: seconds, driftPpm: within ±${MAX_CLOCK_RATE_PPM} }`,
      clock,
    );
  }
  return { offset, driftPpm };
}

/** The reasons a request fails with. */
export const LOCK_BUSY = "lock busy";
export const LEASE_LOST = "lease lost";
export const LOCK_UNAVAILABLE = "lock service unavailable";

interface Waiter {
  readonly message: Message<LockRequest>;
  readonly owner: string;
  readonly ttl: number;
  timer: number;
}

interface LockCounts {
  requests: number;
  granted: number;
  regranted: number;
  renewed: number;
  released: number;
  notHeld: number;
  rejected: number;
  leasesLost: number;
  lostWaiting: number;
  unavailable: number;
  invalid: number;
}

const zeroCounts = (): LockCounts => ({
  requests: 0,
  granted: 0,
  regranted: 0,
  renewed: 0,
  released: 0,
  notHeld: 0,
  rejected: 0,
  leasesLost: 0,
  lostWaiting: 0,
  unavailable: 0,
  invalid: 0,
});

export class DistributedLock extends Entity<LockRequest, LockReply> {
  static readonly catalog: CatalogEntry = {
    name: "DistributedLock",
    kind: "component",
    role: "coordination",
    layer: "distributed",
    contract:
      "Grants named locks as leases of ttl seconds with a fencing token; a lease expires by the service's clock unless renewed; every fresh grant's token exceeds every earlier one's, so a resource that refuses lower tokens (FencedStore) refuses a stale holder's writes. Acquires wait up to wait seconds in FIFO order; an owner re-acquiring a lock it holds keeps its token. The lease table lives in a pluggable backend (standalone, or a replicated log).",
    requires: ["Lease", "FencingToken", "Clock"],
    provides: ["Exclusive", "Fenced", "Monotonic", "Renew", "Release"],
    inputs: ["acquire, renew and release requests", "the service's clock"],
    outputs: [
      "grants with fencing tokens",
      'refusals ("lock busy", "lease lost", "lock service unavailable")',
      "requests, granted, regranted, renewed, released, notHeld, rejected, leasesLost, queued, lostWaiting, unavailable, invalid, held, lastToken",
    ],
    state: "the lease table and the token counter in the backend; waiting acquires (volatile)",
    failure_semantics:
      "Leases expire by the service's clock only: a paused or partitioned holder may go on believing it holds the lock after another owner got it (split brain), which fencing tokens make harmless at a resource that checks them. A clock stepped forward expires leases early. A crash loses waiting acquires (callers time out); the standalone backend keeps the table, so tokens keep increasing across restarts. A backend that cannot decide fails requests as unavailable.",
    composition_rules: ["FencedStore", "Client", "Network"],
    operational_knobs: knobs<DistributedLockOptions>()("backend", "ttl", "wait", "clock"),
  };

  readonly backend: LockBackend;
  readonly clock: NodeClock;
  readonly ttl: number;
  readonly wait: number;
  private readonly waiters = new Map<string, Waiter[]>();
  /** Locks a process is granting to waiters now (one at a time per lock, in FIFO order). */
  private readonly granting = new Set<string>();
  /** Per lock with waiters: the clock timer that wakes them when the holder's lease expires. */
  private readonly expiryTimers = new Map<
    string,
    { readonly at: number; readonly token: number }
  >();
  private queuedCount = 0;
  private counts = zeroCounts();

  constructor(sim: Simulation, name: string, options: DistributedLockOptions = {}) {
    const component = `DistributedLock "${name}"`;
    if (typeof options !== "object" || options === null) {
      throw new ConfigError(component, "options", "an object", options);
    }
    const backend = options.backend ?? standaloneLockBackend();
    if (!isLockBackend(backend)) {
      throw new ConfigError(component, "backend", "a LockBackend", backend);
    }
    const ttl = requireSeconds(component, "ttl", options.ttl ?? 10);
    const wait = requireSeconds(component, "wait", options.wait ?? 0, true);
    const clockOptions = checkClock(component, options.clock ?? {});
    super(sim, name);
    this.clock = new NodeClock(this, clockOptions);
    this.backend = backend;
    this.ttl = ttl;
    this.wait = wait;
  }

  override *handle(message: Message<LockRequest>) {
    this.counts.requests++;
    const request = message.payload;
    const problem = this.invalid(message.kind, request);
    if (problem !== null) {
      this.counts.invalid++;
      this.fail(message, problem);
      return;
    }
    const ttl = request.ttl ?? this.ttl;
    if (message.kind === "acquire") {
      const result = yield* this.decide(message, {
        op: "acquire",
        lock: request.lock,
        owner: request.owner,
        ttl,
        now: this.clock.now(),
      });
      if (result === null) return;
      if (result.ok) {
        this.grant(message, result);
        return;
      }
      const wait = request.wait ?? this.wait;
      if (wait === 0) {
        this.counts.rejected++;
        this.fail(message, LOCK_BUSY);
        return;
      }
      this.enqueue(message, request.owner, ttl, wait);
      this.armExpiry(request.lock, result.lease?.expiresAt);
      return;
    }
    if (message.kind === "renew") {
      const result = yield* this.decide(message, {
        op: "renew",
        lock: request.lock,
        owner: request.owner,
        token: request.token!,
        ttl,
        now: this.clock.now(),
      });
      if (result === null) return;
      if (!result.ok) {
        this.counts.leasesLost++;
        this.fail(message, LEASE_LOST);
        return;
      }
      this.counts.renewed++;
      this.reply(message, this.grantOf(request.lock, result));
      return;
    }
    const result = yield* this.decide(message, {
      op: "release",
      lock: request.lock,
      owner: request.owner,
      token: request.token!,
      now: this.clock.now(),
    });
    if (result === null) return;
    if (result.ok) this.counts.released++;
    else this.counts.notHeld++;
    this.reply(message, result.ok);
    if (result.ok) this.wakeWaiters(request.lock);
  }

  /** Why a request is malformed, or null. */
  private invalid(kind: string, request: LockRequest): string | null {
    if (kind !== "acquire" && kind !== "renew" && kind !== "release") {
      return `unknown operation "${kind}" (acquire, renew, release)`;
    }
    if (typeof request !== "object" || request === null) return "the request is not an object";
    if (typeof request.lock !== "string") return "lock must be a string";
    if (typeof request.owner !== "string") return "owner must be a string";
    if (request.ttl !== undefined && !(request.ttl > 0 && Number.isFinite(request.ttl))) {
      return "ttl must be seconds > 0";
    }
    if (request.wait !== undefined && !(request.wait >= 0 && Number.isFinite(request.wait))) {
      return "wait must be seconds >= 0";
    }
    if (kind !== "acquire" && !Number.isSafeInteger(request.token)) {
      return "token must be an integer";
    }
    return null;
  }

  /** The backend's decision, or null after failing `message` because it could not decide. */
  private *decide(message: Message<LockRequest> | null, command: LeaseCommand) {
    try {
      return yield* this.backend.apply(command);
    } catch {
      // A waiter's grant that could not be decided stays queued: counted when it is answered.
      if (message !== null) {
        this.counts.unavailable++;
        this.fail(message, LOCK_UNAVAILABLE);
      }
      return null;
    }
  }

  private grantOf(lock: string, result: LeaseResult): LockGrant {
    const lease = result.lease!;
    return {
      lock,
      owner: lease.owner,
      token: lease.token,
      ttl: lease.expiresAt - this.clock.now(),
      expiresAt: lease.expiresAt,
    };
  }

  private grant(message: Message<LockRequest>, result: LeaseResult): void {
    if (result.fresh) this.counts.granted++;
    else this.counts.regranted++;
    this.reply(message, this.grantOf(message.payload.lock, result));
  }

  private enqueue(message: Message<LockRequest>, owner: string, ttl: number, wait: number): void {
    const lock = message.payload.lock;
    let line = this.waiters.get(lock);
    if (line === undefined) {
      line = [];
      this.waiters.set(lock, line);
    }
    const waiter: Waiter = { message, owner, ttl, timer: -1 };
    waiter.timer = this.after(wait, this.waitRanOut, waiter);
    line.push(waiter);
    this.queuedCount++;
  }

  private readonly waitRanOut = (waiter: Waiter): void => {
    const lock = waiter.message.payload.lock;
    const line = this.waiters.get(lock);
    const index = line?.indexOf(waiter) ?? -1;
    if (line === undefined || index < 0) return;
    line.splice(index, 1);
    this.queuedCount--;
    if (line.length === 0) this.forget(lock);
    this.counts.rejected++;
    this.fail(waiter.message, LOCK_BUSY);
  };

  /** Wakes `lock`'s waiters when the lease expiring at `expiresAt` (service clock) runs out. */
  private armExpiry(lock: string, expiresAt: number | undefined): void {
    if (expiresAt === undefined) {
      this.wakeWaiters(lock);
      return;
    }
    const armed = this.expiryTimers.get(lock);
    if (armed !== undefined) {
      if (armed.at === expiresAt) return;
      this.clock.cancelTimer(armed.token);
    }
    const token = this.clock.at(expiresAt, this.expired, lock);
    this.expiryTimers.set(lock, { at: expiresAt, token });
  }

  private readonly expired = (lock: string): void => {
    this.expiryTimers.delete(lock);
    this.wakeWaiters(lock);
  };

  private forget(lock: string): void {
    this.waiters.delete(lock);
    const armed = this.expiryTimers.get(lock);
    if (armed !== undefined) {
      this.clock.cancelTimer(armed.token);
      this.expiryTimers.delete(lock);
    }
  }

  private wakeWaiters(lock: string): void {
    if (this.granting.has(lock) || (this.waiters.get(lock)?.length ?? 0) === 0) return;
    this.granting.add(lock);
    this.start(this.grantWaiters(lock), { name: "grant" });
  }

  /** Grants `lock` to its waiters in FIFO order while it is free (an owner may wait twice). */
  private *grantWaiters(lock: string) {
    try {
      for (;;) {
        const line = this.waiters.get(lock);
        const head = line?.[0];
        if (line === undefined || head === undefined) return;
        const result = yield* this.decide(null, {
          op: "acquire",
          lock,
          owner: head.owner,
          ttl: head.ttl,
          now: this.clock.now(),
        });
        if (result === null) return;
        if (!result.ok) {
          this.armExpiry(lock, result.lease?.expiresAt);
          return;
        }
        line.shift();
        this.queuedCount--;
        this.cancelTimer(head.timer);
        if (line.length === 0) this.forget(lock);
        this.grant(head.message, result);
      }
    } finally {
      this.granting.delete(lock);
    }
  }

  protected override onCrash(): void {
    this.counts.lostWaiting += this.queuedCount;
    this.queuedCount = 0;
    this.waiters.clear();
    this.expiryTimers.clear();
    this.granting.clear();
  }

  protected override onResetStats(): void {
    const queued = this.queuedCount;
    this.counts = zeroCounts();
    // Waiting acquires are counted again, so requests keep covering what is still queued.
    this.counts.requests = queued;
  }

  /** Leases held now, by the service's clock (as far as its backend knows). */
  get held(): number {
    return this.backend.heldAt(this.clock.now());
  }

  /** Acquires waiting now. */
  get queued(): number {
    return this.queuedCount;
  }

  get stats(): Readonly<LockCounts> & {
    readonly queued: number;
    readonly held: number;
    readonly lastToken: number;
  } {
    return {
      ...this.counts,
      queued: this.queuedCount,
      held: this.held,
      lastToken: this.backend.tokensGranted,
    };
  }

  override metrics(): EntityMetrics {
    return { ...this.stats, backend: this.backend.kind };
  }
}
