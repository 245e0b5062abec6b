/**
 * Goal: the consistent-hash ring is one implementation shared by the load balancer's
 * `strategy.consistentHash` and the store family's `consistentHashSharding`: the same member
 * names place every key on the same-named member in both, and adding a member moves only the
 * keys it takes. Method: both built over the same names, compared key by key; a ring rebuilt
 * with one more member compared with the first.
 */
import { describe, expect, it } from "vitest";
import {
  type BackendState,
  consistentHash,
} from "../../../src/components/loadBalancer/strategies.js";
import { HashRing, ringHash } from "../../../src/components/shared/hashRing.js";
import type { Message } from "../../../src/core/message.js";
import { consistentHashSharding, KVStore, ShardedStore, Simulation } from "../../../src/index.js";

const NAMES = ["alpha", "bravo", "charlie", "delta"];
const KEYS = Array.from({ length: 2000 }, (_, i) => `user:${i}`);

describe("HashRing", () => {
  it("places every key on the same-named member for the load balancer and for sharding", () => {
    const sim = new Simulation({ seed: 1 });
    const store = new ShardedStore(sim, "store", {
      shards: NAMES.map((name) => new KVStore(sim, name)),
      sharding: consistentHashSharding({ virtualNodes: 50 }),
    });
    const selector = consistentHash<string>({ key: (m) => m.payload, virtualNodes: 50 }).selector(
      sim.entity("store")!.random("unused"),
    );
    const backends: BackendState[] = NAMES.map((name) => ({
      name,
      weight: 1,
      healthy: true,
      inFlight: 0,
      responseTime: Number.NaN,
    }));
    selector.backendsChanged!(backends);
    for (const key of KEYS) {
      const chosen = selector.select(backends, NAMES.length, { payload: key } as Message<string>);
      expect(NAMES[chosen]).toBe(store.shardOf(key).name);
    }
  });

  it("moves only the keys a new member takes, about 1/(n+1) of them", () => {
    const before = new HashRing(100);
    before.rebuild(NAMES);
    const after = new HashRing(100);
    after.rebuild([...NAMES, "echo"]);
    let moved = 0;
    for (const key of KEYS) {
      const was = before.ownerOf(ringHash(key));
      const is = after.ownerOf(ringHash(key));
      if (was !== is) {
        moved++;
        expect(is).toBe(4);
      }
    }
    expect(moved / KEYS.length).toBeGreaterThan(0.12);
    expect(moved / KEYS.length).toBeLessThan(0.28);
    expect(new HashRing(10).ownerOf(123)).toBe(-1);
  });
});
