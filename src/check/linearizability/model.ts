/**
 * A sequential model: what one correct object would answer, step by step. The linearizability
 * checker asks whether the history's operations can be put in one order, consistent with real
 * time, in which every operation is a legal step of the model.
 *
 * The built-in models (`models.register()`, `kv`, `set`, `queue`, `counter`) cover Jepsen's
 * usual workloads; a model of your own implements `Model` (init, step, equal, hash, and
 * optionally partition and describe).
 */
import { HistoryError, type Operation } from "../history/history.js";
import { hashValue, showValue, valuesEqual } from "../history/values.js";

/**
 * A sequential specification. States are never `undefined` (a step returns `undefined` for an
 * operation that cannot happen in that state). States are values: a step returns a new state
 * and never changes the one it was given, since the search goes back to earlier states.
 */
export interface Model<State = unknown> {
  /** Its name, in reports. */
  readonly name: string;
  /** The state before any operation. */
  init(): State;
  /**
   * The state after `op` in `state`, or undefined if `op` cannot happen there (a read that
   * returned another value, a cas whose expected value is not the current one). For an
   * indeterminate operation (`op.status === "info"`) the output is unknown: accept any.
   */
  step(state: State, op: Operation): State | undefined;
  /** Whether two states are the same (the search remembers states it has seen). */
  equal(a: State, b: State): boolean;
  /** A 32-bit integer hash of a state, equal for equal states. */
  hash(state: State): number;
  /**
   * Splits a history into independent parts checked one by one (P-compositionality: a
   * key-value map is linearizable if each key is). Default: one part.
   */
  partition?(operations: readonly Operation[]): readonly Partition[];
  /**
   * Whether an operation never changes the state (a read): an indeterminate one is then left
   * out, since it cannot matter. Default: none is.
   */
  readOnly?(op: Operation): boolean;
  /** The operation as a timeline shows it: `write 1`, `read → 2`. */
  describeOperation?(op: Operation): string;
  /** The state as a report shows it. */
  describeState?(state: State): string;
}

/** A part of a history checked on its own: a key's operations. */
export interface Partition {
  /** What the part is (a key), shown in reports; null for the whole history. */
  readonly key: unknown;
  readonly operations: readonly Operation[];
}

/** `read → 1`, `write 1`, `cas [1 2]`, `cas [1 2] → ?` for an indeterminate one. */
export function describeOperation(op: Operation): string {
  const noInput = op.input === null || op.input === undefined;
  const input = noInput ? "" : ` ${showValue(op.input)}`;
  // An operation without arguments (a read) shows what it returned, nil included; one with
  // arguments shows a result only when it is not the arguments again (Jepsen's habit).
  const output =
    op.status === "info"
      ? " → ?"
      : noInput
        ? ` → ${showValue(op.output ?? null)}`
        : op.output === null || op.output === undefined || valuesEqual(op.output, op.input)
          ? ""
          : ` → ${showValue(op.output)}`;
  return `${op.f}${input}${output}`;
}

const READS: ReadonlySet<string> = new Set(["read", "get"]);

function isRead(op: Operation): boolean {
  return READS.has(op.f);
}

/** What a register holds: any value, null when nothing was written. */
export interface RegisterOptions {
  /** The value before any write. Default null (Jepsen's nil). */
  readonly initial?: unknown;
}

/**
 * A read/write register with compare-and-set: `read` (its result is the value), `write`
 * (value), `cas` (value `[expected, new]`: writes `new` if the register holds `expected`).
 */
export function register(options: RegisterOptions = {}): Model<unknown> {
  const initial = options.initial === undefined ? null : options.initial;
  return {
    name: "register",
    init: () => initial,
    step: registerStep,
    equal: valuesEqual,
    hash: hashValue,
    readOnly: isRead,
    describeOperation,
    describeState: showValue,
  };
}

function registerStep(state: unknown, op: Operation): unknown {
  switch (op.f) {
    case "read":
    case "get":
      if (op.status === "info") return state;
      return sameValue(state, op.output) ? state : undefined;
    case "write":
    case "put":
      return op.input;
    case "cas": {
      const args = op.input;
      if (!Array.isArray(args) || args.length !== 2) return undefined;
      return sameValue(state, args[0]) ? args[1] : undefined;
    }
    default:
      return undefined;
  }
}

/** Primitives by `===` first: the search's common case costs one compare. */
function sameValue(a: unknown, b: unknown): boolean {
  return a === b || valuesEqual(a, b);
}

/** Options of the key-value model. */
export interface KVOptions {
  /** What a key holds before its first write. Default null (a missing key reads as nil). */
  readonly initial?: unknown;
}

/**
 * A key-value map, checked key by key: `get`/`read` (result: the value), `put`/`write`,
 * `append` (strings concatenate, anything else appends to a list), `delete`, `cas`
 * (`[expected, new]`), `increment` (by the value, default 1; its result is the new number, as
 * a store's `increment` answers) and `add` (the same, its result by Jepsen's habit the amount
 * again, so not checked). The key is the operation's
 * `key`, or, for Jepsen's independent histories that carry none, the first element of a
 * `[key, value]` tuple value.
 */
export function kv(options: KVOptions = {}): Model<unknown> {
  const initial = options.initial === undefined ? null : options.initial;
  return {
    name: "kv",
    init: () => initial,
    step(state, op) {
      switch (op.f) {
        case "append": {
          const piece = op.input;
          if (typeof piece === "string" && (state === null || typeof state === "string")) {
            return (state ?? "") + piece;
          }
          return Array.isArray(state) ? [...state, piece] : state === null ? [piece] : undefined;
        }
        case "delete":
          return initial;
        case "increment":
        case "add": {
          const by = op.input === null || op.input === undefined ? 1 : op.input;
          const base = state === null ? 0 : state;
          if (typeof base !== "number" || typeof by !== "number") return undefined;
          const next = base + by;
          // A store's increment answers the new number; Jepsen's add echoes the amount.
          if (
            op.f === "increment" &&
            op.status === "ok" &&
            typeof op.output === "number" &&
            op.output !== next
          ) {
            return undefined;
          }
          return next;
        }
        default:
          return registerStep(state, op);
      }
    },
    equal: valuesEqual,
    hash: hashValue,
    partition: partitionByKey,
    readOnly: isRead,
    describeOperation,
    describeState: showValue,
  };
}

/** Splits by key; a `[key, value]` value stands for key and value when the operation has no key. */
export function partitionByKey(operations: readonly Operation[]): readonly Partition[] {
  // Strings and numbers are keys of a Map as they are (1 and "1" stay apart); other keys by
  // their JSON, in a map of their own so that no string key can collide with one.
  const byPrimitive = new Map<unknown, { key: unknown; operations: Operation[] }>();
  const byJson = new Map<unknown, { key: unknown; operations: Operation[] }>();
  const parts: { key: unknown; operations: Operation[] }[] = [];
  for (const op of operations) {
    let item = op;
    if (op.key === undefined) {
      const tuple = (Array.isArray(op.input) ? op.input : op.output) as unknown;
      if (!Array.isArray(tuple) || tuple.length !== 2) {
        throw new HistoryError(
          `${op.f} has no key: a key-value history's operations carry a key, or a [key, value] value`,
          op.invokeIndex,
        );
      }
      item = {
        ...op,
        key: tuple[0] as unknown,
        input: Array.isArray(op.input) ? op.input[1] : op.input,
        output: Array.isArray(op.output) ? op.output[1] : op.output,
      };
    }
    // Keys compare by value: 1 and "1" stay apart, [1] and [1] are one key.
    const key = item.key;
    const primitive = typeof key === "string" || (typeof key === "number" && Number.isFinite(key));
    const byKey = primitive ? byPrimitive : byJson;
    const id = primitive ? key : (JSON.stringify(key) ?? "undefined");
    let part = byKey.get(id);
    if (part === undefined) {
      part = { key, operations: [] };
      byKey.set(id, part);
      parts.push(part);
    }
    part.operations.push(item);
  }
  return parts;
}

/**
 * A set: `add` (value: the element) and `read` (result: every element, in any order). States
 * are sorted arrays of the elements' canonical forms, so equal sets are equal states.
 */
export function set(): Model<readonly string[]> {
  return {
    name: "set",
    init: () => [],
    step(state, op) {
      if (op.f === "add") {
        const element = canonical(op.input);
        const at = lowerBound(state, element);
        if (state[at] === element) return state;
        return [...state.slice(0, at), element, ...state.slice(at)];
      }
      if (op.f === "read") {
        if (op.status === "info") return state;
        if (!Array.isArray(op.output)) return undefined;
        const read = [...new Set(op.output.map(canonical))].sort();
        if (read.length !== state.length) return undefined;
        for (let i = 0; i < read.length; i++) if (read[i] !== state[i]) return undefined;
        return state;
      }
      return undefined;
    },
    equal: stringArraysEqual,
    hash: hashValue,
    readOnly: (op) => op.f === "read",
    describeOperation,
    describeState: (state) => `#{${state.join(" ")}}`,
  };
}

/**
 * A FIFO queue: `enqueue` (value: the element) and `dequeue` (result: the element at the head;
 * nil when the queue was empty).
 */
export function queue(): Model<readonly unknown[]> {
  return {
    name: "queue",
    init: () => [],
    step(state, op) {
      if (op.f === "enqueue") return [...state, op.input];
      if (op.f === "dequeue") {
        if (op.status === "info") return state.length === 0 ? state : state.slice(1);
        if (state.length === 0) return op.output === null ? state : undefined;
        return sameValue(state[0], op.output) ? state.slice(1) : undefined;
      }
      return undefined;
    },
    equal: (a, b) => valuesEqual(a, b),
    hash: hashValue,
    describeOperation,
    describeState: showValue,
  };
}

/**
 * A counter: `add`/`increment` (value: the amount, default 1) and `read` (result: the count).
 * Starts at 0.
 */
export function counter(): Model<number> {
  return {
    name: "counter",
    init: () => 0,
    step(state, op) {
      if (op.f === "add" || op.f === "increment") {
        const by = op.input === null || op.input === undefined ? 1 : op.input;
        return typeof by === "number" ? state + by : undefined;
      }
      if (op.f === "read") {
        if (op.status === "info") return state;
        return op.output === state ? state : undefined;
      }
      return undefined;
    },
    equal: (a, b) => a === b,
    hash: hashValue,
    readOnly: isRead,
    describeOperation,
    describeState: String,
  };
}

/**
 * An element's form as a set state holds it: one string per distinct value, so strings are
 * quoted (1 and "1" stay apart) and maps list their keys sorted (key order does not matter).
 */
function canonical(value: unknown): string {
  if (typeof value === "string") return JSON.stringify(value);
  if (Array.isArray(value)) return `[${value.map(canonical).join(" ")}]`;
  if (value !== null && typeof value === "object") {
    const keys = Object.keys(value).sort();
    return `{${keys
      .map((key) => `${JSON.stringify(key)} ${canonical((value as Record<string, unknown>)[key])}`)
      .join(", ")}}`;
  }
  return showValue(value);
}

function lowerBound(sorted: readonly string[], value: string): number {
  let lo = 0;
  let hi = sorted.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (sorted[mid]! < value) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

function stringArraysEqual(a: readonly string[], b: readonly string[]): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}

/** The built-in models by name, for `distsim check-history --model`. */
export const models = { register, kv, set, queue, counter } as const;

/** The names of the built-in models. */
export type ModelName = keyof typeof models;
