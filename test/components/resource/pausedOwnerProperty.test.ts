/**
 * Goal: random pauses, crashes and recoveries of a `Resource`'s owner, while processes of other
 * entities acquire (some with `maxWait`), hold and release it, keep its books: every request
 * is granted once, or fails once (refused, timed out, lost to a crash), or still waits; no grant happens
 * while the owner is paused or down; capacity in use stays within [0, capacity].
 * Method: fast-check draws the patients (arrival, amount of waiting allowed, holding time) and
 * the owner's fault steps; each grant is checked against the owner's state when it happens.
 */
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { Entity, Resource, Simulation } from "../../../src/index.js";

const tenths = (max: number) => fc.integer({ min: 0, max }).map((n) => n / 10);

describe("a Resource whose owner is paused and crashed at random", () => {
  it("keeps its identity and grants nothing while the owner is paused or down", () => {
    fc.assert(
      fc.property(
        fc.array(fc.record({ at: tenths(40), maxWait: fc.option(tenths(15)), hold: tenths(15) }), {
          maxLength: 25,
        }),
        fc.array(
          fc.record({
            at: tenths(40),
            crash: fc.boolean(),
            length: tenths(20).map((s) => s + 0.1),
          }),
          { maxLength: 6 },
        ),
        fc.integer({ min: 1, max: 3 }),
        (patients, steps, capacity) => {
          const sim = new Simulation({ seed: 3 });
          const owner = new Entity(sim, "hospital");
          const beds = new Resource(owner, { name: "beds", capacity });
          const ward = new Entity(sim, "ward");
          const badGrants: string[] = [];
          let grants = 0;
          let failures = 0;
          for (const { at, maxWait, hold } of patients) {
            ward.start(function* () {
              yield at;
              try {
                const options = maxWait === null ? undefined : { maxWait };
                const bed = yield* beds.acquire(options);
                grants++;
                if (!owner.isUp || owner.isPaused) badGrants.push(`${sim.now}`);
                yield hold;
                beds.release(bed);
              } catch {
                failures++;
              }
            });
          }
          for (const { at, crash, length } of steps) {
            sim.at(at, () => {
              if (!owner.isUp) return;
              if (!crash) owner.pause(length);
              else {
                owner.crash();
                sim.after(length, () => owner.recover());
              }
            });
          }
          sim.run();
          const s = beds.stats;
          expect(badGrants).toEqual([]);
          // Each acquire is granted once, or fails once (refused, timed out, lost), or waits.
          expect(s.requests).toBe(patients.length);
          expect(s.granted).toBe(grants);
          expect(grants + failures + s.queued).toBe(patients.length);
          expect(s.inUse).toBeGreaterThanOrEqual(0);
          expect(s.inUse).toBeLessThanOrEqual(capacity);
        },
      ),
      { seed: 15, numRuns: 300 },
    );
  });
});
