/**
 * Histories: what clients asked of a system and what they were told, in the order it happened.
 * A checker reads them to decide whether the system behaved like one sequential object.
 *
 * The vocabulary is Jepsen's, so its histories can be checked here and ours there: each
 * operation is an `invoke` event and later one completion, `ok` (it happened, with this result),
 * `fail` (it certainly did not happen) or `info` (indeterminate: a timeout, a crash; it may or
 * may not have taken effect, and its result is unknown). An invoke with no completion at all is
 * indeterminate too.
 */
import { DistsimError } from "../../errors/errors.js";

/** The four event types of a history. */
export type EventType = "invoke" | "ok" | "fail" | "info";

/** A process: a client issuing one operation at a time (Jepsen numbers them). */
export type ProcessId = number | string;

/** One line of a history. */
export interface HistoryEvent {
  readonly type: EventType;
  readonly process: ProcessId;
  /** The operation's name: "read", "write", "cas", "get", "put", "append", "add", ... */
  readonly f: string;
  /** The key an operation of a key-value history touches; absent for a single object. */
  readonly key?: unknown;
  /**
   * On an invoke, the arguments (a write's value, a cas's `[expected, new]`); on an ok, the
   * result (a read's value; for a write, by Jepsen's habit, the value again). Null for none.
   */
  readonly value: unknown;
  /** Simulated (or, for imported histories, recorded) time in nanoseconds, when known. */
  readonly time?: number;
  /** Why a `fail` or `info` ended the operation ("timeout", "unavailable: ..."). */
  readonly error?: string;
}

/** A history: its events in the order they happened. */
export type History = readonly HistoryEvent[];

/** Whether a completed operation is known to have taken effect (ok) or may have (info). */
export type OperationStatus = "ok" | "info";

/**
 * One operation, its invoke paired with its completion: what a checker works on. `fail`ed
 * operations never took effect and are left out.
 */
export interface Operation {
  /** Its number among the history's operations, in invoke order (0, 1, ...). */
  readonly id: number;
  readonly process: ProcessId;
  readonly f: string;
  readonly key?: unknown;
  /** The invoke's value: the arguments. */
  readonly input: unknown;
  /** The ok's value: the result. Undefined for an indeterminate operation (unknown). */
  readonly output: unknown;
  readonly status: OperationStatus;
  /** Position of the invoke in the history. */
  readonly invokeIndex: number;
  /**
   * Position of the completion in the history; `Infinity` for an indeterminate operation,
   * which may take effect at any time after its invoke.
   */
  readonly completeIndex: number;
  /** Time of the invoke and of the completion in nanoseconds, when the history has them. */
  readonly invokeTime?: number;
  readonly completeTime?: number;
  /** The completion's error, for an info. */
  readonly error?: string;
}

/** A history that does not make sense: a completion without an invoke, a process that overlaps itself. */
export class HistoryError extends DistsimError {
  override name = "HistoryError";
  constructor(
    message: string,
    /** Position of the event at fault. */
    readonly index: number,
  ) {
    super(`history event ${index}: ${message}`);
  }
}

/** The operations of a history, paired, with what was left out. */
export interface PairedHistory {
  /** Operations that completed ok or may have taken effect (info, or never completed). */
  readonly operations: readonly Operation[];
  /** Operations that completed with `fail`: certainly not applied. */
  readonly failed: number;
}

/**
 * Pairs each invoke with its process's next completion. Throws `HistoryError` for a completion
 * with no open invoke, a completion whose `f` differs from its invoke's, or an invoke while the
 * same process still has one open.
 */
export function pairOperations(history: History): PairedHistory {
  // Parallel arrays, one slot per invoke: this runs on every check, over every event.
  const open = new Map<ProcessId, number>();
  const invokeAt: number[] = [];
  const completeAt: number[] = [];
  for (let index = 0; index < history.length; index++) {
    const event = history[index]!;
    checkEvent(event, index);
    if (event.type === "invoke") {
      const already = open.get(event.process);
      if (already !== undefined) {
        throw new HistoryError(
          `process ${String(event.process)} invokes ${event.f} while its operation at event ${
            invokeAt[already]
          } is still open (a process issues one operation at a time)`,
          index,
        );
      }
      open.set(event.process, invokeAt.length);
      invokeAt.push(index);
      completeAt.push(-1);
      continue;
    }
    const at = open.get(event.process);
    if (at === undefined) {
      throw new HistoryError(
        `process ${String(event.process)} completes ${event.f} (${event.type}) with no open invoke`,
        index,
      );
    }
    const invoked = history[invokeAt[at]!]!;
    if (invoked.f !== event.f) {
      throw new HistoryError(
        `process ${String(event.process)} completes ${event.f} but invoked ${invoked.f}`,
        index,
      );
    }
    open.delete(event.process);
    completeAt[at] = index;
  }
  const operations: Operation[] = [];
  let failed = 0;
  for (let i = 0; i < invokeAt.length; i++) {
    const invokeIndex = invokeAt[i]!;
    const event = history[invokeIndex]!;
    const completion = completeAt[i]! < 0 ? undefined : history[completeAt[i]!]!;
    if (completion?.type === "fail") {
      failed++;
      continue;
    }
    const ok = completion?.type === "ok";
    const key = event.key !== undefined ? event.key : completion?.key;
    const id = operations.length;
    const input = event.value;
    const output = ok ? completion!.value : undefined;
    const status = ok ? "ok" : "info";
    const completeIndex = ok ? completeAt[i]! : Number.POSITIVE_INFINITY;
    // Two literals rather than a spread: the fields keep their order, and no object is copied.
    const op: Mutable<Operation> =
      key === undefined
        ? {
            id,
            process: event.process,
            f: event.f,
            input,
            output,
            status,
            invokeIndex,
            completeIndex,
          }
        : {
            id,
            process: event.process,
            f: event.f,
            key,
            input,
            output,
            status,
            invokeIndex,
            completeIndex,
          };
    if (event.time !== undefined) op.invokeTime = event.time;
    if (completion?.time !== undefined) op.completeTime = completion.time;
    if (completion?.error !== undefined) op.error = completion.error;
    operations.push(op);
  }
  return { operations, failed };
}

type Mutable<T> = { -readonly [K in keyof T]: T[K] };

const TYPES: ReadonlySet<string> = new Set(["invoke", "ok", "fail", "info"]);

function checkEvent(event: HistoryEvent, index: number): void {
  if (event === null || typeof event !== "object") {
    throw new HistoryError(`an event must be an object; given ${String(event)}`, index);
  }
  if (!TYPES.has(event.type)) {
    throw new HistoryError(
      `type must be invoke, ok, fail or info; given ${JSON.stringify(event.type)}`,
      index,
    );
  }
  const process = event.process;
  if (typeof process !== "string" && !(typeof process === "number" && Number.isFinite(process))) {
    throw new HistoryError(
      `process must be a number or a string; given ${JSON.stringify(process)}`,
      index,
    );
  }
  if (typeof event.f !== "string" || event.f === "") {
    throw new HistoryError(
      `f (the operation's name) must be a non-empty string; given ${JSON.stringify(event.f)}`,
      index,
    );
  }
}
