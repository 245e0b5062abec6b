/**
 * `LockClient`: a client entity's handle on a `DistributedLock`. Its calls are the entity's own
 * (`entity.call`), so they cross the network, and a pause or partition of that entity delays
 * or loses them as it would a real client's.
 *
 * A `Lease` remembers the client's own view: `validUntil` is the client's clock (a `NodeClock`
 * when given, else true time) when it sent the acquire, plus the ttl: the service started the
 * lease later, so by a correct clock the lease is still held until then. `holds(lease)` is the
 * check careful clients make before each write, and what it cannot know is the point of
 * fencing: a client paused between the check and the write writes after the lease is gone.
 *
 * @example
 * const client = new LockClient(lock, worker, { timeout: 1 });
 * const lease = yield* client.acquire("job", { ttl: 2, wait: 5 });
 * if (client.holds(lease)) yield* worker.call(store, "put", { key: "k", value: 1, token: lease.token });
 * yield* client.renew(lease);
 * yield* client.release(lease);
 */
import type { NodeClock } from "../../clocks/nodeClock.js";
import type { Entity } from "../../core/entity.js";
import type { Yieldable } from "../../core/process.js";
import { ConfigError } from "../../errors/errors.js";
import { requireSeconds } from "../shared/validate.js";
import type { DistributedLock, LockGrant, LockRequest } from "./distributedLock.js";

export interface LockClientOptions {
  /** Seconds a renew or release waits for the service's answer (> 0). Default 1. */
  readonly timeout?: number;
  /** The client's clock, for `holds`. Default: true simulated time. */
  readonly clock?: NodeClock;
}

/** A lease as the client holds it: the grant, and until when the client may count on it. */
export interface Lease extends LockGrant {
  /** The client's clock reading (seconds) after which it must assume the lease is gone. */
  readonly validUntil: number;
}

export class LockClient {
  private readonly timeout: number;
  private readonly clock: NodeClock | undefined;

  constructor(
    readonly service: DistributedLock,
    readonly owner: Entity,
    options: LockClientOptions = {},
  ) {
    const component = `LockClient "${owner?.name}"`;
    if (typeof service !== "object" || service === null || typeof service.handle !== "function") {
      throw new ConfigError(component, "service", "a DistributedLock", service);
    }
    this.timeout = requireSeconds(component, "timeout", options.timeout ?? 1);
    this.clock = options.clock;
  }

  /** The client's clock now, seconds. */
  localNow(): number {
    return this.clock === undefined ? this.owner.now : this.clock.monotonicNs() / 1e9;
  }

  /**
   * Acquires `lock` (waiting up to `wait` seconds while another owner holds it); throws
   * `RemoteError` "lock busy" when it stays held, `TimeoutError` when no answer comes within
   * `wait` plus the client's timeout.
   */
  *acquire(
    lock: string,
    options: { readonly ttl?: number; readonly wait?: number } = {},
  ): Generator<Yieldable, Lease, unknown> {
    const wait = options.wait ?? this.service.wait;
    const request: LockRequest = {
      lock,
      owner: this.owner.name,
      ttl: options.ttl ?? this.service.ttl,
      wait,
    };
    return yield* this.send("acquire", request, wait + this.timeout);
  }

  /** Renews `lease` for its ttl again; throws `RemoteError` "lease lost" when it is gone. */
  *renew(lease: LockGrant, ttl?: number): Generator<Yieldable, Lease, unknown> {
    const request: LockRequest = {
      lock: lease.lock,
      owner: this.owner.name,
      token: lease.token,
      ttl: ttl ?? lease.ttl,
    };
    return yield* this.send("renew", request, this.timeout);
  }

  /** Releases `lease`: true, or false when it had already expired. */
  *release(lease: LockGrant): Generator<Yieldable, boolean, unknown> {
    const request: LockRequest = { lock: lease.lock, owner: this.owner.name, token: lease.token };
    return (yield* this.owner.call(this.service, "release", request, {
      timeout: this.timeout,
    })) as boolean;
  }

  /** Whether the client may still count on `lease` by its own clock. */
  holds(lease: Lease): boolean {
    return this.localNow() < lease.validUntil;
  }

  private *send(kind: string, request: LockRequest, timeout: number) {
    const sentAt = this.localNow();
    const grant = (yield* this.owner.call(this.service, kind, request, { timeout })) as LockGrant;
    return { ...grant, ttl: request.ttl!, validUntil: sentAt + request.ttl! };
  }
}
