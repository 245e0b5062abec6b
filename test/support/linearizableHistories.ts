/**
 * Histories that are linearizable by construction, for the checker's property test and its
 * benchmark: clients issue operations with random durations; each operation takes effect on one
 * sequential object at a random instant strictly inside its interval (its linearization
 * point), in the order of those instants, and reports what the object answered. Some
 * operations end indeterminate (`info`), half of them applied and half not; some never
 * complete. A cas whose expected value does not match fails (Jepsen's `fail`).
 */
import type { HistoryEvent } from "../../src/check/history/history.js";

export type GeneratedModel = "register" | "kv" | "set" | "queue" | "counter";

export interface GeneratorOptions {
  readonly model: GeneratedModel;
  readonly clients: number;
  readonly operations: number;
  readonly seed: number;
  /** Keys of a kv history. Default 1. */
  readonly keys?: number;
  /** Share of operations that end indeterminate. Default 0. */
  readonly infoRate?: number;
  /** Largest operation duration, in time units (1 unit = 1 µs). Default 100. */
  readonly maxDuration?: number;
  /** Largest pause between a client's operations. Default 20. */
  readonly maxGap?: number;
}

/** A small deterministic generator (mulberry32): the tests choose its seed. */
function random(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) | 0;
    let t = Math.imul(a ^ (a >>> 15), 1 | a);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

interface Planned {
  process: number;
  f: string;
  key: string | undefined;
  input: unknown;
  invoke: number;
  point: number;
  complete: number;
  /** "ok", "fail", "info" (applied or not), "open" (never completes; applied or not). */
  ending: "ok" | "info" | "open";
  applied: boolean;
  output: unknown;
  failed: boolean;
}

export function linearizableHistory(options: GeneratorOptions): HistoryEvent[] {
  const rnd = random(options.seed);
  const int = (n: number) => Math.floor(rnd() * n);
  const maxDuration = options.maxDuration ?? 100;
  const maxGap = options.maxGap ?? 20;
  const infoRate = options.infoRate ?? 0;
  const keys = options.keys ?? 1;
  const clock = new Array<number>(options.clients).fill(0);
  const planned: Planned[] = [];
  let unique = 0;
  for (let n = 0; n < options.operations; n++) {
    const process = n % options.clients;
    const invoke = clock[process]! + 1 + int(maxGap);
    const duration = 2 + int(maxDuration);
    const complete = invoke + duration;
    const point = invoke + 0.5 + rnd() * (duration - 1);
    const indeterminate = rnd() < infoRate;
    const ending = indeterminate ? (rnd() < 0.8 ? "info" : "open") : "ok";
    const { f, input } = chooseOperation(options.model, int, () => unique++);
    planned.push({
      process,
      f,
      key: options.model === "kv" ? String(int(keys)) : undefined,
      input,
      invoke,
      point,
      complete,
      ending,
      applied: !indeterminate || rnd() < 0.5,
      output: null,
      failed: false,
    });
    // An open operation never completes: its client carries on as a new process would.
    clock[process] = complete;
  }
  const byPoint = [...planned].sort((a, b) => a.point - b.point);
  const object = new SequentialObject(options.model);
  for (const op of byPoint) {
    if (!op.applied) continue;
    const answer = object.apply(op.f, op.key, op.input);
    op.output = answer.output;
    op.failed = answer.failed;
  }
  type Timed = { time: number; order: number; event: HistoryEvent };
  const events: Timed[] = [];
  planned.forEach((op, i) => {
    const base = {
      process: op.process,
      f: op.f,
      ...(op.key === undefined ? {} : { key: op.key }),
    };
    events.push({
      time: op.invoke,
      order: 1,
      event: { type: "invoke", ...base, value: op.input, time: op.invoke * 1000 },
    });
    if (op.ending === "open") return;
    const type = op.ending === "info" ? "info" : op.failed ? "fail" : "ok";
    const value =
      type === "ok" && isRead(op.f)
        ? op.output
        : type === "ok" && op.f === "dequeue"
          ? op.output
          : op.input;
    events.push({
      time: op.complete,
      order: 0,
      event: { type, ...base, value, time: op.complete * 1000 },
    });
    void i;
  });
  // Completions before invokes at one instant: both orders are consistent with the points.
  events.sort((a, b) => a.time - b.time || a.order - b.order);
  // Processes that left an operation open never invoke again under the same number.
  return renumberAfterOpen(events.map((e) => e.event));
}

function isRead(f: string): boolean {
  return f === "read" || f === "get";
}

function chooseOperation(
  model: GeneratedModel,
  int: (n: number) => number,
  next: () => number,
): { f: string; input: unknown } {
  const dice = int(10);
  switch (model) {
    case "register":
      if (dice < 4) return { f: "read", input: null };
      if (dice < 7) return { f: "write", input: int(5) };
      return { f: "cas", input: [int(5), int(5)] };
    case "kv":
      if (dice < 4) return { f: "get", input: null };
      if (dice < 6) return { f: "put", input: `v${next()}` };
      return { f: "append", input: `x${next()}y` };
    case "set":
      return dice < 3 ? { f: "read", input: null } : { f: "add", input: next() };
    case "queue":
      return dice < 5 ? { f: "enqueue", input: next() } : { f: "dequeue", input: null };
    case "counter":
      return dice < 4 ? { f: "read", input: null } : { f: "add", input: 1 + int(3) };
  }
}

class SequentialObject {
  private readonly values = new Map<string, unknown>();
  private readonly elements: unknown[] = [];
  constructor(private readonly model: GeneratedModel) {}

  apply(f: string, key: string | undefined, input: unknown): { output: unknown; failed: boolean } {
    const k = key ?? "";
    const current = this.values.has(k) ? this.values.get(k) : this.model === "counter" ? 0 : null;
    switch (f) {
      case "read":
      case "get":
        if (this.model === "set") return { output: [...this.elements].reverse(), failed: false };
        return { output: current, failed: false };
      case "write":
      case "put":
        this.values.set(k, input);
        return { output: input, failed: false };
      case "cas": {
        const [expected, next] = input as [unknown, unknown];
        if (current !== expected) return { output: null, failed: true };
        this.values.set(k, next);
        return { output: input, failed: false };
      }
      case "append":
        this.values.set(k, ((current as string | null) ?? "") + (input as string));
        return { output: input, failed: false };
      case "add":
        if (this.model === "set") {
          this.elements.push(input);
          return { output: input, failed: false };
        }
        this.values.set(k, (current as number) + (input as number));
        return { output: input, failed: false };
      case "enqueue":
        this.elements.push(input);
        return { output: input, failed: false };
      case "dequeue":
        return { output: this.elements.length === 0 ? null : this.elements.shift(), failed: false };
      default:
        throw new Error(`unknown operation ${f}`);
    }
  }
}

/**
 * Jepsen gives a client a new process number after an operation it never heard back from;
 * the pairing requires it too (a process has one operation open at a time).
 */
function renumberAfterOpen(events: HistoryEvent[]): HistoryEvent[] {
  const current = new Map<number | string, number | string>();
  const open = new Map<number | string, boolean>();
  let fresh = 1_000_000;
  return events.map((event) => {
    const base = event.process;
    let process = current.get(base) ?? base;
    if (event.type === "invoke") {
      if (open.get(process) === true) {
        process = fresh++;
        current.set(base, process);
      }
      open.set(process, true);
    } else {
      open.set(process, false);
    }
    return { ...event, process };
  });
}
