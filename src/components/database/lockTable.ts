/**
 * `LockTable`: the state of a lock manager with no time in it: which owner (transaction) holds
 * which key in which mode, who waits for what, the wait-for graph and its cycles. Every
 * operation is synchronous and returns what it granted, so the property test drives it step
 * by step and `LockManager` adds only futures, timers and statistics around it.
 *
 * Rules (the docs page states them for users):
 * - Modes: shared is compatible with shared only; exclusive with nothing.
 * - A request is granted at once when it is compatible with every other owner's lock on the
 *   key and nobody waits for the key: an arrival never overtakes a waiter (FIFO).
 * - Asking for a mode already covered (shared or exclusive when holding exclusive, shared when
 *   holding shared) is granted at once and changes nothing.
 * - An upgrade (holding shared, asking exclusive) is granted at once when the owner is the only
 *   holder; otherwise it waits ahead of every waiter that is not an upgrade (it already holds
 *   the key, so queueing it behind an exclusive waiter that waits for it would be a deadlock
 *   made by the queue), behind earlier upgrades.
 * - When locks are freed, waiters are granted from the head of the queue while the head is
 *   compatible with the holders (a run of shared waiters goes in together); the first one that
 *   is not stops the scan.
 * - The wait-for graph: a waiting owner waits for every other owner that holds the key in a
 *   conflicting mode, and for every other owner with a conflicting request ahead of it in the
 *   key's queue. Every waiting owner has at least one such edge, so a cycle is exactly a set of
 *   owners none of which can ever be granted without an abort.
 *
 * Determinism: keys, holders and queues live in Maps and arrays, iterated in insertion order
 * (grant order, arrival order), never in hash order.
 */

import type { CancelHook, SimFuture } from "../../core/future.js";

/** A row lock's mode. */
export type LockMode = "shared" | "exclusive";

/** A row's key: a string or a number (compared with `===` / SameValueZero, as Map keys). */
export type LockKey = string | number;

/** Which member of a deadlock cycle is aborted. */
export type DeadlockVictimRule = "youngest" | "fewestLocks";

/**
 * One transaction (or any unit of work) as the lock manager knows it: created by
 * `LockManager.begin()`, ended by `releaseAll` (or by being chosen as a deadlock victim, or a
 * crash). Its `id` orders owners by age: a larger id began later.
 */
export class LockOwner {
  /** @internal Keys held, in the order they were first granted, with their mode. */
  readonly _held = new Map<LockKey, LockMode>();
  /** @internal The one request it waits on, if any. */
  _waiting: LockRequest | null = null;
  /** @internal "open" until released, chosen as a victim, aborted or lost in a crash. */
  _status: "open" | "finished" | "lost" = "open";

  /** @internal Only a lock manager makes owners. */
  constructor(
    /** @internal The lock manager that made it. */
    readonly _manager: object,
    /** Begin order in its manager (1, 2, ...): the youngest has the largest. */
    readonly id: number,
    /** Names it in errors and in `holders()`. */
    readonly label: string,
    /** When it began (integer ns). */
    readonly beganNs: number,
  ) {}

  /** Locks held now. */
  get lockCount(): number {
    return this._held.size;
  }

  /** The mode it holds `key` in, or null. */
  modeOf(key: LockKey): LockMode | null {
    return this._held.get(key) ?? null;
  }

  /** True while it waits for a lock. */
  get isWaiting(): boolean {
    return this._waiting !== null;
  }

  /** True until it is released, aborted or lost in its manager's crash. */
  get isOpen(): boolean {
    return this._status === "open";
  }
}

/** @internal Told when a waiting request's process gives up (the lock manager). */
export interface WaitCancelled {
  _waitCancelled(request: LockRequest): void;
}

/**
 * A request waiting in a key's queue. It is its own future's cancel hook, so a wait costs its
 * future and no closures.
 */
export class LockRequest implements CancelHook {
  /** @internal The lock manager's: the waiter's future, who hears of its cancellation, its timer. */
  _future: SimFuture<void> | null = null;
  _onCancel: WaitCancelled | null = null;
  _timerToken = -1;
  constructor(
    readonly owner: LockOwner,
    readonly key: LockKey,
    /** What it asks for (exclusive for an upgrade). */
    readonly mode: LockMode,
    /** Asks exclusive while holding shared. */
    readonly upgrade: boolean,
    /** When it began to wait (integer ns). */
    readonly sinceNs: number,
  ) {}

  /** @internal Its future was cancelled: its process gave up waiting. */
  _futureCancelled(): void {
    this._onCancel?._waitCancelled(this);
  }
}

/** A key's holders (grant order) and waiting queue (head first). */
class KeyLocks {
  readonly holders = new Map<LockOwner, LockMode>();
  readonly queue: LockRequest[] = [];
}

/** Whether two modes conflict: only shared with shared does not. */
export function conflicts(a: LockMode, b: LockMode): boolean {
  return a === "exclusive" || b === "exclusive";
}

export class LockTable {
  private readonly keys = new Map<LockKey, KeyLocks>();
  /** Owners waiting now, in the order they began to wait. */
  private readonly waitingOwners = new Set<LockOwner>();
  private heldCount = 0;

  /** Locks held now, over all keys and owners. */
  get held(): number {
    return this.heldCount;
  }

  /** Requests waiting now. */
  get waiting(): number {
    return this.waitingOwners.size;
  }

  /** Owners waiting now, in the order they began to wait. */
  waiters(): IterableIterator<LockOwner> {
    return this.waitingOwners.values();
  }

  /** Who holds `key`, in grant order. */
  holdersOf(key: LockKey): ReadonlyMap<LockOwner, LockMode> {
    return this.keys.get(key)?.holders ?? EMPTY_HOLDERS;
  }

  /** Requests waiting for `key`, head first. */
  queueOf(key: LockKey): readonly LockRequest[] {
    return this.keys.get(key)?.queue ?? EMPTY_QUEUE;
  }

  /** Every key with a holder or a waiter, in first-use order. */
  lockedKeys(): IterableIterator<LockKey> {
    return this.keys.keys();
  }

  /**
   * Would `owner` get `key` in `mode` at once? (Covered by what it holds, or compatible with
   * every other holder with nobody waiting; an upgrade when it is the only holder.)
   */
  grantable(owner: LockOwner, key: LockKey, mode: LockMode): boolean {
    const held = owner._held.get(key);
    if (held === "exclusive" || held === mode) return true;
    const locks = this.keys.get(key);
    if (locks === undefined) return true;
    if (held === "shared") return locks.holders.size === 1;
    return locks.queue.length === 0 && compatible(locks, owner, mode);
  }

  /**
   * Asks for `key` in `mode`: null if granted at once (or already covered), else the request,
   * now waiting. The owner must be open and not already waiting.
   */
  request(owner: LockOwner, key: LockKey, mode: LockMode, nowNs: number): LockRequest | null {
    const held = owner._held.get(key);
    if (held === "exclusive" || held === mode) return null;
    let locks = this.keys.get(key);
    if (locks === undefined) {
      locks = new KeyLocks();
      this.keys.set(key, locks);
    }
    const upgrade = held === "shared";
    if (
      upgrade
        ? locks.holders.size === 1
        : locks.queue.length === 0 && compatible(locks, owner, mode)
    ) {
      this.grant(locks, owner, key, mode);
      return null;
    }
    const request = new LockRequest(owner, key, mode, upgrade, nowNs);
    const queue = locks.queue;
    if (upgrade) {
      let at = 0;
      while (at < queue.length && queue[at]!.upgrade) at++;
      queue.splice(at, 0, request);
    } else {
      queue.push(request);
    }
    owner._waiting = request;
    this.waitingOwners.add(owner);
    return request;
  }

  /** Frees `owner`'s lock on `key` (if any); returns the requests this granted. */
  release(owner: LockOwner, key: LockKey): LockRequest[] {
    const granted: LockRequest[] = [];
    if (!owner._held.delete(key)) return granted;
    const locks = this.keys.get(key)!;
    locks.holders.delete(owner);
    this.heldCount--;
    this.grantWaiting(locks, key, granted);
    return granted;
  }

  /** Takes a waiting request out of its queue (a timeout, a victim, a cancelled wait). */
  withdraw(request: LockRequest): LockRequest[] {
    const granted: LockRequest[] = [];
    const owner = request.owner;
    if (owner._waiting !== request) return granted;
    owner._waiting = null;
    this.waitingOwners.delete(owner);
    const locks = this.keys.get(request.key)!;
    locks.queue.splice(locks.queue.indexOf(request), 1);
    // The head may have been all that kept the requests behind it waiting.
    this.grantWaiting(locks, request.key, granted);
    return granted;
  }

  /** Withdraws `owner`'s waiting request and frees every lock it holds; returns what that granted. */
  releaseAll(owner: LockOwner): LockRequest[] {
    const granted = owner._waiting === null ? [] : this.withdraw(owner._waiting);
    for (const key of [...owner._held.keys()]) granted.push(...this.release(owner, key));
    return granted;
  }

  /** Forgets everything (the manager crashed); owners are the caller's to mark. */
  clear(): void {
    this.keys.clear();
    this.waitingOwners.clear();
    this.heldCount = 0;
  }

  /**
   * The owners `owner` waits for: other holders of its key in a conflicting mode (grant
   * order), then owners of conflicting requests ahead of it (queue order), each once.
   */
  waitsFor(owner: LockOwner): LockOwner[] {
    const request = owner._waiting;
    if (request === null) return [];
    const locks = this.keys.get(request.key)!;
    const out: LockOwner[] = [];
    for (const [holder, mode] of locks.holders) {
      if (holder !== owner && conflicts(mode, request.mode)) out.push(holder);
    }
    for (const ahead of locks.queue) {
      if (ahead === request) break;
      const other = ahead.owner;
      if (other !== owner && conflicts(ahead.mode, request.mode) && !out.includes(other)) {
        out.push(other);
      }
    }
    return out;
  }

  /**
   * A cycle of the wait-for graph reachable from `starts` (all waiting owners by default, in
   * wait order), as the owners along it (each waits for the next, the last for the first), or
   * null. A depth-first search with three colours: O(owners + edges) for one search.
   */
  findCycle(starts: Iterable<LockOwner> = this.waitingOwners): LockOwner[] | null {
    const state = new Map<LockOwner, 1 | 2>(); // 1: on the path, 2: done (no cycle through it)
    const path: LockOwner[] = [];
    const visit = (owner: LockOwner): LockOwner[] | null => {
      state.set(owner, 1);
      path.push(owner);
      for (const next of this.waitsFor(owner)) {
        const seen = state.get(next);
        if (seen === 1) return path.slice(path.indexOf(next));
        if (seen === undefined) {
          const cycle = visit(next);
          if (cycle !== null) return cycle;
        }
      }
      path.pop();
      state.set(owner, 2);
      return null;
    };
    for (const start of starts) {
      if (state.has(start)) continue;
      const cycle = visit(start);
      if (cycle !== null) return cycle;
    }
    return null;
  }

  private grant(locks: KeyLocks, owner: LockOwner, key: LockKey, mode: LockMode): void {
    if (!locks.holders.has(owner)) this.heldCount++;
    locks.holders.set(owner, mode);
    owner._held.set(key, mode);
  }

  /** Grants from the head of the queue while the head is compatible; drops an empty key. */
  private grantWaiting(locks: KeyLocks, key: LockKey, granted: LockRequest[]): void {
    const queue = locks.queue;
    while (queue.length > 0) {
      const head = queue[0]!;
      const owner = head.owner;
      if (head.upgrade ? locks.holders.size !== 1 : !compatible(locks, owner, head.mode)) break;
      queue.shift();
      owner._waiting = null;
      this.waitingOwners.delete(owner);
      this.grant(locks, owner, key, head.mode);
      granted.push(head);
    }
    if (queue.length === 0 && locks.holders.size === 0) this.keys.delete(key);
  }
}

/** The victim of `cycle` under `rule`: youngest (largest id), or fewest locks held (then youngest). */
export function chooseVictim(cycle: readonly LockOwner[], rule: DeadlockVictimRule): LockOwner {
  let victim = cycle[0]!;
  for (const owner of cycle) {
    if (rule === "fewestLocks" && owner.lockCount !== victim.lockCount) {
      if (owner.lockCount < victim.lockCount) victim = owner;
    } else if (owner.id > victim.id) {
      victim = owner;
    }
  }
  return victim;
}

/** `mode` is compatible with every lock other owners hold on the key. */
function compatible(locks: KeyLocks, owner: LockOwner, mode: LockMode): boolean {
  for (const [holder, held] of locks.holders) {
    if (holder !== owner && conflicts(held, mode)) return false;
  }
  return true;
}

const EMPTY_HOLDERS: ReadonlyMap<LockOwner, LockMode> = new Map();
const EMPTY_QUEUE: readonly LockRequest[] = [];
