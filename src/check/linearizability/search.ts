/**
 * The Wing–Gong–Lowe search for a linearization, as Lowe's "Testing for linearizability" (2017)
 * and Porcupine implement it: the history's call and return entries in one doubly linked list
 * in history order; repeatedly take the first call entry whose operation is a legal step of the
 * model, lift its call and return out of the list and start again from the head; meeting a
 * return entry means the operation it closes could not be placed, so undo the last choice
 * (its entries go back, dancing-links style) and try the next candidate. A cache of
 * (linearized set, model state) prunes every configuration reached a second time, which is what
 * makes the search practical (Lowe's memoisation).
 *
 * Why it is fast: the list is two Int32Arrays, the linearized set a Uint32Array bitset, its
 * hash is kept up to date by XOR (Zobrist hashing) instead of being recomputed per step, and
 * the cache is an open-addressing table whose entries live in typed arrays (the bitsets of all
 * entries in one growing Uint32Array arena). The loop allocates nothing of its own; only a
 * model's step may (a number state allocates nothing).
 *
 * Indeterminate operations (`info`: they may or may not have taken effect) have a call entry
 * and no return entry: they can be linearized anywhere after their invoke, or never. The search
 * succeeds once every `ok` operation is linearized.
 */
import { wallMilliseconds } from "../../core/wallClock.js";
import type { Operation } from "../history/history.js";
import { mix32 } from "../history/values.js";
import type { Model } from "./model.js";

/** When to give up. */
export interface SearchLimits {
  /** Wall-clock instant (`wallMilliseconds()`) after which the search stops. */
  readonly deadlineMs: number;
  /** Steps (model steps tried) after which the search stops. */
  readonly maxSteps: number;
}

export type SearchOutcome =
  | {
      readonly kind: "linearizable";
      /** Indices into the operations given, in linearization order. */
      readonly order: readonly number[];
      readonly steps: number;
    }
  | { readonly kind: "not-linearizable"; readonly steps: number }
  | { readonly kind: "unknown"; readonly steps: number };

const NONE = -1;
const FULL = 0xffffffff;
/** Steps between two reads of the wall clock. */
const CLOCK_EVERY = 1024;

/**
 * Searches for a linearization of `ops` (ordered by nothing in particular: their
 * `invokeIndex` and `completeIndex` give the real-time order; an `info` operation has no
 * completion). With `collectStates`, does not stop at the first linearization but gathers the
 * distinct final states of all of them, up to that many, into `states` (and reports
 * "linearizable" if there was any).
 */
export function searchLinearization<S>(
  model: Model<S>,
  ops: readonly Operation[],
  limits: SearchLimits,
  collect?: { readonly max: number; readonly states: S[] },
): SearchOutcome {
  // The buffers are kept for the next search (a key-value history is many small ones); a
  // search started while one runs (a model whose step checks a history) gets fresh ones.
  const workspace = idle ?? new Workspace();
  idle = undefined;
  try {
    return search(model, ops, limits, collect, workspace);
  } finally {
    workspace.release();
    idle = workspace;
  }
}

function search<S>(
  model: Model<S>,
  ops: readonly Operation[],
  limits: SearchLimits,
  collect: { readonly max: number; readonly states: S[] } | undefined,
  workspace: Workspace,
): SearchOutcome {
  const n = ops.length;
  workspace.prepare(n, model as Model<unknown>);
  const head = 2 * n;
  const { next, prev, okOp, stackOp, bits } = workspace;
  const stackState = workspace.stackState as S[];
  // Entries in history order: call of op i is 2i, its return 2i + 1.
  let completed = 0;
  for (let i = 0; i < n; i++) {
    const ok = ops[i]!.status === "ok";
    okOp[i] = ok ? 1 : 0;
    if (ok) completed++;
  }
  const count = n + completed;
  const order = workspace.historyOrder(ops, count);
  let last = head;
  for (let k = 0; k < count; k++) {
    const entry = order[k]!;
    next[last] = entry;
    prev[entry] = last;
    last = entry;
  }
  next[last] = NONE;

  const words = (n + 31) >>> 5;
  const zobrist = zobristKeys(n);
  const cache = workspace.cache;
  let depth = 0;
  let linearizedOk = 0;
  let zob = 0;
  let state = model.init();
  let steps = 0;
  let fresh = true;
  let entry = next[head]!;
  // The linearized set is mostly a prefix of full words (operations are numbered by invoke,
  // and the search places them roughly in that order) and empty words after the newest: the
  // cache stores only the words in between, [low, high), so a step costs the same at the
  // 10,000th operation as at the 10th.
  let low = 0;
  let high = 0;

  for (;;) {
    if (linearizedOk === completed && fresh) {
      if (collect === undefined) {
        const linearization = new Array<number>(depth);
        for (let k = 0; k < depth; k++) linearization[k] = stackOp[k]!;
        return { kind: "linearizable", order: linearization, steps };
      }
      if (!collect.states.some((s) => model.equal(s, state))) collect.states.push(state);
      if (collect.states.length >= collect.max) return { kind: "linearizable", order: [], steps };
      fresh = false;
    }
    if (entry !== NONE && (entry & 1) === 0) {
      const i = entry >>> 1;
      if (++steps % CLOCK_EVERY === 0 || steps > limits.maxSteps) {
        if (steps > limits.maxSteps || wallMilliseconds() > limits.deadlineMs) {
          return { kind: "unknown", steps };
        }
      }
      const nextState = model.step(state, ops[i]!);
      if (nextState !== undefined) {
        const word = i >>> 5;
        const bit = 1 << (i & 31);
        bits[word]! |= bit;
        zob ^= zobrist[i]!;
        const savedLow = low;
        const savedHigh = high;
        while (low < words && bits[low] === FULL) low++;
        if (word >= high) high = word + 1;
        const key = mix32(zob ^ Math.imul(model.hash(nextState), 0x9e3779b1));
        if (cache.insert(key, bits, low, Math.max(low, high), nextState)) {
          stackOp[depth] = i;
          stackState[depth] = state;
          depth++;
          state = nextState;
          // Lift the call and the return out of the list.
          const call = 2 * i;
          next[prev[call]!] = next[call]!;
          if (next[call] !== NONE) prev[next[call]!] = prev[call]!;
          if (okOp[i] === 1) {
            const ret = call + 1;
            next[prev[ret]!] = next[ret]!;
            if (next[ret] !== NONE) prev[next[ret]!] = prev[ret]!;
            linearizedOk++;
          }
          fresh = true;
          entry = next[head]!;
          continue;
        }
        bits[word]! &= ~bit;
        zob ^= zobrist[i]!;
        low = savedLow;
        high = savedHigh;
      }
      entry = next[entry]!;
      continue;
    }
    // A return entry (its operation cannot be placed yet) or the end: undo the last choice.
    if (depth === 0) {
      return collect !== undefined && collect.states.length > 0
        ? { kind: "linearizable", order: [], steps }
        : { kind: "not-linearizable", steps };
    }
    depth--;
    const i = stackOp[depth]!;
    state = stackState[depth]!;
    const word = i >>> 5;
    bits[word]! &= ~(1 << (i & 31));
    if (word < low) low = word;
    while (high > 0 && bits[high - 1] === 0) high--;
    zob ^= zobrist[i]!;
    const call = 2 * i;
    if (okOp[i] === 1) {
      const ret = call + 1;
      next[prev[ret]!] = ret;
      if (next[ret] !== NONE) prev[next[ret]!] = ret;
      linearizedOk--;
    }
    next[prev[call]!] = call;
    if (next[call] !== NONE) prev[next[call]!] = call;
    fresh = false;
    entry = next[call]!;
  }
}

/** Zobrist keys of operations 0, 1, ...: the same for every search, so made once. */
let zobristTable = new Int32Array(0);

function zobristKeys(n: number): Int32Array {
  if (zobristTable.length < n) {
    const table = new Int32Array(Math.max(n, zobristTable.length * 2));
    table.set(zobristTable);
    for (let i = zobristTable.length; i < table.length; i++) {
      table[i] = mix32(Math.imul(i + 1, 0x9e3779b9) ^ 0x7f4a7c15);
    }
    zobristTable = table;
  }
  return zobristTable;
}

/** Largest integer a double holds exactly: the bound for packing a sort key. */
const EXACT = 2 ** 53;
/** Entries up to which an insertion sort beats the typed array's sort (a call and its setup). */
const SMALL_SORT = 32;

/** The buffers of a search, grown as needed and kept from one search to the next. */
class Workspace {
  next = new Int32Array(1);
  prev = new Int32Array(1);
  okOp = new Uint8Array(0);
  stackOp = new Int32Array(0);
  bits = new Uint32Array(1);
  private sortKeys = new Float64Array(0);
  private entries = new Int32Array(0);
  readonly stackState: unknown[] = [];
  readonly cache = new Cache();

  /** Room for `n` operations, an empty bitset and an empty cache. */
  prepare(n: number, model: Model<unknown>): void {
    if (this.okOp.length < n) {
      const size = Math.max(n, this.okOp.length * 2);
      this.next = new Int32Array(2 * size + 1);
      this.prev = new Int32Array(2 * size + 1);
      this.okOp = new Uint8Array(size);
      this.stackOp = new Int32Array(size);
      this.sortKeys = new Float64Array(2 * size);
      this.entries = new Int32Array(2 * size);
    }
    const words = Math.max(1, (n + 31) >>> 5);
    if (this.bits.length < words)
      this.bits = new Uint32Array(Math.max(words, this.bits.length * 2));
    else this.bits.fill(0, 0, words);
    this.cache.reset(n, model);
  }

  /**
   * The `count` entries (call 2i of every operation, return 2i + 1 of each ok one) in history
   * order, in the first `count` places of the array returned. Each entry's position (an invoke
   * or completion index) is its own, so a key `position * stride + entry` sorts them
   * numerically, without a comparator (an insertion sort for a few, as a key-value history's
   * parts mostly are, else the typed array's sort); a history too long to pack that way is
   * sorted with a comparator.
   */
  historyOrder(ops: readonly Operation[], count: number): Int32Array {
    const n = ops.length;
    const stride = 2 * n + 1;
    let largest = 0;
    for (let i = 0; i < n; i++) {
      const op = ops[i]!;
      if (op.invokeIndex > largest) largest = op.invokeIndex;
      if (op.status === "ok" && op.completeIndex > largest) largest = op.completeIndex;
    }
    const order = this.entries;
    if ((largest + 1) * stride < EXACT) {
      const keys = this.sortKeys;
      let k = 0;
      for (let i = 0; i < n; i++) {
        const op = ops[i]!;
        keys[k++] = op.invokeIndex * stride + 2 * i;
        if (op.status === "ok") keys[k++] = op.completeIndex * stride + 2 * i + 1;
      }
      if (count <= SMALL_SORT) {
        for (let j = 1; j < count; j++) {
          const key = keys[j]!;
          let at = j - 1;
          while (at >= 0 && keys[at]! > key) {
            keys[at + 1] = keys[at]!;
            at--;
          }
          keys[at + 1] = key;
        }
      } else {
        keys.subarray(0, count).sort();
      }
      for (let j = 0; j < count; j++) order[j] = keys[j]! % stride;
      return order;
    }
    const list: number[] = [];
    for (let i = 0; i < n; i++) {
      list.push(2 * i);
      if (ops[i]!.status === "ok") list.push(2 * i + 1);
    }
    const position = (entry: number): number => {
      const op = ops[entry >>> 1]!;
      return (entry & 1) === 0 ? op.invokeIndex : op.completeIndex;
    };
    list.sort((a, b) => position(a) - position(b));
    order.set(list);
    return order;
  }

  /** Lets go of the states the search held, so that they can be collected. */
  release(): void {
    this.stackState.length = 0;
    this.cache.release();
  }
}

/**
 * The set of configurations seen: (linearized bitset, model state), looked up by a 32-bit key
 * that mixes the bitset's Zobrist hash with the state's hash. Open addressing with linear
 * probing; entries in typed arrays, each bitset kept as its window of words that are neither
 * all ones below nor all zeros above (`low`, the words, `high`) in one growing arena. The
 * arrays are kept between searches; `reset` sizes the part in use to the search, so that a
 * small search after a large one does not clear a large table.
 */
class Cache {
  private table = new Int32Array(32);
  private mask = 31;
  private keys = new Int32Array(16);
  private lows = new Int32Array(16);
  private offsets = new Int32Array(17);
  private arena = new Uint32Array(32);
  private states: unknown[] = [];
  private size = 0;
  private model: Model<unknown> | undefined;

  /**
   * Empties the cache for a search of `operations` (it places each at least once, so it stores
   * at least that many configurations).
   */
  reset(operations: number, model: Model<unknown>): void {
    let entries = 16;
    while (entries < operations + 2) entries *= 2;
    const slots = entries * 2;
    if (this.table.length < slots) this.table = new Int32Array(slots);
    else this.table.fill(0, 0, slots);
    this.mask = slots - 1;
    if (this.keys.length < entries) {
      this.keys = new Int32Array(entries);
      this.lows = new Int32Array(entries);
      this.offsets = new Int32Array(entries + 1);
    }
    if (this.arena.length < slots) this.arena = new Uint32Array(slots);
    this.offsets[0] = 0;
    this.size = 0;
    this.model = model;
  }

  release(): void {
    this.states.length = 0;
    this.model = undefined;
  }

  /** Adds the configuration unless present; true if it was new. */
  insert(key: number, bits: Uint32Array, low: number, high: number, state: unknown): boolean {
    const table = this.table;
    const mask = this.mask;
    const arena = this.arena;
    const length = high - low;
    let slot = key & mask;
    for (;;) {
      const held = table[slot]!;
      if (held === 0) break;
      const entry = held - 1;
      if (
        this.keys[entry] === key &&
        this.lows[entry] === low &&
        this.offsets[entry + 1]! - this.offsets[entry]! === length
      ) {
        const base = this.offsets[entry]! - low;
        let same = true;
        for (let w = low; w < high; w++) {
          if (arena[base + w] !== bits[w]) {
            same = false;
            break;
          }
        }
        if (same && this.model!.equal(this.states[entry], state)) return false;
      }
      slot = (slot + 1) & mask;
    }
    const entry = this.size++;
    if (entry + 1 >= this.keys.length) this.growEntries();
    const offset = this.offsets[entry]!;
    if (offset + length > this.arena.length) this.growArena(offset + length);
    this.keys[entry] = key;
    this.lows[entry] = low;
    // A loop, not set(subarray): the window is a word or two, and a view would be an object a step.
    const into = this.arena;
    for (let w = 0; w < length; w++) into[offset + w] = bits[low + w]!;
    this.offsets[entry + 1] = offset + length;
    this.states.push(state);
    table[slot] = entry + 1;
    if (this.size * 2 > mask + 1) this.growTable();
    return true;
  }

  private growEntries(): void {
    const size = this.keys.length * 2;
    const keys = new Int32Array(size);
    keys.set(this.keys);
    this.keys = keys;
    const lows = new Int32Array(size);
    lows.set(this.lows);
    this.lows = lows;
    const offsets = new Int32Array(size + 1);
    offsets.set(this.offsets);
    this.offsets = offsets;
  }

  private growArena(needed: number): void {
    let size = this.arena.length * 2;
    while (size < needed) size *= 2;
    const arena = new Uint32Array(size);
    arena.set(this.arena);
    this.arena = arena;
  }

  private growTable(): void {
    const slots = (this.mask + 1) * 2;
    if (this.table.length < slots) this.table = new Int32Array(slots);
    else this.table.fill(0, 0, slots);
    const table = this.table;
    const mask = slots - 1;
    for (let entry = 0; entry < this.size; entry++) {
      let slot = this.keys[entry]! & mask;
      while (table[slot] !== 0) slot = (slot + 1) & mask;
      table[slot] = entry + 1;
    }
    this.mask = mask;
  }
}

let idle: Workspace | undefined = new Workspace();
