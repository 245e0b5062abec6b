/**
 * Goal: the linearizability checker's verdict is right on every small history, linearizable or
 * not, and its explanation's "shortest failing prefix" is the shortest.
 * Method: an independent brute-force checker (every order of the ok operations and of any
 * subset of the indeterminate ones that respects real time, each replayed on a sequential
 * model written here from the documented semantics, kv as one map rather than key by key) and
 * fast-check over random small concurrent histories (at most 7 operations, results drawn at
 * random, so most are not linearizable); the two must agree on each. The prefix is checked by
 * cutting the history just before and at `prefixEnd` and asking the brute force again.
 */
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import type { HistoryEvent } from "../../src/check/history/history.js";
import { checkLinearizability } from "../../src/check/linearizability/check.js";
import { type Model, models } from "../../src/check/linearizability/model.js";
import { formatLinearizability } from "../../src/check/linearizability/timeline.js";
import { type GeneratedModel, linearizableHistory } from "../support/linearizableHistories.js";

type Kind = "register" | "kv" | "set" | "queue" | "counter";

interface BruteOp {
  readonly f: string;
  readonly key: unknown;
  readonly input: unknown;
  readonly output: unknown;
  readonly ok: boolean;
  readonly invoke: number;
  readonly complete: number;
}

const same = (a: unknown, b: unknown): boolean => JSON.stringify(a) === JSON.stringify(b);

/** One sequential step of the documented semantics; undefined when it cannot happen. */
function bruteStep(kind: Kind, state: unknown, op: BruteOp): unknown {
  switch (kind) {
    case "register":
      return valueStep(state, op);
    case "kv": {
      const map = state as Record<string, unknown>;
      const key = JSON.stringify(op.key);
      const next = valueStep(map[key] ?? null, op);
      return next === undefined ? undefined : { ...map, [key]: next };
    }
    case "set": {
      const elements = state as string[];
      if (op.f === "add") {
        const e = JSON.stringify(op.input);
        return elements.includes(e) ? elements : [...elements, e].sort();
      }
      if (!op.ok) return elements;
      const read = [...new Set((op.output as unknown[]).map((v) => JSON.stringify(v)))].sort();
      return same(read, elements) ? elements : undefined;
    }
    case "queue": {
      const items = state as unknown[];
      if (op.f === "enqueue") return [...items, op.input];
      if (!op.ok) return items.slice(1);
      if (items.length === 0) return op.output === null ? items : undefined;
      return same(items[0], op.output) ? items.slice(1) : undefined;
    }
    case "counter": {
      if (op.f === "add") return (state as number) + (op.input as number);
      if (!op.ok) return state;
      return op.output === state ? state : undefined;
    }
  }
}

function valueStep(state: unknown, op: BruteOp): unknown {
  switch (op.f) {
    case "read":
    case "get":
      return !op.ok || same(op.output, state) ? state : undefined;
    case "write":
    case "put":
      return op.input;
    case "cas": {
      const [expected, next] = op.input as [unknown, unknown];
      return same(state, expected) ? next : undefined;
    }
    case "append":
      return typeof state === "string" || state === null
        ? `${(state as string | null) ?? ""}${op.input as string}`
        : undefined;
    case "delete":
      return null;
    default:
      throw new Error(`no ${op.f}`);
  }
}

/** Pairs by process, independently of `pairOperations`: fail left out, open and info indeterminate. */
function bruteOps(history: readonly HistoryEvent[]): BruteOp[] {
  const open = new Map<unknown, number>();
  const ops: (BruteOp & { fail?: boolean })[] = [];
  history.forEach((event, index) => {
    if (event.type === "invoke") {
      open.set(event.process, ops.length);
      ops.push({
        f: event.f,
        key: event.key,
        input: event.value,
        output: undefined,
        ok: false,
        invoke: index,
        complete: Number.POSITIVE_INFINITY,
      });
      return;
    }
    const at = open.get(event.process)!;
    open.delete(event.process);
    const op = ops[at]!;
    if (event.type === "fail") ops[at] = { ...op, fail: true };
    else if (event.type === "ok")
      ops[at] = { ...op, ok: true, output: event.value, complete: index };
  });
  return ops.filter((op) => op.fail !== true);
}

/** Whether some order of the ok operations and any subset of the others fits the model and real time. */
function bruteLinearizable(kind: Kind, history: readonly HistoryEvent[]): boolean {
  const ops = bruteOps(history);
  const initial =
    kind === "kv" ? {} : kind === "set" || kind === "queue" ? [] : kind === "counter" ? 0 : null;
  const placed = ops.map(() => false);
  const search = (state: unknown): boolean => {
    if (ops.every((op, i) => !op.ok || placed[i])) return true;
    for (let c = 0; c < ops.length; c++) {
      if (placed[c]) continue;
      // Every ok operation that completed before c was invoked must come first.
      if (ops.some((op, i) => op.ok && !placed[i] && op.complete < ops[c]!.invoke)) continue;
      const next = bruteStep(kind, state, ops[c]!);
      if (next === undefined) continue;
      placed[c] = true;
      const found = search(next);
      placed[c] = false;
      if (found) return true;
    }
    return false;
  };
  return search(initial);
}

/**
 * The same search with memoisation on (placed set, state) as strings: exact and slow, for
 * histories too long to enumerate but of few concurrent processes.
 */
function memoLinearizable(kind: Kind, history: readonly HistoryEvent[]): boolean {
  const ops = bruteOps(history);
  const initial =
    kind === "kv" ? {} : kind === "set" || kind === "queue" ? [] : kind === "counter" ? 0 : null;
  const placed = ops.map(() => false);
  const seen = new Set<string>();
  const search = (state: unknown): boolean => {
    if (ops.every((op, i) => !op.ok || placed[i])) return true;
    const key = `${placed.map((p) => (p ? 1 : 0)).join("")}|${JSON.stringify(state)}`;
    if (seen.has(key)) return false;
    seen.add(key);
    // The earliest completion among unplaced ok operations bounds what may go next.
    let bound = Number.POSITIVE_INFINITY;
    ops.forEach((op, i) => {
      if (op.ok && !placed[i]) bound = Math.min(bound, op.complete);
    });
    for (let c = 0; c < ops.length; c++) {
      if (placed[c] || ops[c]!.invoke > bound) continue;
      const next = bruteStep(kind, state, ops[c]!);
      if (next === undefined) continue;
      placed[c] = true;
      const found = search(next);
      placed[c] = false;
      if (found) return true;
    }
    return false;
  };
  return search(initial);
}

/**
 * The history cut after event `end`: operations completed later are still open, except those
 * that later fail (the whole history says they never took effect).
 */
function cut(history: readonly HistoryEvent[], end: number): HistoryEvent[] {
  const failing = new Set<number>();
  const open = new Map<unknown, number>();
  history.forEach((event, index) => {
    if (event.type === "invoke") open.set(event.process, index);
    else if (event.type === "fail" && index > end) failing.add(open.get(event.process)!);
  });
  return history.slice(0, end + 1).filter((_, index) => !failing.has(index));
}

interface Action {
  readonly process: number;
  readonly roll: number;
  readonly a: number;
  readonly b: number;
}

const NIL_12 = [null, 1, 2];
const STRINGS = [null, "a", "b", "ab", "ba", "aa"];

/** What process `p` invokes, from two rolls: [f, value, key]. */
function invocation(kind: Kind, a: number, b: number): [string, unknown, unknown] {
  switch (kind) {
    case "register": {
      const f = ["read", "write", "cas"][a % 3]!;
      return [
        f,
        f === "read" ? null : f === "write" ? 1 + (b % 2) : [NIL_12[b % 3], NIL_12[(b >> 2) % 3]],
        undefined,
      ];
    }
    case "kv": {
      const key = ["x", "y"][b % 2];
      const f = ["get", "put", "append", "cas", "delete"][a % 5]!;
      const v = ["a", "b"][(b >> 1) % 2];
      const value =
        f === "get" || f === "delete" ? null : f === "cas" ? [STRINGS[(b >> 2) % 3], v] : v;
      return [f, value, key];
    }
    case "set":
      return a % 2 === 0 ? ["read", null, undefined] : ["add", 1 + (b % 3), undefined];
    case "queue":
      return a % 2 === 0 ? ["dequeue", null, undefined] : ["enqueue", 1 + (b % 2), undefined];
    case "counter":
      return a % 2 === 0 ? ["read", null, undefined] : ["add", 1 + (b % 2), undefined];
  }
}

/** What an ok returns, drawn at random so that many histories are wrong. */
function result(kind: Kind, f: string, input: unknown, c: number): unknown {
  switch (kind) {
    case "register":
      return f === "read" ? NIL_12[c % 3] : input;
    case "kv":
      return f === "get" ? STRINGS[c % STRINGS.length] : input;
    case "set":
      return f === "read" ? [[], [1], [2], [1, 2], [1, 3], [1, 2, 3], [3, 1]][c % 7] : input;
    case "queue":
      return f === "dequeue" ? NIL_12[c % 3] : input;
    case "counter":
      return f === "read" ? c % 5 : input;
  }
}

/**
 * A history from random actions: a process with no open operation invokes one (at most
 * `maxOps`), one with an open operation completes it ok, info or fail. After an info the
 * process goes on under a new id (Jepsen's habit) or, sometimes, the same one.
 */
function historyFrom(kind: Kind, actions: readonly Action[], maxOps: number): HistoryEvent[] {
  const events: HistoryEvent[] = [];
  const open = new Map<number, { f: string; value: unknown; key: unknown; id: number }>();
  const ids = [0, 1, 2, 3];
  let invoked = 0;
  for (const { process: p, roll, a, b } of actions) {
    const id = ids[p]!;
    const current = open.get(p);
    const keyed = (key: unknown) => (key === undefined ? {} : { key });
    if (current === undefined) {
      if (invoked >= maxOps) continue;
      invoked++;
      const [f, value, key] = invocation(kind, a, b);
      open.set(p, { f, value, key, id });
      events.push({ process: id, type: "invoke", f, value, ...keyed(key) });
      continue;
    }
    open.delete(p);
    const type = roll < 6 ? "ok" : roll < 8 ? "info" : "fail";
    const value = type === "ok" ? result(kind, current.f, current.value, a + b) : current.value;
    events.push({ process: current.id, type, f: current.f, value, ...keyed(current.key) });
    if (type === "info" && roll === 6) ids[p] = id + 4;
  }
  return events;
}

const actions = fc.array(
  fc.record({
    process: fc.integer({ min: 0, max: 3 }),
    roll: fc.integer({ min: 0, max: 9 }),
    a: fc.integer({ min: 0, max: 63 }),
    b: fc.integer({ min: 0, max: 63 }),
  }),
  { maxLength: 18 },
);

const KINDS: readonly Kind[] = ["register", "kv", "set", "queue", "counter"];

describe("the checker agrees with a brute-force checker", () => {
  for (const kind of KINDS) {
    it(`on random small histories: ${kind}`, () => {
      const verdicts = { linearizable: 0, "not-linearizable": 0 };
      fc.assert(
        fc.property(actions, (acts) => {
          const history = historyFrom(kind, acts, 7);
          const expected = bruteLinearizable(kind, history);
          const model = models[kind]() as Model<unknown>;
          const result = checkLinearizability(history, model);
          expect(result.verdict, JSON.stringify(history)).toBe(
            expected ? "linearizable" : "not-linearizable",
          );
          // Every state hashing alike must not change a verdict: the cache compares on a hit.
          const colliding = checkLinearizability(history, { ...model, hash: () => 7 });
          expect(colliding.verdict, JSON.stringify(history)).toBe(result.verdict);
          verdicts[result.verdict as keyof typeof verdicts]++;
          if (result.verdict !== "not-linearizable") return;
          // The explanation's prefix is the shortest: cut before it the history (every key
          // of it) passes, cut at it the failing key fails.
          const failure = result.failure!;
          const explained = formatLinearizability(result);
          expect(bruteLinearizable(kind, cut(history, failure.prefixEnd - 1)), explained).toBe(
            true,
          );
          const ofKey =
            kind === "kv"
              ? history.filter((e) => JSON.stringify(e.key) === JSON.stringify(failure.key))
              : history;
          const end = ofKey.indexOf(history[failure.prefixEnd]!);
          expect(bruteLinearizable(kind, cut(ofKey, end)), explained).toBe(false);
        }),
        { numRuns: Number(process.env.ORACLE_RUNS ?? 1500) },
      );
      // Both verdicts occur often enough for the comparison to mean something.
      expect(verdicts.linearizable).toBeGreaterThan(100);
      expect(verdicts["not-linearizable"]).toBeGreaterThan(100);
    });
  }
});

/** A read (or dequeue) result swapped for another, so that the history is often wrong late. */
function corrupt(kind: Kind, history: HistoryEvent[], at: number, choice: number): HistoryEvent[] {
  const reads = history
    .map((event, index) => ({ event, index }))
    .filter(({ event }) => event.type === "ok" && /^(read|get|dequeue)$/.test(event.f));
  if (reads.length === 0) return history;
  const { event, index } = reads[at % reads.length]!;
  const donor = reads[choice % reads.length]!.event.value;
  const value = kind === "counter" && donor === event.value ? (event.value as number) + 1 : donor;
  const copy = [...history];
  copy[index] = { ...event, value };
  return copy;
}

describe("the checker agrees with a memoised reference on longer histories", () => {
  // Past 32 operations the linearized set spans several words of the bitset and the cache
  // stores windows of it: this is where a slip there would show.
  for (const kind of KINDS) {
    it(`${kind}: 30 operations or more, 3 clients, a result swapped half the time`, () => {
      const verdicts = { linearizable: 0, "not-linearizable": 0 };
      fc.assert(
        fc.property(
          fc.integer({ min: 1, max: 2 ** 31 - 1 }),
          fc.integer({ min: 30, max: kind === "queue" ? 34 : kind === "kv" ? 60 : 150 }),
          fc.boolean(),
          fc.nat(),
          fc.nat(),
          (seed, operations, swap, at, choice) => {
            let history = linearizableHistory({
              model: kind as GeneratedModel,
              clients: 3,
              operations,
              seed,
              keys: 2,
              infoRate: kind === "register" || kind === "kv" ? 0.05 : 0,
            });
            if (swap) history = corrupt(kind, history, at, choice);
            const expected = memoLinearizable(kind, history);
            const result = checkLinearizability(history, models[kind]() as Model<unknown>);
            expect(result.verdict, JSON.stringify(history)).toBe(
              expected ? "linearizable" : "not-linearizable",
            );
            verdicts[result.verdict as keyof typeof verdicts]++;
          },
        ),
        { numRuns: Number(process.env.ORACLE_RUNS ?? 1500) / 10 },
      );
      expect(verdicts.linearizable).toBeGreaterThan(20);
      expect(verdicts["not-linearizable"]).toBeGreaterThan(10);
    });
  }
});
