/**
 * Heap bytes per pending event: fill a fresh simulation with `pending` plain timer events and
 * compare the JS heap plus array buffers (where the queue's typed arrays live) before and
 * after, with full GCs around both readings:
 *   (heapUsed + arrayBuffers after filling - the same before) / pending.
 * The same for pending generator processes (process object, generator and its event), for
 * information. Needs `node --expose-gc`; without it the figures are reported as unavailable.
 */
import { Entity } from "../src/core/entity.js";
import { Simulation } from "../src/core/simulation.js";
import { collectGarbage } from "./measure.js";

export interface MemoryFigure {
  pending: number;
  bytesPerPending: number;
  heapUsedDelta: number;
  arrayBuffersDelta: number;
}

class Idle extends Entity {
  private readonly draws = this.random("hold");
  readonly tick = (): void => {};
  arm(): void {
    this.after(this.draws.exponential(1), this.tick);
  }
  *sleeper() {
    const draws = this.draws;
    while (true) yield draws.exponential(1);
  }
}

function measure(pending: number, fill: (idle: Idle) => void): MemoryFigure | null {
  if (!collectGarbage()) return null;
  const before = process.memoryUsage();
  const sim = new Simulation({ seed: 1 });
  const idle = new Idle(sim, "idle");
  fill(idle);
  collectGarbage();
  const after = process.memoryUsage();
  // Keeps the simulation alive until after the reading, and checks the fill.
  if (sim.queue.size !== pending) throw new Error(`expected ${pending} pending events`);
  const heapUsedDelta = after.heapUsed - before.heapUsed;
  const arrayBuffersDelta = after.arrayBuffers - before.arrayBuffers;
  return {
    pending,
    bytesPerPending: (heapUsedDelta + arrayBuffersDelta) / pending,
    heapUsedDelta,
    arrayBuffersDelta,
  };
}

/** Bytes per pending plain timer event (the figure with a target). */
export function plainEventMemory(pending: number): MemoryFigure | null {
  return measure(pending, (idle) => {
    for (let i = 0; i < pending; i++) idle.arm();
  });
}

/** Bytes per pending generator process, each asleep in its first `yield` (information). */
export function processMemory(pending: number): MemoryFigure | null {
  return measure(pending, (idle) => {
    for (let i = 0; i < pending; i++) idle.start(idle.sleeper);
    // Run the first steps, so each process is suspended at a yield with one timer pending.
    idle.sim.run({ maxEvents: pending });
  });
}
