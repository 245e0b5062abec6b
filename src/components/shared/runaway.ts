/**
 * The runaway guard of unbounded waiting queues. A queue left unbounded (the default of
 * Server, ThreadPool, Resource and Store, so a model measures its overload instead of
 * refusing it) grows without end when arrivals outpace service; this stops the run when one
 * passes `sim.limits.maxQueueLength`, naming the queue, its size and the simulated time, and
 * saying what to change, before the process runs out of memory.
 *
 * Components check the length with one integer compare where an item joins (a bounded queue
 * compares against its own bound there anyway), and call this only when it is passed.
 */
import type { Entity } from "../../core/entity.js";
import { groupDigits, RunawayError } from "../../errors/errors.js";

/**
 * Fails the run: `component` (`Server "api"`) holds `length` `what` ("waiting", "items"),
 * the limit. `bound` says how to bound this queue ("its queueCapacity option refuses the
 * excess at once"). Never returns.
 */
export function queueRanAway(
  owner: Entity<never, unknown>,
  component: string,
  length: number,
  bound: string,
  what = "waiting",
): never {
  const sim = owner.sim;
  return sim._stop(
    new RunawayError(
      `runaway queue: ${component} has ${groupDigits(length)} ${what}, the limit for an unbounded queue (maxQueueLength = ${groupDigits(sim.limits.maxQueueLength)}): arrivals outpace service. Bound the queue (${bound}), lower the load, or raise the limit: new Simulation({ seed, limits: { maxQueueLength } }) (Infinity disables it).`,
      owner.name,
      owner.nowNs,
      component,
      length,
      "maxQueueLength",
    ),
  );
}
