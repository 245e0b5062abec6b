/**
 * Heap bytes per pending event: fill the queue with `pending` plain timer events and compare
 * the JS heap plus array buffers (the typed arrays) before and after, with full GCs around.
 * Needs `node --expose-gc`; without it the figure is reported as unavailable.
 */
import { Entity } from "../src/core/entity.js";
import { Simulation } from "../src/core/simulation.js";

class Idle extends Entity {
  readonly draws = this.random("hold");
  readonly tick = (): void => {};
}

export function bytesPerPendingEvent(pending: number): number | null {
  const gc = (globalThis as { gc?: () => void }).gc;
  if (gc === undefined) return null;
  gc();
  gc();
  const before = process.memoryUsage();
  const sim = new Simulation({ seed: 1 });
  const idle = new Idle(sim, "idle");
  for (let i = 0; i < pending; i++) idle.after(idle.draws.exponential(1), idle.tick);
  gc();
  gc();
  const after = process.memoryUsage();
  const bytes = after.heapUsed + after.arrayBuffers - (before.heapUsed + before.arrayBuffers);
  // Keep the simulation alive until after the measurement.
  if (sim.queue.size !== pending) throw new Error("queue lost events");
  return bytes / pending;
}
