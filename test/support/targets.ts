/**
 * The test targets and callers every component spec shares, instead of a private copy in each
 * file: a scripted target whose requests say how long they take and whether they fail, and a
 * caller that records every outcome with its simulated time.
 *
 * Imports go through the package's main entry, so a component moving between folders does not
 * touch its tests.
 */
import { Entity, type Message, RemoteError, Simulation, TimeoutError } from "../../src/index.js";

export interface Job {
  readonly id: string;
  /** Seconds the target takes to answer (Infinity: never answers). */
  readonly takes: number;
  /** Fail with this reason instead of replying. */
  readonly rejects?: string;
}

/**
 * Answers a `Job` after `job.takes` seconds with "<target>:<job id>", or fails it with
 * `job.rejects`; never answers a job that takes Infinity. Logs "time:id" per request.
 */
export class ScriptedTarget extends Entity<Job, string> {
  readonly log: string[] = [];
  /** Overrides a job's duration per request number at this target (0-based), if set. */
  durations: number[] | null = null;
  /** While false, every request is refused with "down" after its duration. */
  healthy = true;
  private served = 0;

  override *handle(request: Message<Job>) {
    const job = request.payload;
    const takes = this.durations?.[this.served++] ?? job.takes;
    this.log.push(`${this.now}:${job.id}`);
    if (takes === Number.POSITIVE_INFINITY) return;
    if (takes > 0) yield takes;
    if (!this.healthy) this.fail(request, "down");
    else if (job.rejects !== undefined) this.fail(request, job.rejects);
    else this.reply(request, `${this.name}:${job.id}`);
  }
}

/** Echoes its payload back after `delay` seconds (0: in the same instant). */
export class EchoTarget<T = unknown> extends Entity<T, T> {
  delay = 0;
  override *handle(request: Message<T>) {
    if (this.delay > 0) yield this.delay;
    this.reply(request, request.payload);
  }
}

/** What a recorded call ended with. */
export interface CallRecord {
  readonly id: string;
  readonly sentAt: number;
  readonly endedAt: number;
  /** "ok", "refused" (RemoteError) or "timeout" (TimeoutError). */
  readonly outcome: "ok" | "refused" | "timeout";
  /** The answer, or the refusal's reason. */
  readonly detail: string;
}

/**
 * An entity that calls a target at chosen times and records how each call ended, as records
 * and as short strings ("id:answer@time", "id:refused(reason)@time", "id:timeout@time").
 */
export class RecordingCaller<Req = Job, Res = string> extends Entity<never, never> {
  readonly records: CallRecord[] = [];
  readonly log: string[] = [];

  /** Calls `target` with `payload` at time `at` (seconds), with an optional timeout. */
  callAt(
    at: number,
    target: Entity<Req, Res>,
    payload: Req,
    options: { id?: string; timeout?: number; kind?: string } = {},
  ): void {
    const id = options.id ?? (payload as { id?: string }).id ?? String(this.records.length);
    this.sim.at(at, () => {
      this.start(
        function* (this: RecordingCaller<Req, Res>) {
          const sentAt = this.now;
          try {
            const answer = yield* this.call(
              target,
              options.kind ?? "job",
              payload,
              options.timeout === undefined ? undefined : { timeout: options.timeout },
            );
            this.note(id, sentAt, "ok", String(answer));
          } catch (error) {
            if (error instanceof RemoteError) this.note(id, sentAt, "refused", error.reason);
            else if (error instanceof TimeoutError) this.note(id, sentAt, "timeout", "");
            else throw error;
          }
        }.bind(this),
      );
    });
  }

  private note(id: string, sentAt: number, outcome: CallRecord["outcome"], detail: string): void {
    this.records.push({ id, sentAt, endedAt: this.now, outcome, detail });
    this.log.push(
      outcome === "ok"
        ? `${id}:${detail}@${this.now}`
        : outcome === "refused"
          ? `${id}:refused(${detail})@${this.now}`
          : `${id}:timeout@${this.now}`,
    );
  }
}

/** A fresh simulation with a scripted target and a recording caller. */
export function scriptedSetup(seed = 1): {
  sim: Simulation;
  target: ScriptedTarget;
  caller: RecordingCaller;
} {
  const sim = new Simulation({ seed });
  return {
    sim,
    target: new ScriptedTarget(sim, "target"),
    caller: new RecordingCaller(sim, "caller"),
  };
}

/**
 * Records every message it receives, never answering: its arrival time (integer ns) and its
 * payload. For open-loop load and one-way flows (a Source's target, a network's far end).
 */
export class RecordingTarget<T = unknown> extends Entity<T> {
  readonly timesNs: number[] = [];
  readonly payloads: T[] = [];
  override handle(message: Message<T>) {
    this.timesNs.push(this.nowNs);
    this.payloads.push(message.payload);
  }
}

/** How a `ScriptedAttempts` target handles one request. */
export type AttemptAction = "ok" | "drop" | "reject";

/**
 * For retry tests, where what matters is how each attempt ends: answers a number doubled after
 * `serviceTime` seconds, handling its n-th request (from 1) as `script[n - 1]`, then "ok"
 * ("drop": never answers; "reject": fails with "busy"). `attempts` counts requests.
 */
export class ScriptedAttempts extends Entity<number, number> {
  attempts = 0;
  constructor(
    sim: Simulation,
    name: string,
    private readonly script: readonly AttemptAction[],
    private readonly serviceTime = 0.1,
  ) {
    super(sim, name);
  }

  override *handle(request: Message<number>) {
    const action = this.script[this.attempts++] ?? "ok";
    yield this.serviceTime;
    if (action === "ok") this.reply(request, request.payload * 2);
    else if (action === "reject") this.fail(request, "busy");
  }
}
