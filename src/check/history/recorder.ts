/**
 * `HistoryRecorder`: writes the history of what clients asked and were told, at simulated
 * time, while a model runs. Wrap any operation a process performs (`yield* history.record(...)`),
 * a client (`history.client(...)`: the library's `Client` or one of your own protocol), or a
 * store of the store family (`history.store(...)`): each call becomes an invoke and then an
 * ok with its result, a fail (certainly not applied) or an info (a timeout or a crash: it may
 * have been applied).
 *
 * Recording costs nothing where it is not used: it is a wrapper, not a hook in the engine.
 */
import { SimFuture } from "../../core/future.js";
import type { Yieldable } from "../../core/process.js";
import type { Simulation } from "../../core/simulation.js";
import { RemoteError } from "../../errors/errors.js";
import type { History, HistoryEvent, ProcessId } from "./history.js";

/** What is being asked: the operation's name, its key (if any) and its arguments. */
export interface OperationCall {
  /** The process (client) issuing it; one operation at a time per process. */
  readonly process: ProcessId;
  readonly f: string;
  readonly key?: unknown;
  /** The arguments; null for none (a read). Default null. */
  readonly value?: unknown;
}

/** How a thrown error ends an operation: `fail` (certainly not applied) or `info` (maybe). */
export type ErrorOutcome = "fail" | "info";

/** Options of `record`. */
export interface RecordOptions<T> {
  /**
   * The ok event's value from the operation's result. Default: the result itself for an
   * operation whose arguments are null (a read), else the arguments (Jepsen writes a write's
   * value again on its ok), so a store's version number does not become the written value.
   */
  readonly output?: (result: T) => unknown;
  /**
   * How an error ends the operation. Default: a refusal (`RemoteError`) of a read (`read`,
   * `get`) is a `fail`
   * (it changed nothing either way); everything else, timeouts first, is `info`, since the
   * operation may have been applied before the answer was lost. Return "fail" only for errors
   * that prove the operation was not applied.
   */
  readonly classify?: (error: unknown, call: OperationCall) => ErrorOutcome;
}

/** A client that issues requests from a process, as `Client` and `PooledClient` do. */
export interface IssuingClient<Req, Res> {
  issue(request: Req): Generator<Yieldable, Res, unknown>;
}

/** Options of `history.client(...)`. */
export interface ClientRecordingOptions<Req, Res> {
  /** The process this wrapper records as. */
  readonly process: ProcessId;
  /** What a request asks: its operation name, key and arguments. */
  readonly describe: (request: Req) => Omit<OperationCall, "process">;
  /** The ok event's value from the response (default: see `RecordOptions.output`). */
  readonly output?: (response: Res, request: Req) => unknown;
  readonly classify?: (error: unknown, call: OperationCall) => ErrorOutcome;
}

/** A store that answers the key-value protocol from a process (every store of the store family). */
export interface RecordableStore<V> {
  get(key: string): Generator<Yieldable, V | undefined, unknown>;
  put(key: string, value: V): Generator<Yieldable, number, unknown>;
  delete(key: string): Generator<Yieldable, boolean, unknown>;
  increment(key: string, by?: number): Generator<Yieldable, number, unknown>;
}

/** Options of `history.store(...)`. */
export interface StoreRecordingOptions {
  /** The process this wrapper records as. */
  readonly process: ProcessId;
  readonly classify?: (error: unknown, call: OperationCall) => ErrorOutcome;
}

/** A store's process API, recording every operation (`get`, `put`, `delete`, `increment`). */
export interface RecordingStore<V> {
  get(key: string): Generator<Yieldable, V | undefined, unknown>;
  put(key: string, value: V): Generator<Yieldable, number, unknown>;
  delete(key: string): Generator<Yieldable, boolean, unknown>;
  increment(key: string, by?: number): Generator<Yieldable, number, unknown>;
}

/** The default: a read's refusal is a fail, anything else may have been applied. */
export function defaultClassify(error: unknown, call: OperationCall): ErrorOutcome {
  return error instanceof RemoteError && READS.has(call.f) ? "fail" : "info";
}

const READS: ReadonlySet<string> = new Set(["read", "get"]);

function errorText(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

export class HistoryRecorder {
  private readonly recorded: HistoryEvent[] = [];

  constructor(private readonly sim: Simulation) {}

  /** The events so far, in the order they happened. */
  get history(): History {
    return this.recorded;
  }

  /** Writes an event now: for protocols the wrappers below do not fit. */
  add(event: Omit<HistoryEvent, "time">): void {
    this.recorded.push({ ...event, time: this.sim.nowNs });
  }

  /**
   * Runs `operation` (a generator, as `store.get(key)` or `this.call(...)` give, or a future),
   * recording its invoke now and its completion when it ends; returns its result or rethrows
   * its error. `const v = yield* history.record({ process: 0, f: "read", key: "x" }, store.get("x"))`.
   */
  *record<T>(
    call: OperationCall,
    operation: Generator<Yieldable, T, unknown> | SimFuture<T>,
    options: RecordOptions<T> = {},
  ): Generator<Yieldable, T, unknown> {
    const value = call.value === undefined ? null : call.value;
    const key = call.key === undefined ? {} : { key: call.key };
    this.add({ type: "invoke", process: call.process, f: call.f, ...key, value });
    let result: T;
    let ended = false;
    try {
      result = operation instanceof SimFuture ? ((yield operation) as T) : yield* operation;
      ended = true;
    } catch (error) {
      ended = true;
      const outcome = (options.classify ?? defaultClassify)(error, call);
      this.add({
        type: outcome,
        process: call.process,
        f: call.f,
        ...key,
        value,
        error: errorText(error),
      });
      throw error;
    } finally {
      // The process was cancelled (its entity crashed) mid-operation: the operation may have
      // been applied, and left open it would make the process's next invoke, after a
      // recovery, overlap it. Jepsen ends a crashed process's operation with info too.
      if (!ended) {
        this.add({
          type: "info",
          process: call.process,
          f: call.f,
          ...key,
          value,
          error: "cancelled: its process ended (a crash) before an answer",
        });
      }
    }
    const output =
      options.output !== undefined ? options.output(result) : value === null ? result : value;
    this.add({
      type: "ok",
      process: call.process,
      f: call.f,
      ...key,
      value: output === undefined ? null : output,
    });
    return result;
  }

  /**
   * A client whose every `issue` is recorded: `describe` says what each request asks.
   * `const c = history.client(client, { process: 1, describe: (r) => ({ f: r.op, key: r.key, value: r.value ?? null }) })`.
   */
  client<Req, Res>(
    client: IssuingClient<Req, Res>,
    options: ClientRecordingOptions<Req, Res>,
  ): IssuingClient<Req, Res> {
    const recorder = this;
    return {
      *issue(request: Req) {
        const call = { process: options.process, ...options.describe(request) };
        const output = options.output;
        return yield* recorder.record(call, client.issue(request), {
          ...(output === undefined ? {} : { output: (response: Res) => output(response, request) }),
          ...(options.classify === undefined ? {} : { classify: options.classify }),
        });
      },
    };
  }

  /**
   * A store (KVStore, ReplicatedStore, ShardedStore, CachedStore, or any with that process API)
   * whose operations are recorded as the key-value model reads them: `get` (its value, nil when
   * missing), `put` (the value written), `delete`, `increment` (the amount, and the new number).
   */
  store<V>(store: RecordableStore<V>, options: StoreRecordingOptions): RecordingStore<V> {
    const process = options.process;
    const classify = options.classify === undefined ? {} : { classify: options.classify };
    return {
      get: (key) =>
        this.record({ process, f: "get", key }, store.get(key), {
          output: (value) => (value === undefined ? null : value),
          ...classify,
        }),
      put: (key, value) =>
        this.record({ process, f: "put", key, value }, store.put(key, value), classify),
      delete: (key) =>
        this.record({ process, f: "delete", key }, store.delete(key), {
          output: () => null,
          ...classify,
        }),
      increment: (key, by = 1) =>
        this.record({ process, f: "increment", key, value: by }, store.increment(key, by), {
          output: (count) => count,
          ...classify,
        }),
    };
  }
}
