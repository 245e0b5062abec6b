/**
 * The lock service's state, as a deterministic state machine (the `StateMachine` contract a
 * consensus protocol drives): a lease per lock, held by one owner until it expires, and one
 * fencing-token counter. Commands carry the service's clock reading (`now`), so applying the
 * same commands in the same order gives the same leases and tokens on every replica: time
 * enters the machine as data, never by reading a clock, which is what lets a Raft or Paxos log
 * carry it.
 *
 * A lock is free when it has no lease or its lease has expired (`now >= expiresAt`). Tokens
 * come from one counter for every lock, so a token is never given twice and each grant's is
 * larger than every grant's before it: what a fenced resource compares.
 *
 * `LockBackend` is where the table lives: `standaloneLockBackend()` keeps it in the service's
 * own memory (one node, durable: it survives the service's crash as a disk would keep it); a
 * backend on a consensus log would propose each command and answer once it is committed and
 * applied. `DistributedLock` talks only to the interface.
 */
import type { Yieldable } from "../../core/process.js";
import type { StateMachine } from "../consensus/stateMachine.js";

/** A command of the lease table. `now` is the service's clock reading (seconds). */
export type LeaseCommand =
  | {
      readonly op: "acquire";
      readonly lock: string;
      readonly owner: string;
      readonly ttl: number;
      readonly now: number;
    }
  | {
      readonly op: "renew";
      readonly lock: string;
      readonly owner: string;
      readonly token: number;
      readonly ttl: number;
      readonly now: number;
    }
  | {
      readonly op: "release";
      readonly lock: string;
      readonly owner: string;
      readonly token: number;
      readonly now: number;
    };

/** A lease: who holds a lock, under which fencing token, until when (the service's clock). */
export interface LeaseState {
  readonly owner: string;
  readonly token: number;
  readonly expiresAt: number;
}

/**
 * A command's result: `ok` (granted, renewed, released), the lease after it (the holder's on a
 * refused acquire), and whether the token is new (a fresh grant, not an owner's repeat).
 */
export interface LeaseResult {
  readonly ok: boolean;
  readonly lease: LeaseState | undefined;
  readonly fresh: boolean;
}

/**
 * `now + ttl` on the nanosecond grid clocks read on, so a timer armed at the expiry finds the
 * lease expired when it fires (a sum off the grid could read as a hair before it, forever).
 */
function expiry(now: number, ttl: number): number {
  return Math.round((now + ttl) * 1e9) / 1e9;
}

/** The lease table as a state machine. */
export class LeaseStateMachine implements StateMachine<LeaseCommand, LeaseResult> {
  private leases = new Map<string, LeaseState>();
  private lastToken = 0;

  apply(command: LeaseCommand): LeaseResult {
    const held = this.leases.get(command.lock);
    const live = held !== undefined && command.now < held.expiresAt ? held : undefined;
    switch (command.op) {
      case "acquire": {
        if (live !== undefined && live.owner !== command.owner) {
          return { ok: false, lease: live, fresh: false };
        }
        // An owner asking again while it holds the lock (a retry, a duplicated message) gets its
        // lease back, extended, under the same token: a new token would fence its own writes.
        const fresh = live === undefined;
        const token = fresh ? ++this.lastToken : live.token;
        const lease = { owner: command.owner, token, expiresAt: expiry(command.now, command.ttl) };
        this.leases.set(command.lock, lease);
        return { ok: true, lease, fresh };
      }
      case "renew": {
        if (live === undefined || live.owner !== command.owner || live.token !== command.token) {
          return { ok: false, lease: live, fresh: false };
        }
        const lease = { ...live, expiresAt: expiry(command.now, command.ttl) };
        this.leases.set(command.lock, lease);
        return { ok: true, lease, fresh: false };
      }
      case "release": {
        if (live === undefined || live.owner !== command.owner || live.token !== command.token) {
          return { ok: false, lease: live, fresh: false };
        }
        this.leases.delete(command.lock);
        return { ok: true, lease: undefined, fresh: false };
      }
    }
  }

  /** The lease on `lock`, expired or not (a read outside the log: not linearizable). */
  peek(lock: string): LeaseState | undefined {
    return this.leases.get(lock);
  }

  /** The last token granted (0 before the first). */
  get tokensGranted(): number {
    return this.lastToken;
  }

  /** Leases unexpired at `now` (service clock). */
  heldAt(now: number): number {
    let held = 0;
    for (const lease of this.leases.values()) if (now < lease.expiresAt) held++;
    return held;
  }

  snapshot(): { readonly lastToken: number; readonly leases: readonly [string, LeaseState][] } {
    return { lastToken: this.lastToken, leases: [...this.leases] };
  }

  restore(snapshot: unknown): void {
    const state = snapshot as ReturnType<LeaseStateMachine["snapshot"]>;
    this.lastToken = state.lastToken;
    this.leases = new Map(state.leases);
  }
}

/**
 * Where a lock service keeps its lease table. `apply` runs inside the service's process (it may
 * wait: for a quorum, a disk) and returns the command's result once it is decided; commands are
 * applied in the order the backend decides, and a backend that cannot decide (no quorum) throws,
 * which the service turns into a refusal ("lock service unavailable").
 */
export interface LockBackend {
  /** What it is, for the catalog and reports: "standalone", "raft", ... */
  readonly kind: string;
  apply(command: LeaseCommand): Generator<Yieldable, LeaseResult, unknown>;
  /** Leases unexpired at `now`, as far as this node knows (for statistics). */
  heldAt(now: number): number;
  /** The last fencing token granted, as far as this node knows (for statistics). */
  readonly tokensGranted: number;
}

/**
 * The lease table in the service's own memory: one node, decided at once, kept across the
 * service's crashes (as if on its disk). Its fault tolerance is the service's.
 */
export function standaloneLockBackend(): LockBackend {
  const table = new LeaseStateMachine();
  return {
    kind: "standalone",
    // biome-ignore lint/correctness/useYield: a backend may wait; this one decides at once
    *apply(command) {
      return table.apply(command);
    },
    heldAt: (now) => table.heldAt(now),
    get tokensGranted() {
      return table.tokensGranted;
    },
  };
}

/** Whether `value` looks like a `LockBackend`. */
export function isLockBackend(value: unknown): value is LockBackend {
  const backend = value as Partial<LockBackend> | null;
  return (
    typeof backend === "object" &&
    backend !== null &&
    typeof backend.kind === "string" &&
    typeof backend.apply === "function" &&
    typeof backend.heldAt === "function"
  );
}
