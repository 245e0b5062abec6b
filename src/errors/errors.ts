/**
 * The two kinds of error distsim throws.
 *
 * Programmer errors (bad options, protocol misuse) throw at once and name the component or
 * entity, the parameter, what was expected and what was given. Modelled failures (a call that
 * timed out, a cancelled wait, an interrupt) are thrown *inside* a process at the `yield` that
 * waited, so the model can catch them like any other outcome.
 */

/** Base class of every error distsim throws, so callers can tell them from their own. */
export class DistsimError extends Error {
  override name = "DistsimError";
}

/** Renders a given value for an error message: short, unambiguous, never throws. */
export function describeValue(value: unknown): string {
  if (typeof value === "string") return JSON.stringify(value);
  if (typeof value === "number" || typeof value === "boolean" || typeof value === "bigint") {
    return String(value);
  }
  if (value === null || value === undefined) return String(value);
  if (typeof value === "function") return `function ${value.name || "(anonymous)"}`;
  if (Array.isArray(value)) return `array(${value.length})`;
  const ctor = (value as object).constructor;
  return ctor && ctor !== Object ? `${ctor.name} instance` : "object";
}

/**
 * Bad configuration, found at construction: names the component, the parameter, what was
 * expected and what was given.
 *
 * @example
 * new ConfigError("Server", "concurrency", "an integer >= 1", 0).message
 * // 'Server: option "concurrency" must be an integer >= 1; given 0'
 */
export class ConfigError extends DistsimError {
  override name = "ConfigError";
  constructor(
    readonly component: string,
    readonly parameter: string,
    readonly expected: string,
    readonly given: unknown,
  ) {
    super(`${component}: option "${parameter}" must be ${expected}; given ${describeValue(given)}`);
  }
}

/** Formats simulated nanoseconds as seconds for messages, exactly (no float noise). */
export function formatTimeNs(timeNs: number): string {
  const whole = Math.floor(timeNs / 1e9);
  const frac = timeNs - whole * 1e9;
  if (frac === 0) return `${whole}s`;
  return `${whole}.${String(frac).padStart(9, "0").replace(/0+$/, "")}s`;
}

/**
 * Misuse at run time, or a model that threw: carries the entity (if any) and the simulated
 * time at which it happened. The original error, if any, is the `cause`.
 */
export class SimulationError extends DistsimError {
  override name = "SimulationError";
  constructor(
    message: string,
    readonly entity: string | null,
    readonly timeNs: number,
    options?: { cause?: unknown },
  ) {
    super(
      `${entity === null ? "simulation" : `entity "${entity}"`} at t=${formatTimeNs(timeNs)}: ${message}`,
      options,
    );
  }
  /** Simulated time of the failure, in seconds. */
  get time(): number {
    return this.timeNs / 1e9;
  }
}

/** Which runaway guard stopped a run (see `RunawayError`). */
export type RunawayLimit = "maxQueueLength" | "maxPendingEvents" | "maxHeapMB";

/**
 * A run stopped by a runaway guard: a waiting queue, the pending events or the heap passed
 * its limit (`new Simulation({ seed, limits })`, or the CLI's `--max-heap-mb`). It names the
 * component that grew, its size and the limit, and the message says what to change. A
 * `SimulationError`, so everything that handles a failed run handles it.
 *
 * @example
 * // entity "api" at t=212.4s: runaway queue: Server "api" has 1,000,000 requests waiting ...
 */
export class RunawayError extends SimulationError {
  override name = "RunawayError";
  constructor(
    message: string,
    entity: string | null,
    timeNs: number,
    /** The component that grew: `Server "api"`, or "the event queue". */
    readonly component: string,
    /** How many it held when the guard tripped (items, events, or megabytes of heap). */
    readonly size: number,
    /** The limit it passed. */
    readonly limit: RunawayLimit,
  ) {
    super(message, entity, timeNs);
  }
}

/** Groups a count for messages: 1,000,000. */
export function groupDigits(value: number): string {
  if (!Number.isFinite(value)) return String(value);
  const digits = String(Math.round(Math.abs(value)));
  return (value < 0 ? "-" : "") + digits.replace(/\B(?=(\d{3})+(?!\d))/g, ",");
}

/** A modelled outcome: a wait (a call, or `timeout(f, s)`) ran out of time. */
export class TimeoutError extends DistsimError {
  override name = "TimeoutError";
  constructor(readonly seconds: number) {
    super(`timed out after ${seconds}s`);
  }
}

/** A modelled outcome: the future or process was cancelled (by `race`, `cancel()` or a crash). */
export class CancelledError extends DistsimError {
  override name = "CancelledError";
  constructor(readonly reason: string) {
    super(`cancelled: ${reason}`);
  }
}

/** Thrown into a process at its current `yield` by `Process.interrupt(reason)`. */
export class InterruptError extends DistsimError {
  override name = "InterruptError";
  constructor(readonly reason: unknown) {
    super(`interrupted: ${typeof reason === "string" ? reason : describeValue(reason)}`);
  }
}

/**
 * A modelled outcome: the callee answered a `call` with `fail(request, reason)` (a rejection,
 * an overload, a 503) instead of a reply. Thrown at the caller's `yield`.
 */
export class RemoteError extends DistsimError {
  override name = "RemoteError";
  constructor(
    readonly reason: string,
    /** Name of the entity that failed the request. */
    readonly entity: string,
  ) {
    super(`${entity} failed the request: ${reason}`);
  }
}

/**
 * A modelled outcome: the callee's process crashed while a call to it was open (`reset`), or a
 * call reached it while it was down after a process crash (`refused`), as an operating system
 * resets a dead process's sockets. Thrown at the caller's `yield` at once, where a host crash
 * leaves the caller to its timeout. A `RemoteError`, so what handles a refusal (a proxy
 * relaying it, a client retrying it, a health check failing on it) handles a reset too.
 */
export class ConnectionResetError extends RemoteError {
  override name = "ConnectionResetError";
  constructor(
    /** Name of the entity whose process crashed. */
    entity: string,
    /** True: the call reached the entity while it was down (connection refused). */
    readonly refused: boolean,
  ) {
    super(`connection ${refused ? "refused" : "reset"} by ${entity}`, entity);
  }
}

/**
 * A modelled outcome: the barrier a party waited at (or came to) is broken, because another
 * party gave up or was cancelled, or it was reset. Thrown at the party's `yield`.
 */
export class BrokenBarrierError extends DistsimError {
  override name = "BrokenBarrierError";
  constructor(
    /** Name of the barrier. */
    readonly barrier: string,
    readonly reason: string,
  ) {
    super(`barrier "${barrier}" is broken: ${reason}`);
  }
}

/** @internal The payload of a failure reply (see `Entity.fail`). */
export class FailureReply {
  constructor(readonly reason: string) {}
}
