/**
 * Goal: a RaftKVClient runs one operation at a time, as PaxosKVClient does. Its operations
 * share one session (a sequence number each): when a later one applies first, a retry of the
 * earlier one is answered with the later one's result and never applied, an acknowledged
 * write silently lost. Measured before the guard: the client's put x = 1 is cut off from the
 * leader for 20 ms and retried; meanwhile a concurrent put y = 2 on the same client applies;
 * both return ok and x reads null. Method: the same run; the concurrent put must now fail as
 * misuse naming the client, and x is written.
 */
import { describe, expect, it } from "vitest";
import { RaftKV, Simulation, SimulationError } from "../../../src/index.js";

describe("RaftKVClient sessions", () => {
  it("refuse a second operation while one is in progress (it could lose the first)", () => {
    const sim = new Simulation({ seed: 1 });
    const kv = new RaftKV<number>(sim, "kv", { nodes: 3 });
    const client = kv.client("client");
    const reader = kv.client("reader");
    sim.run({ until: 1 });
    const outcomes: unknown[] = [];
    const cut = kv.network.partitionOneWay([client], [...kv.nodes]);
    client.start(function* () {
      yield* client.put("x", 1);
      outcomes.push("x written");
    });
    client.at(1.02, () => {
      cut.heal();
      client.start(function* () {
        try {
          yield* client.put("y", 2);
          outcomes.push("y written");
        } catch (error) {
          outcomes.push(error);
        }
      });
    });
    reader.at(2, () =>
      reader.start(function* () {
        outcomes.push(`x=${yield* reader.get("x")}`);
      }),
    );
    sim.run({ until: 3 });
    expect(outcomes[0]).toBeInstanceOf(SimulationError);
    expect((outcomes[0] as SimulationError).message).toContain("client");
    expect(outcomes.slice(1)).toEqual(["x written", "x=1"]);
  });
});
