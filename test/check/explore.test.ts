import { describe, expect, it } from "vitest";
import { always, ConfigError, Entity, eventually, explore, Simulation } from "../../src/index.js";

/** A node that counts every 0.1 s; `resumes` says whether it starts again after a crash. */
class Ticker extends Entity {
  count = 0;
  constructor(
    sim: Simulation,
    private readonly resumes: boolean,
  ) {
    super(sim, "node");
    this.after(0.1, this.tick);
  }
  private readonly tick = (): void => {
    this.count++;
    this.after(0.1, this.tick);
  };
  protected override onRecover(): void {
    if (this.resumes) this.after(0.1, this.tick);
  }
}

function build(resumes: boolean) {
  return ({ seed }: { seed: number }) => {
    const sim = new Simulation({ seed });
    new Ticker(sim, resumes);
    return sim;
  };
}

const progress = (sim: Simulation): number => (sim.entity("node") as Ticker).count;
/** Odd seeds crash the node at 1 s until the end: only the liveness phase's heal restarts it. */
const faults = (seed: number) => ({
  faults: seed % 2 === 1 ? [{ kind: "crash", targets: ["node"], at: 1 }] : [],
});

describe("explore", () => {
  it("finds the seeds whose node does not come back after the heal (liveness)", () => {
    const result = explore({
      build: build(false),
      seeds: 6,
      faults,
      safety: 3,
      liveness: { within: 2, progress },
    });
    expect(result).toMatchObject({ runs: 6, passed: 3, failed: 3 });
    expect(result.failures.map((failure) => failure.seed)).toEqual([1, 3, 5]);
    expect(result.failures[0]!.violation).toMatchObject({ name: "progress after heal", time: 5 });
    expect([...result.byInvariant]).toEqual([["progress after heal", [1, 3, 5]]]);
    // Each failure carries the schedule it ran (to replay it) and the kinds it was grouped by.
    expect(result.failures[0]).toMatchObject({
      faults: { faults: [{ kind: "crash", targets: ["node"], at: 1, for: null }] },
      faultKinds: ["crash"],
    });
    expect([...result.byFaultKind]).toEqual([["crash", [1, 3, 5]]]);
    expect(result.groups).toEqual([
      {
        invariant: "progress after heal",
        kind: "eventually",
        faultKinds: ["crash"],
        seeds: [1, 3, 5],
      },
    ]);
  });

  it("passes every seed of the correct model, and reports safety violations by invariant", () => {
    const options = {
      build: build(true),
      seeds: 6,
      faults,
      safety: 3,
      liveness: { within: 2, progress },
    };
    expect(explore(options).failed).toBe(0);
    const result = explore({
      ...options,
      seeds: [2, 3],
      checks: (sim) => {
        always(sim, "count below 35", () => progress(sim) < 35);
      },
    });
    // Seed 2 never stops and counts past 35 by 3.5 s; seed 3 is down from 1 s to 3 s (about 30).
    expect(result.failures.map((failure) => [failure.seed, failure.violation.name])).toEqual([
      [2, "count below 35"],
    ]);
  });

  it("groups an always and an eventually sharing a name apart: they are two failures", () => {
    const result = explore({
      build: build(true),
      seeds: 4,
      checks: (sim, seed) => {
        always(sim, "node serves", () => seed % 2 === 0);
        eventually(sim, "node serves", () => false, { within: 1 });
      },
      safety: 2,
    });
    expect([...result.byInvariant]).toEqual([["node serves", [0, 1, 2, 3]]]);
    expect(result.groups).toEqual([
      { invariant: "node serves", kind: "eventually", faultKinds: [], seeds: [0, 2] },
      { invariant: "node serves", kind: "always", faultKinds: [], seeds: [1, 3] },
    ]);
  });

  it("reports a model that throws as model-failed, and rejects bad seeds", () => {
    const result = explore({
      build: () => {
        throw new Error("boom");
      },
      seeds: [7],
      safety: 1,
    });
    expect(result.failures[0]).toMatchObject({
      seed: 7,
      violation: { name: "model-failed", message: "boom" },
    });
    expect(() => explore({ build: build(true), seeds: 0, safety: 1 })).toThrow(ConfigError);
  });
});
