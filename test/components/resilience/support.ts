/**
 * A scripted target for the resilience tests: a request's payload says how long it takes
 * (seconds) and whether it fails; the target keeps a log of what it was asked, when.
 */
import { Entity } from "../../../src/core/entity.js";
import type { Message } from "../../../src/core/message.js";
import type { Simulation } from "../../../src/core/simulation.js";

export interface Job {
  readonly id: string;
  /** Seconds the target takes to answer (Infinity: never answers). */
  readonly takes: number;
  /** Fail with this reason instead of replying. */
  readonly rejects?: string;
}

export class Scripted extends Entity<Job, string> {
  readonly log: string[] = [];
  /** Overrides a job's duration per attempt number at this target (1-based), if set. */
  durations: number[] | null = null;
  private attempts = 0;

  override *handle(request: Message<Job>) {
    const job = request.payload;
    const takes = this.durations?.[this.attempts++] ?? job.takes;
    this.log.push(`${this.now}:${job.id}`);
    if (takes === Number.POSITIVE_INFINITY) return;
    yield takes;
    if (job.rejects !== undefined) this.fail(request, job.rejects);
    else this.reply(request, `${this.name}:${job.id}`);
  }
}

/** Calls `target` with `job` at time `at` and records the outcome "answer@time" or "error@time". */
export function callAt(
  sim: Simulation,
  caller: Entity,
  target: Entity<Job, string>,
  at: number,
  job: Job,
  outcomes: string[],
  timeout?: number,
): void {
  sim.at(at, () => {
    caller.start(function* () {
      try {
        const answer = yield* caller.call(
          target,
          "job",
          job,
          timeout === undefined ? {} : { timeout },
        );
        outcomes.push(`${job.id}:${answer}@${caller.now}`);
      } catch (error) {
        outcomes.push(
          `${job.id}:${(error as Error).name}(${(error as Error).message})@${caller.now}`,
        );
      }
    });
  });
}
