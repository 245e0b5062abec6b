/**
 * Goal: `LWWRegister` keeps the write with the latest HLC timestamp, breaks equal timestamps by
 * node id (the same winner on every replica), obeys the CRDT laws, and refuses bad input with
 * ConfigError; stamped by a `HybridLogicalClock` that takes in what it merged, a node's next
 * write wins over the value it saw even when its physical clock is behind.
 * Method: scripted cases with hand-set physical sources; the shared fast-check law suite with
 * writes drawn from a small timestamp space (so equal timestamps from different nodes occur);
 * a write's value is derived from its (timestamp, node), since that pair names one write.
 */
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { LWWRegister } from "../../../src/algorithms/crdt/lwwRegister.js";
import { HybridLogicalClock } from "../../../src/clocks/hybridLogicalClock.js";
import { ConfigError } from "../../../src/errors/errors.js";
import { crdtLaws } from "./laws.js";

const at = (wallNs: number, logical = 0) => ({ wallNs, logical });

describe("LWWRegister", () => {
  it("keeps the latest write, by timestamp then logical", () => {
    const a = new LWWRegister<string>("a").set("red", at(10));
    const b = new LWWRegister<string>("b").set("blue", at(10, 1));
    expect(a.value).toBe("red");
    expect(a.merge(b).value).toBe("blue");
    expect(a.write).toEqual({ value: "blue", timestamp: at(10, 1), node: "b" });
    a.set("green", at(9)); // older than the stored write: lost
    expect(a.value).toBe("blue");
    expect(b.merge(a.toJSON()).value).toBe("blue");
    expect(new LWWRegister("c").value).toBeUndefined();
  });

  it("breaks equal timestamps by node id, the same way on every replica", () => {
    const a = new LWWRegister<string>("a").set("from a", at(5, 2));
    const b = new LWWRegister<string>("b").set("from b", at(5, 2));
    expect(a.copy().merge(b).value).toBe("from b");
    expect(b.copy().merge(a).value).toBe("from b");
    expect(LWWRegister.compareWrites(a.write!, b.write!)).toBeLessThan(0);
  });

  it("with an HLC that receives what it merged, a skewed node's next write still wins", () => {
    const aTime = { timeNs: 1_000_000 };
    const bTime = { timeNs: 1_000_000 - 50_000 }; // b's physical clock is 50 us behind
    const aClock = new HybridLogicalClock({ nowNs: () => aTime.timeNs }, { name: "a" });
    const bClock = new HybridLogicalClock({ nowNs: () => bTime.timeNs }, { name: "b" });
    const a = new LWWRegister<number>("a").set(1, aClock.tick());
    const b = new LWWRegister<number>("b").merge(a.toJSON());
    bClock.receive(b.timestamp!);
    b.set(2, bClock.tick()); // b read 1, writes 2: causally later, physically "earlier"
    expect(a.merge(b).value).toBe(2);
  });

  it("serializes as plain JSON and reads it back", () => {
    const a = new LWWRegister<{ n: number }>("a").set({ n: 1 }, at(3));
    const text = JSON.stringify(a);
    expect(text).toBe(
      '{"write":{"value":{"n":1},"timestamp":{"wallNs":3,"logical":0},"node":"a"}}',
    );
    expect(LWWRegister.fromJSON("b", JSON.parse(text)).value).toEqual({ n: 1 });
    expect(JSON.stringify(new LWWRegister("z"))).toBe('{"write":null}');
  });

  it("refuses bad input with ConfigError", () => {
    expect(() => new LWWRegister("")).toThrow(ConfigError);
    const a = new LWWRegister<number>("a");
    expect(() => a.set(1, at(1.5))).toThrow(/HLC timestamp/);
    expect(() => a.set(1, at(1, -1))).toThrow(ConfigError);
    expect(() => a.set(1, null as never)).toThrow(ConfigError);
    expect(() => a.merge({} as never)).toThrow(/LWWRegister state/);
    expect(() => a.merge({ write: { value: 1, timestamp: at(1), node: "" } })).toThrow(/node id/);
    expect(() => a.merge({ write: { timestamp: at(1), node: "b" } } as never)).toThrow(ConfigError);
    expect(a.value).toBeUndefined();
  });

  describe("laws", () => {
    crdtLaws<LWWRegister<string>, { wallNs: number; logical: number }>(
      {
        replica: (node) => new LWWRegister<string>(node),
        op: fc.record({
          wallNs: fc.integer({ min: 0, max: 3 }),
          logical: fc.integer({ min: 0, max: 2 }),
        }),
        apply: (r, stamp) => void r.set(`${r.node}@${stamp.wallNs}.${stamp.logical}`, stamp),
        copy: (r) => r.copy(),
        merge: (into, from) => void into.merge(from),
        state: (r) => r.toJSON(),
      },
      1830,
    );
  });
});
