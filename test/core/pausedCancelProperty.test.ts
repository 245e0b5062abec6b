/**
 * Goal: random pauses, crashes and recoveries of an entity while other code cancels its
 * processes: each process's `finally` runs exactly once, never while the entity is paused, no
 * step of it runs while paused, and every process ends.
 * Method: fast-check draws sleeping processes, cancel times and the entity's fault steps; each
 * step and finally is logged with the entity's state at the time.
 */
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { Entity } from "../../src/core/entity.js";
import type { Process } from "../../src/core/process.js";
import { Simulation } from "../../src/core/simulation.js";

const tenths = (max: number) => fc.integer({ min: 0, max }).map((n) => n / 10);

describe("cancelling the processes of an entity paused and crashed at random", () => {
  it("runs each finally once, and nothing of it during a pause", () => {
    fc.assert(
      fc.property(
        fc.array(
          fc.record({
            sleeps: fc.array(tenths(10), { minLength: 1, maxLength: 4 }),
            cancelAt: fc.option(tenths(40)),
          }),
          {
            maxLength: 10,
          },
        ),
        fc.array(
          fc.record({
            at: tenths(40),
            crash: fc.boolean(),
            length: tenths(20).map((s) => s + 0.1),
          }),
          {
            maxLength: 6,
          },
        ),
        (specs, steps) => {
          const sim = new Simulation({ seed: 5 });
          const node = new Entity(sim, "node");
          const finallies = new Map<number, number>();
          const problems: string[] = [];
          const processes: Process<void>[] = [];
          specs.forEach(({ sleeps, cancelAt }, index) => {
            const process = node.start(function* () {
              try {
                for (const sleep of sleeps) {
                  yield sleep;
                  if (node.isPaused) problems.push(`${index} stepped while paused`);
                }
              } finally {
                finallies.set(index, (finallies.get(index) ?? 0) + 1);
                if (node.isPaused && node.isUp) problems.push(`${index} finally while paused`);
              }
            });
            processes.push(process);
            if (cancelAt !== null) sim.at(cancelAt, () => process.cancel());
          });
          for (const { at, crash, length } of steps) {
            sim.at(at, () => {
              if (!node.isUp) return;
              if (!crash) node.pause(length);
              else {
                node.crash();
                sim.after(length, () => node.recover());
              }
            });
          }
          sim.run();
          expect(problems).toEqual([]);
          processes.forEach((process, index) => {
            expect(process.isAlive).toBe(false);
            expect(finallies.get(index)).toBe(1);
          });
        },
      ),
      { seed: 15, numRuns: 300 },
    );
  });
});
