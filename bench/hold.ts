/**
 * The classic hold model through the engine's public API: `pending` events outstanding; each
 * event, when it runs, schedules one more at now + Exp(1) (mean 1 s). Two ways to write it:
 * - plain handlers: an entity's timer callback reschedules itself with `this.after`; the
 *   callback is bound once, in a field, so no closure is created per event;
 * - generator processes: `pending` processes, each `for (;;) yield rng.exponential(1)`.
 * Each runner is set up once; `run(k)` then processes exactly k more events.
 */
import { Entity } from "../src/core/entity.js";
import { Simulation } from "../src/core/simulation.js";
import type { HoldRunner } from "./measure.js";

class TimerHolder extends Entity {
  private readonly draws = this.random("hold");
  /** Bound once: every timer of this entity shares this one function. */
  readonly tick = (): void => {
    this.after(this.draws.exponential(1), this.tick);
  };

  /** Schedules the first timer; called `pending` times at setup. */
  arm(): void {
    this.after(this.draws.exponential(1), this.tick);
  }
}

/** Hold with plain handlers (entity timer callbacks). */
export class PlainHold implements HoldRunner {
  readonly sim: Simulation;

  constructor(pending: number, seed = 1) {
    this.sim = new Simulation({ seed });
    const holder = new TimerHolder(this.sim, "holder");
    for (let i = 0; i < pending; i++) holder.arm();
  }

  run(events: number): void {
    this.sim.run({ maxEvents: events });
  }
}

class ProcessHolder extends Entity {
  private readonly draws = this.random("hold");

  *hold() {
    const rng = this.draws;
    while (true) {
      yield rng.exponential(1);
    }
  }
}

/**
 * Hold with generator processes. The first `pending` events are the processes' first steps
 * (all at time 0); the harness's warm-up runs past them before timing.
 */
export class ProcessHold implements HoldRunner {
  readonly sim: Simulation;

  constructor(pending: number, seed = 1) {
    this.sim = new Simulation({ seed });
    const holder = new ProcessHolder(this.sim, "holder");
    for (let i = 0; i < pending; i++) holder.start(holder.hold);
  }

  run(events: number): void {
    this.sim.run({ maxEvents: events });
  }
}
