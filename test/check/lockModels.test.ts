/**
 * Goal: the lock's check model (explore/distributed-lock.ts) holds its invariants under the
 * nemesis (fencing tokens strictly increase; no stale write accepted) over 200 seeds, and the
 * planted bug, a resource that does not check tokens, is caught (a paused or cut-off holder's
 * write lands after a newer holder's) and shrunk to a short reproduction.
 * The same model with the lease table on three Raft lock servers (explore/distributed-lock-raft.ts, and on Multi-Paxos: -multi-paxos.ts),
 * which the nemesis crashes, pauses and cuts off too, holds the same invariants over 200 seeds.
 * Method: explore 200 seeds of the fenced model inline (and of its Raft twin); explore the unfenced twin, shrink its
 * first failing seed, replay the shrunk scenario.
 */
import { describe, expect, it } from "vitest";
import * as lockModel from "../../explore/distributed-lock.js";
import * as multiPaxosLockModel from "../../explore/distributed-lock-multi-paxos.js";
import * as raftLockModel from "../../explore/distributed-lock-raft.js";
import { explore, replay, type ScenarioModel, shrink } from "../../src/index.js";

const fenced = {
  build: lockModel.default,
  checks: lockModel.checks,
  faults: lockModel.faults,
  safety: lockModel.safety,
  liveness: lockModel.liveness,
  shrinkable: lockModel.shrinkable,
};

const unfenced: ScenarioModel = {
  build: ({ seed, params }) => lockModel.buildLock(seed, params, false),
  checks: lockModel.checks,
  shrinkable: lockModel.shrinkable,
};

describe("DistributedLock under faults", () => {
  it("keeps fencing tokens increasing and refuses every stale write over 200 seeds", () => {
    const result = explore({ ...fenced, seeds: 200 });
    expect(result.failures).toEqual([]);
    expect(result.passed).toBe(200);
  });

  it.each([
    ["Raft", raftLockModel],
    ["Multi-Paxos", multiPaxosLockModel],
  ])(
    "on %s lock servers (crashed, paused, cut off too): the same invariants over 200 seeds",
    (_, model) => {
      const result = explore({
        build: model.default,
        checks: model.checks,
        faults: model.faults,
        safety: model.safety,
        liveness: model.liveness,
        shrinkable: model.shrinkable,
        seeds: 200,
      });
      expect(result.failures).toEqual([]);
      expect(result.passed).toBe(200);
    },
  );

  it("planted: a resource without fencing is caught and shrunk to a short reproduction", () => {
    const found = explore({
      ...unfenced,
      faults: lockModel.faults,
      safety: lockModel.safety,
      seeds: 20,
    });
    expect(found.failed).toBeGreaterThan(0);
    expect([...found.byInvariant.keys()]).toEqual([lockModel.STALE_INVARIANT]);

    const seed = found.failures[0]!.seed;
    const scenario = { seed, params: {}, faults: lockModel.faults(seed), until: lockModel.safety };
    const result = shrink(unfenced, scenario);
    expect(result.violation.name).toBe(lockModel.STALE_INVARIANT);
    expect(result.exhausted).toBe(false);
    const shrunk = result.scenario;
    expect(shrunk.faults.faults.length).toBeLessThanOrEqual(1);
    // Two clients (a stale holder and the next), one fault (a pause or a clock step), a few
    // turns: the reproduction is short.
    expect(shrunk.params.clients).toBe(2);
    expect(shrunk.params.operations as number).toBeLessThanOrEqual(20);
    expect(shrunk.until).toBeLessThan(3);
    expect(replay(unfenced, shrunk).violation).toEqual(result.violation);
    // The same scenario against the fenced store passes: the fence is the fix.
    expect(replay({ ...unfenced, build: lockModel.default }, shrunk).violation).toBeNull();
  });
});
