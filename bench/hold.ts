/**
 * The classic hold model through the engine's public API: `pending` events outstanding; each
 * event, when it runs, schedules one more at now + Exp(1). Two ways to write it:
 * - plain: an entity's timer callback (bound once, so no closure per event) reschedules itself;
 * - processes: one generator process per pending event, `yield`ing its next delay.
 */
import { Entity } from "../src/core/entity.js";
import { Simulation } from "../src/core/simulation.js";

class PlainHolder extends Entity {
  readonly draws = this.random("hold");
  readonly tick = (): void => {
    this.after(this.draws.exponential(1), this.tick);
  };
}

/** Events per wall second, plain handlers. */
export function plainHold(pending: number, operations: number): number {
  const sim = new Simulation({ seed: 1 });
  const holder = new PlainHolder(sim, "holder");
  for (let i = 0; i < pending; i++) holder.after(holder.draws.exponential(1), holder.tick);
  const summary = sim.run({ maxEvents: operations });
  return summary.eventsProcessed / summary.wallSeconds;
}

class ProcessHolder extends Entity {
  readonly draws = this.random("hold");
  *hold() {
    const draws = this.draws;
    for (;;) yield draws.exponential(1);
  }
}

/** Events per wall second, one generator process per pending event. */
export function processHold(pending: number, operations: number): number {
  const sim = new Simulation({ seed: 1 });
  const holder = new ProcessHolder(sim, "holder");
  for (let i = 0; i < pending; i++) holder.start(holder.hold());
  // The first step of each process runs at t=0; leave it out of the timing.
  sim.run({ maxEvents: pending });
  const summary = sim.run({ maxEvents: operations });
  return summary.eventsProcessed / summary.wallSeconds;
}
