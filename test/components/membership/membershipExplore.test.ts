/**
 * Goal: SWIM is checked under faults (issue 19): explore/membership.ts, the model `npm run
 * explore` runs over thousands of seeds, passes 200 here (crashes, restarts, pauses,
 * partitions one-way included, loss, duplication); its planted twin (a refutation that does
 * not bump the incarnation) is caught and shrunk to a short reproduction.
 * Method: `explore` inline (5 members, 30 s with faults, then 25 s healed), then `shrink` and
 * `replay` of the planted twin's first failure.
 */
import { describe, expect, it } from "vitest";
import { membershipModel, SAFETY } from "../../../explore/membership.js";
import { explore, replay, shrink } from "../../../src/index.js";

describe("membership under faults", () => {
  it("200 seeds: crashed members declared dead within the bound, views converge after heal", () => {
    const result = explore({ ...membershipModel(), seeds: 200 });
    expect(result.failures).toEqual([]);
    expect(result.passed).toBe(200);
  });

  it("the planted bug (refuting without bumping the incarnation) is caught, shrunk and replayed", () => {
    const model = membershipModel({ planted: true });
    const found = explore({ ...model, seeds: 10 });
    expect(found.failed).toBeGreaterThan(0);
    expect([...found.byInvariant.keys()]).toEqual(["progress after heal"]);
    const seed = found.failures[0]!.seed;
    const scenario = { seed, params: {}, faults: model.faults!(seed), until: SAFETY };
    const result = shrink(model, scenario);
    expect(result.violation.name).toBe("progress after heal");
    expect(result.scenario.faults.faults.length).toBeLessThanOrEqual(2);
    expect(result.scenario.faults.faults.length).toBeLessThan(scenario.faults.faults.length);
    expect(result.scenario.until).toBeLessThan(SAFETY);
    expect(replay(model, result.scenario).violation).toEqual(result.violation);
  });
});
