/**
 * `LWWRegister`: a last-writer-wins register (Shapiro et al., 2011) stamped with hybrid
 * logical clock timestamps. Every write carries (timestamp, writer node); a merge keeps the
 * write with the larger timestamp, and of two writes with equal timestamps (concurrent events
 * on different nodes) the one from the larger node id (compared by UTF-16 code units), so
 * every replica picks the same winner whatever order writes arrive in.
 *
 * Why an HLC and not a node's physical clock: a writer whose clock is behind stamps its write
 * earlier than the write it has just read, and the register silently drops it (see
 * examples/clocks/clock-skew-lww.ts). Stamp writes with `clock.tick()` of a
 * `HybridLogicalClock` that has `receive`d the timestamps the node has seen (`timestamp` here,
 * after a merge), and a causally later write always wins. Concurrent writes still resolve one
 * way: one of them is lost, by design; a counter or a set (GCounter, ORSet) keeps both.
 *
 * A (timestamp, node) pair names one write: an HLC never gives one node the same timestamp
 * twice. Two different values under the same pair (a misuse) keep whichever the replica had.
 *
 * Mutable: `set` and `merge` change this replica and return it; `copy()` gives an independent
 * one. Values are kept by reference and must be treated as immutable; they must be plain JSON
 * for `toJSON()` (the state a replica sends) to carry them.
 *
 * @example
 * const clock = new HybridLogicalClock(nodeClock);
 * const register = new LWWRegister<string>("a").set("blue", clock.tick());
 * register.merge(received);           // a replica or its toJSON() state
 * clock.receive(register.timestamp!);  // so this node's next write is stamped after it
 */
import { type HlcTimestamp, HybridLogicalClock } from "../../clocks/hybridLogicalClock.js";
import { ConfigError } from "../../errors/errors.js";
import { byCodeUnits, checkNodeId } from "./validate.js";

/** One write: its value, its HLC timestamp and its writer. */
export interface LWWWrite<T> {
  readonly value: T;
  readonly timestamp: HlcTimestamp;
  readonly node: string;
}

/** An `LWWRegister`'s state as plain JSON: the winning write, or null if never written. */
export interface LWWRegisterState<T> {
  readonly write: LWWWrite<T> | null;
}

export class LWWRegister<T> {
  readonly node: string;
  private current: LWWWrite<T> | null = null;

  constructor(node: string, state?: LWWRegisterState<T>) {
    this.node = checkNodeId("LWWRegister", "node", node);
    if (state !== undefined) this.current = readState(`LWWRegister "${node}"`, state);
  }

  /** Reads a serialized state (`toJSON()`) into a replica owned by `node`. */
  static fromJSON<T>(node: string, state: LWWRegisterState<T>): LWWRegister<T> {
    return new LWWRegister<T>(node, state);
  }

  /**
   * Orders two writes: by timestamp (`HybridLogicalClock.compare`), then by node id. Negative
   * if `a` loses to `b`, positive if it wins, 0 for the same (timestamp, node).
   */
  static compareWrites(a: LWWWrite<unknown>, b: LWWWrite<unknown>): number {
    return HybridLogicalClock.compare(a.timestamp, b.timestamp) || byCodeUnits(a.node, b.node);
  }

  /** The winning write's value (undefined if never written). */
  get value(): T | undefined {
    return this.current?.value;
  }

  /** The winning write's timestamp: what this node's HLC should `receive` after a merge. */
  get timestamp(): HlcTimestamp | undefined {
    return this.current?.timestamp;
  }

  /** The winning write (value, timestamp, writer), or null. */
  get write(): LWWWrite<T> | null {
    return this.current;
  }

  /**
   * A write by this replica's node, stamped `timestamp` (usually `clock.tick()`): it replaces
   * the value unless the stored write is later (then it is lost, as a concurrent write would
   * be). Returns this replica.
   */
  set(value: T, timestamp: HlcTimestamp): this {
    checkTimestamp(`LWWRegister "${this.node}".set`, "timestamp", timestamp);
    this.offer({
      value,
      timestamp: { wallNs: timestamp.wallNs, logical: timestamp.logical },
      node: this.node,
    });
    return this;
  }

  /** Keeps the later of this replica's write and `other`'s (a replica or a state). */
  merge(other: LWWRegister<T> | LWWRegisterState<T>): this {
    const write =
      other instanceof LWWRegister
        ? other.current
        : readState<T>(`LWWRegister "${this.node}".merge`, other);
    if (write !== null) this.offer(write);
    return this;
  }

  /** An independent copy (values shared, as they are immutable), owned by `node`. */
  copy(node: string = this.node): LWWRegister<T> {
    const copy = new LWWRegister<T>(node);
    copy.current = this.current;
    return copy;
  }

  /** The state as plain JSON (JSON.stringify uses it). */
  toJSON(): LWWRegisterState<T> {
    return { write: this.current };
  }

  private offer(write: LWWWrite<T>): void {
    if (this.current === null || LWWRegister.compareWrites(write, this.current) > 0) {
      this.current = write;
    }
  }
}

function checkTimestamp(component: string, parameter: string, stamp: unknown): void {
  const s = stamp as Partial<HlcTimestamp> | null;
  if (
    typeof s !== "object" ||
    s === null ||
    !Number.isSafeInteger(s.wallNs) ||
    !Number.isSafeInteger(s.logical) ||
    (s.logical as number) < 0
  ) {
    throw new ConfigError(
      component,
      parameter,
      "an HLC timestamp { wallNs: integer ns, logical: integer >= 0 }",
      stamp,
    );
  }
}

function readState<T>(component: string, state: unknown): LWWWrite<T> | null {
  const s = state as { write?: unknown } | null;
  if (typeof s !== "object" || s === null || !("write" in s)) {
    throw new ConfigError(
      component,
      "state",
      "an LWWRegister state { write: write | null }",
      state,
    );
  }
  if (s.write === null) return null;
  const write = s.write as Partial<LWWWrite<T>>;
  if (typeof write !== "object" || !("value" in write)) {
    throw new ConfigError(component, "state.write", "{ value, timestamp, node } or null", s.write);
  }
  checkTimestamp(component, "state.write.timestamp", write.timestamp);
  const node = checkNodeId(component, "state.write.node", write.node);
  const { wallNs, logical } = write.timestamp!;
  return { value: write.value as T, timestamp: { wallNs, logical }, node };
}
