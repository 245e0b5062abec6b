/**
 * Shared pieces for the load-balancer tests: a backend whose answer time is set per test, and
 * a caller that records the outcome of each request it sends at a given time.
 */
import { Entity } from "../../../src/core/entity.js";
import type { Message } from "../../../src/core/message.js";
import type { Simulation } from "../../../src/core/simulation.js";

/** Answers every request after `takes` seconds with its own name, or fails with `rejects`. */
export class Backend extends Entity<string, string> {
  takes = 0.01;
  rejects: string | null = null;
  readonly seen: string[] = [];

  override *handle(request: Message<string>) {
    this.seen.push(request.payload);
    yield this.takes;
    if (this.rejects !== null) this.fail(request, this.rejects);
    else this.reply(request, this.name);
  }
}

/** Calls `target` with `payload` at `at`; records "payload:answer@time" or "payload:Error(message)@time". */
export function callAt(
  sim: Simulation,
  caller: Entity,
  target: Entity<string, string>,
  at: number,
  payload: string,
  outcomes: string[],
): void {
  sim.at(at, () => {
    caller.start(function* () {
      try {
        const answer = yield* caller.call(target, "get", payload);
        outcomes.push(`${payload}:${answer}@${caller.now}`);
      } catch (error) {
        outcomes.push(
          `${payload}:${(error as Error).name}(${(error as Error).message})@${caller.now}`,
        );
      }
    });
  });
}
