/**
 * Goal: a ShardedStore answers the key-value protocol over its shards, each key on the shard its
 * strategy names; scans merge the shards' answers in key order; load is counted per shard; and
 * adding a shard at run time moves only the keys it should (consistent hashing about 1/(n+1),
 * range sharding only the split range, hash-mod-n most), with every key readable during and
 * after the move. Method: KVStore shards with constant latencies; key counts compared with the
 * strategy's own routing before and after; the law suite.
 */
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import {
  arrivals,
  ConfigError,
  consistentHashSharding,
  dist,
  Entity,
  hashSharding,
  KVStore,
  keys,
  profile,
  RemoteError,
  ReplicatedStore,
  rangeSharding,
  ShardedStore,
  type ShardedStoreOptions,
  type Sharding,
  Simulation,
  SimulationError,
  Source,
  TimeoutError,
} from "../../../src/index.js";
import { componentLaws, SUBJECT } from "../../support/laws.js";

function setup(sharding: Sharding, count = 3, options: Partial<ShardedStoreOptions<unknown>> = {}) {
  const sim = new Simulation({ seed: 1 });
  const shards = Array.from(
    { length: count },
    (_, i) => new KVStore<unknown>(sim, `s${i}`, { readLatency: 0.001, writeLatency: 0.001 }),
  );
  const store = new ShardedStore<unknown>(sim, "store", { shards, sharding, ...options });
  const model = new Entity(sim, "model");
  return { sim, shards, store, model };
}

const KEYS = Array.from({ length: 1000 }, (_, i) => `key-${String(i).padStart(4, "0")}`);

/** Writes every key through the store at time 0, then runs `after` (at 1 s). */
function loadAndThen(
  model: Entity,
  store: ShardedStore<unknown>,
  after: () => Generator<unknown, void, unknown> = function* () {},
) {
  model.start(function* () {
    for (const key of KEYS) yield* store.put(key, key);
    yield Math.max(0, 1 - model.now);
    // biome-ignore lint/suspicious/noExplicitAny: a test body yields whatever its calls yield
    yield* after() as Generator<any, void, unknown>;
  });
}

describe("ShardedStore", () => {
  it("puts each key on the shard its strategy names, by process and by message alike", () => {
    for (const sharding of [
      hashSharding(),
      rangeSharding({ splits: ["key-0300", "key-0700"] }),
      consistentHashSharding(),
    ]) {
      const { sim, shards, store, model } = setup(sharding);
      const log: string[] = [];
      model.start(function* () {
        yield* store.put("key-0001", "by process");
        yield* model.call(store, "put", { key: "key-0500", value: "by message" });
        log.push(String(yield* store.get("key-0500")));
        log.push(String(yield* model.call(store, "get", { key: "key-0001" })));
        log.push(String(yield* store.increment("n", 2)));
        log.push(String(yield* model.call(store, "delete", { key: "key-0001" })));
      });
      sim.run();
      expect(log).toEqual(["by message", "by process", "2", "true"]);
      expect((store.shardOf("key-0500") as KVStore<unknown>).peek("key-0500")).toBe("by message");
      const holding = shards.filter((s) => s.has("key-0500"));
      expect(holding).toEqual([store.shardOf("key-0500")]);
    }
    // Range sharding: the split points decide, in string order.
    const { store } = setup(rangeSharding({ splits: ["h", "p"] }));
    expect(["a", "h", "hz", "p", "zz"].map((k) => store.shardOf(k).name)).toEqual([
      "s0",
      "s1",
      "s1",
      "s2",
      "s2",
    ]);
  });

  it("merges scans across shards in key order with the limit, asking only the shards a range overlaps", () => {
    const { sim, store, model } = setup(rangeSharding({ splits: ["key-0300", "key-0700"] }));
    const log: string[] = [];
    let requestsBefore: number[] = [];
    loadAndThen(model, store, function* () {
      requestsBefore = store.shardLoad.map((l) => l.requests);
      const inOne = yield* store.scan({ from: "key-0310", to: "key-0313" });
      log.push(inOne.map((e) => e.key).join(" "));
      const across = yield* store.scan({ from: "key-0298", limit: 4 });
      log.push(across.map((e) => e.key).join(" "));
    });
    sim.run();
    expect(log).toEqual(["key-0310 key-0311 key-0312", "key-0298 key-0299 key-0300 key-0301"]);
    const asked = store.shardLoad.map((l, i) => l.requests - requestsBefore[i]!);
    // The first scan asked s1 only; the second, from key-0298 on, all three.
    expect(asked).toEqual([1, 2, 1]);

    const hashed = setup(hashSharding(), 4);
    const hashedLog: string[] = [];
    loadAndThen(hashed.model, hashed.store, function* () {
      const entries = yield* hashed.model.call(hashed.store, "scan", {
        from: "key-0500",
        limit: 5,
      });
      hashedLog.push((entries as { key: string }[]).map((e) => e.key).join(" "));
    });
    hashed.sim.run();
    expect(hashedLog).toEqual(["key-0500 key-0501 key-0502 key-0503 key-0504"]);
  });

  it("counts requests per shard, their share and rate over time, and the imbalance", () => {
    const { sim, store, model } = setup(rangeSharding({ splits: ["b", "c"] }), 3, { window: 0.5 });
    model.start(function* () {
      for (let i = 0; i < 6; i++) yield* store.put("a", i);
      yield* store.put("b", 1);
      yield* store.put("c", 1);
    });
    sim.run();
    expect(store.shardLoad.map((l) => [l.name, l.requests, l.share])).toEqual([
      ["s0", 6, 0.75],
      ["s1", 1, 0.125],
      ["s2", 1, 0.125],
    ]);
    expect(store.stats.loadImbalance).toBeCloseTo(6 / (8 / 3), 10);
    const series = store.recordedSeries();
    expect(series.map((s) => s.name)).toEqual([
      "store load on s0",
      "store load on s1",
      "store load on s2",
    ]);
    expect(series[0]!.points[0]).toEqual([0, 12]);
    expect(store.metrics()["shard.s0.requests"]).toBe(6);
  });

  it("adding a shard moves about 1/(n+1) of the keys with consistent hashing, the split range with range sharding, and most with hash mod n", () => {
    const moved = (sharding: Sharding, split?: string) => {
      const { sim, shards, store, model } = setup(sharding, 4);
      const before = new Map(KEYS.map((key) => [key, "" as string]));
      const log: string[] = [];
      loadAndThen(model, store, function* () {
        for (const key of KEYS) before.set(key, store.shardOf(key).name);
        store.addShard(
          new KVStore<unknown>(sim, "s4", { readLatency: 0.001, writeLatency: 0.001 }),
          {
            split,
          },
        );
        // Readable while the keys move.
        log.push(String(yield* store.get("key-0123")));
        yield 10;
        log.push(String(yield* store.get("key-0123")));
      });
      sim.run();
      expect(log).toEqual(["key-0123", "key-0123"]);
      expect(store.stats.migrating).toBe(false);
      const all = [...shards, store.shards.find((s) => s.name === "s4")!] as KVStore<unknown>[];
      // After the migration every key is on its shard alone.
      for (const key of KEYS) {
        expect(all.filter((s) => s.has(key)).map((s) => s.name)).toEqual([store.shardOf(key).name]);
      }
      const changed = KEYS.filter((key) => store.shardOf(key).name !== before.get(key));
      expect(store.stats.keysMoved).toBe(changed.length);
      return { fraction: changed.length / KEYS.length, changed, before, store };
    };
    const consistent = moved(consistentHashSharding());
    expect(consistent.fraction).toBeGreaterThan(0.1);
    expect(consistent.fraction).toBeLessThan(0.3);
    // Every key that moved went to the new shard.
    for (const key of consistent.changed) expect(consistent.store.shardOf(key).name).toBe("s4");

    const range = moved(
      rangeSharding({ splits: ["key-0250", "key-0500", "key-0750"] }),
      "key-0600",
    );
    expect(range.changed).toEqual(KEYS.filter((key) => key >= "key-0600" && key < "key-0750"));
    expect(range.store.shards.map((s) => s.name)).toEqual(["s0", "s1", "s2", "s4", "s3"]);

    const modulo = moved(hashSharding());
    expect(modulo.fraction).toBeGreaterThan(0.7);
  });

  it("restarts a migration cut by a crash when the store recovers", () => {
    const { sim, shards, store, model } = setup(consistentHashSharding(), 3);
    loadAndThen(model, store, function* () {
      store.addShard(new KVStore<unknown>(sim, "s3", { readLatency: 0.001, writeLatency: 0.001 }));
      yield 0.01;
      expect(store.stats.keysMoved).toBeGreaterThan(0);
    });
    sim.at(1.05, () => store.crash());
    sim.at(1.5, () => {
      expect(store.stats.migrating).toBe(true);
      store.recover();
    });
    sim.run();
    const all = [...shards, store.shards[3]!] as KVStore<unknown>[];
    expect(store.stats.migrating).toBe(false);
    for (const key of KEYS) {
      expect(all.filter((s) => s.has(key)).map((s) => s.name)).toEqual([store.shardOf(key).name]);
    }
  });

  it("keeps a write made while its key is being moved: the copy never overwrites it", () => {
    const sim = new Simulation({ seed: 1 });
    const latency = { readLatency: 0.001, writeLatency: 0.005 };
    const old = new KVStore<string>(sim, "old", latency);
    const added = new KVStore<string>(sim, "added", latency);
    const store = new ShardedStore<string>(sim, "store", {
      shards: [old],
      sharding: rangeSharding({ splits: [] }),
    });
    const model = new Entity(sim, "model");
    const log: string[] = [];
    model.start(function* () {
      yield* old.put("k", "before", { version: 50 }); // a version the new shard is far below
      store.addShard(added, { split: "a" });
      // The migration has read "k" from the old shard and is copying it.
      yield 0.0015;
      log.push(`put v${yield* store.put("k", "after")}`);
      log.push(`get ${yield* store.get("k")}`);
      yield 1;
      log.push(`later ${yield* store.get("k")}`);
    });
    sim.run();
    expect(log.slice(1)).toEqual(["get after", "later after"]);
    expect(added.peek("k")).toBe("after");
    expect(old.has("k")).toBe(false);
    expect(store.stats).toMatchObject({ keysMoved: 1, migrationFailures: 0, migrating: false });
  });

  it("shows no deleted key in a scan: a delete waits for its key's move, old copies never answer", () => {
    const sim = new Simulation({ seed: 1 });
    // The old shard deletes slowly, so the move's delete there is still on its way when the
    // key, already copied (settled), is deleted through the store.
    const old = new KVStore<string>(sim, "old", { readLatency: 0.001, writeLatency: 0.05 });
    const added = new KVStore<string>(sim, "added", { readLatency: 0.001, writeLatency: 0.001 });
    const store = new ShardedStore<string>(sim, "store", {
      shards: [old],
      sharding: rangeSharding({ splits: [] }),
    });
    const model = new Entity(sim, "model");
    const log: string[] = [];
    model.start(function* () {
      yield* old.put("k", "before");
      store.addShard(added, { split: "a" });
      yield 0.003; // copied to the new shard, being deleted from the old
      log.push(`delete ${yield* store.delete("k")}`);
      log.push(`get ${yield* store.get("k")}`);
      log.push(`scan ${(yield* store.scan()).map((e) => e.key).join(",")}`);
      // A stale copy on a shard that does not own the key (a move whose delete failed).
      yield* old.put("j", "stale copy");
      log.push(`scan after ${(yield* store.scan()).map((e) => e.key).join(",")}`);
    });
    sim.run();
    expect(log).toEqual(["delete true", "get undefined", "scan ", "scan after "]);
  });

  it("deletes atomically on a KVStore shard: a put landing while the delete is on its way does not make it fail", () => {
    const sim = new Simulation({ seed: 1 });
    // Writes sent from 0.999 s take 20 ms, those sent from 1.011 s 1 ms: the delete sent at 1 s
    // is still on its way when a put sent after it lands.
    const shard = new KVStore<string>(sim, "shard", {
      readLatency: 0.01,
      writeLatency: profile.step(0.004, [
        { at: 0.999, value: 0.02 },
        { at: 1.011, value: 0.001 },
      ]),
    });
    const store = new ShardedStore<string>(sim, "store", {
      shards: [shard],
      sharding: hashSharding(),
    });
    const model = new Entity(sim, "model");
    const log: string[] = [];
    model.start(function* () {
      yield* store.put("k", "first"); // version 1
      yield 1 - model.now;
      log.push(`delete ${yield* store.delete("k")} @${model.now.toFixed(3)}`);
      log.push(`get ${yield* store.get("k")}`);
    });
    sim.at(1.012, () =>
      model.start(function* () {
        log.push(`put ${yield* store.put("k", "second")} @${model.now.toFixed(3)}`);
      }),
    );
    sim.run();
    // The delete applies after the put: it takes the put's value too, with a tombstone newer
    // than both writes (a read of the version, then a versioned delete, lost to the put).
    expect(log).toEqual(["put 2 @1.013", "delete true @1.020", "get undefined"]);
    expect(shard.has("k")).toBe(false);
    expect(shard.tombstoneOf("k")).toBe(3);
    expect(store.shardLoad[0]!.requests).toBe(4); // one shard request per delete
  });

  it("moves a key back onto a shard that keeps a tombstone of it from when it owned it before", () => {
    // A key on shard X (2 shards), on another (3), on X again (4): hash mod n moves it back.
    const route = (names: string[]) => hashSharding().router(names, "test");
    const owners = (key: string) =>
      [
        ["s0", "s1"],
        ["s0", "s1", "s2"],
        ["s0", "s1", "s2", "s3"],
      ].map((names) => route(names).shardOf(key));
    const key = Array.from({ length: 100 }, (_, i) => `key-${i}`).find((k) => {
      const [two, three, four] = owners(k);
      return two === four && three !== two;
    })!;
    const sim = new Simulation({ seed: 1 });
    const latency = { readLatency: 0.001, writeLatency: 0.001 };
    const shards = [0, 1].map((i) => new KVStore<string>(sim, `s${i}`, latency));
    const store = new ShardedStore<string>(sim, "store", { shards, sharding: hashSharding() });
    const model = new Entity(sim, "model");
    const log: string[] = [];
    model.start(function* () {
      const first = store.shardOf(key) as KVStore<string>;
      // The first owner's versions run ahead: its tombstone of the key is newer than anything
      // the key's next owner (a new shard) numbers soon.
      for (let i = 0; i < 10; i++) yield* first.put(`other-${i}`, "x");
      yield* store.put(key, "old");
      log.push(`delete ${yield* store.delete(key)}`); // a tombstone on the first owner
      store.addShard(new KVStore<string>(sim, "s2", latency));
      yield* store.put(key, "new"); // on the new owner, version 1
      while (store.stats.migrating) yield 0.01;
      store.addShard(new KVStore<string>(sim, "s3", latency)); // back to the first owner
      while (store.stats.migrating) yield 0.01;
      log.push(`owner ${store.shardOf(key) === first}`);
      log.push(`get ${yield* store.get(key)}`);
    });
    sim.run();
    expect(log).toEqual(["delete true", "owner true", "get new"]);
  });

  it("moves a key back onto a ReplicatedStore shard that keeps a tombstone of it from when it owned it before", () => {
    // As above, with replicated shards: the first owner's coordinator numbered its tombstone
    // of the key above the version the key's next owner gives it; the copy back must win.
    const route = (names: string[]) => hashSharding().router(names, "test");
    const owners = (key: string) =>
      [
        ["s0", "s1"],
        ["s0", "s1", "s2"],
        ["s0", "s1", "s2", "s3"],
      ].map((names) => route(names).shardOf(key));
    const key = Array.from({ length: 100 }, (_, i) => `key-${i}`).find((k) => {
      const [two, three, four] = owners(k);
      return two === four && three !== two;
    })!;
    const sim = new Simulation({ seed: 1 });
    const replicated = (name: string) =>
      new ReplicatedStore<string>(sim, name, {
        replicas: [0, 1, 2].map(
          (r) =>
            new KVStore<string>(sim, `${name}r${r}`, { readLatency: 0.001, writeLatency: 0.001 }),
        ),
      });
    const shards = [0, 1].map((i) => replicated(`s${i}`));
    const store = new ShardedStore<string>(sim, "store", { shards, sharding: hashSharding() });
    const model = new Entity(sim, "model");
    const log: string[] = [];
    model.start(function* () {
      const first = store.shardOf(key) as ReplicatedStore<string>;
      for (let i = 0; i < 10; i++) yield* first.put(`other-${i}`, "x");
      yield* store.put(key, "old");
      log.push(`delete ${yield* store.delete(key)}`); // a tombstone on the first owner
      store.addShard(replicated("s2"));
      yield* store.put(key, "new"); // on the new owner, version 1
      while (store.stats.migrating) yield 0.01;
      store.addShard(replicated("s3")); // back to the first owner
      while (store.stats.migrating) yield 0.01;
      log.push(`owner ${store.shardOf(key) === first}`);
      log.push(
        `get ${(yield* model.call(store, "get", { key, level: "ALL" } as never)) as string | undefined}`,
      );
    });
    sim.run();
    expect(log).toEqual(["delete true", "owner true", "get new"]);
  });

  it("moves every write a ReplicatedStore shard acknowledged at ONE, a slow replica not applied yet", () => {
    // Writes at ONE are acknowledged by the fast replica; a migration reading at ONE could ask
    // a slow one, find nothing and leave the key behind on a shard that no longer owns it.
    const lost: number[] = [];
    for (let seed = 1; seed <= 10; seed++) {
      const sim = new Simulation({ seed });
      const replicated = (name: string) =>
        new ReplicatedStore<string>(sim, name, {
          readLevel: "ONE",
          writeLevel: "ONE",
          replicas: [0, 1, 2].map(
            (r) =>
              new KVStore<string>(sim, `${name}r${r}`, {
                readLatency: 0.001,
                writeLatency: r === 0 ? 0.001 : 0.5,
              }),
          ),
        });
      const store = new ShardedStore<string>(sim, "store", {
        shards: [replicated("s0")],
        sharding: hashSharding(),
      });
      const model = new Entity(sim, "model");
      const written = Array.from({ length: 20 }, (_, i) => `k${i}`);
      model.start(function* () {
        for (const key of written) yield* store.put(key, "v");
        store.addShard(replicated("s1"));
        while (store.stats.migrating) yield 0.01;
        yield 2; // every replica has applied every write
        let missing = 0;
        for (const key of written) {
          const found = yield* model.call(store, "get", { key, level: "ALL" } as never);
          if (found === undefined) missing++;
        }
        lost.push(missing);
      });
      sim.run();
    }
    expect(lost).toEqual(Array.from({ length: 10 }, () => 0));
  });

  it("leaves a tombstone on a delete, so a migration copy landing late (sent before a crash) cannot bring the key back", () => {
    const sim = new Simulation({ seed: 1 });
    const old = new KVStore<string>(sim, "old", { readLatency: 0.001, writeLatency: 0.001 });
    // The first copy takes 2 s to land; later writes are fast.
    const added = new KVStore<string>(sim, "added", {
      readLatency: 0.001,
      writeLatency: profile.step(2, [{ at: 0.5, value: 0.001 }]),
    });
    const store = new ShardedStore<string>(sim, "store", {
      shards: [old],
      sharding: rangeSharding({ splits: [] }),
    });
    const model = new Entity(sim, "model");
    const log: string[] = [];
    model.start(function* () {
      yield* old.put("k", "v");
      store.addShard(added, { split: "a" });
      yield 0.1;
      store.crash();
      yield 0.5;
      store.recover();
      yield 0.4;
      log.push(`delete ${yield* store.delete("k")}`);
      yield 3;
      log.push(`get ${yield* store.get("k")}`);
      log.push(`scan ${(yield* store.scan()).map((e) => e.key).join(",")}`);
    });
    sim.run();
    expect(log).toEqual(["delete true", "get undefined", "scan "]);
  });

  it("keeps a key reachable when its old shard is down as the migration starts: the migration tries again", () => {
    const sim = new Simulation({ seed: 1 });
    const latency = { readLatency: 0.001, writeLatency: 0.001 };
    const old = new KVStore<string>(sim, "old", latency);
    const added = new KVStore<string>(sim, "added", latency);
    const store = new ShardedStore<string>(sim, "store", {
      shards: [old],
      sharding: rangeSharding({ splits: [] }),
      timeout: 0.1,
    });
    const model = new Entity(sim, "model");
    const log: string[] = [];
    model.start(function* () {
      yield* store.put("k", "acknowledged");
      old.crash();
      store.addShard(added, { split: "a" });
      yield 0.5;
      old.recover();
      yield 5;
      log.push(`get ${yield* store.get("k")}`);
    });
    sim.run();
    expect(log).toEqual(["get acknowledged"]);
    expect(added.peek("k")).toBe("acknowledged");
    expect(old.has("k")).toBe(false);
    expect(store.stats.migrating).toBe(false);
    expect(store.stats.migrationFailures).toBeGreaterThan(0);
  });

  it("moves a key from the shard that owned it, never from an old copy on a shard scanned first", () => {
    const sim = new Simulation({ seed: 1 });
    const latency = { readLatency: 0.001, writeLatency: 0.001 };
    const low = new KVStore<string>(sim, "low", latency);
    const high = new KVStore<string>(sim, "high", latency);
    const added = new KVStore<string>(sim, "added", latency);
    const store = new ShardedStore<string>(sim, "store", {
      shards: [low, high],
      sharding: rangeSharding({ splits: ["m"] }),
    });
    const model = new Entity(sim, "model");
    const log: string[] = [];
    model.start(function* () {
      yield* store.put("x", "acknowledged"); // on "high"
      yield* low.put("x", "old copy"); // as a move whose delete failed would leave it
      store.addShard(added, { split: "t" }); // "x" moves from "high" to "added"
      yield 1;
      log.push(`get ${yield* store.get("x")}`);
    });
    sim.run();
    expect(log).toEqual(["get acknowledged"]);
    expect(added.peek("x")).toBe("acknowledged");
  });

  it("loses no acknowledged write while shards are added under concurrent writers (random schedules)", () => {
    const strategies: [string, () => Sharding][] = [
      ["consistent hash", () => consistentHashSharding()],
      ["hash", () => hashSharding()],
      ["range", () => rangeSharding({ splits: ["k10"] })],
    ];
    for (const [name, sharding] of strategies) {
      fc.assert(
        fc.property(
          fc.integer({ min: 1, max: 1_000_000 }),
          fc.array(fc.integer({ min: 0, max: 2 }), { minLength: 1, maxLength: 3 }),
          // 0: no crash; else the old shard crashed during the first migration, and recovered.
          fc.integer({ min: 0, max: 2 }),
          (seed, adds, crashed) => {
            const sim = new Simulation({ seed });
            const draws = sim.random("test");
            const shardOptions = () => ({
              readLatency: dist.exponential(0.001 + draws.uniform(0, 0.004)),
              writeLatency: dist.exponential(0.001 + draws.uniform(0, 0.008)),
            });
            const shards = [0, 1].map((i) => new KVStore<number>(sim, `s${i}`, shardOptions()));
            const store = new ShardedStore<number>(sim, "store", {
              shards,
              sharding: sharding(),
              // Calls to a crashed shard time out rather than wait forever.
              ...(crashed > 0 ? { timeout: 0.5 } : {}),
            });
            const keyNames = Array.from({ length: 24 }, (_, i) => `k${String(i).padStart(2, "0")}`);
            // The value each key must have: each key has one writer, which also reads it back.
            const expected = new Map<string, number | undefined>();
            // Two thirds of the keys start with a value (written first by their writer).
            for (const key of keyNames.slice(0, 16)) expected.set(key, 1000);
            // Keys whose last write failed (a crashed shard): unknown until the next acknowledged one.
            const unsure = new Set<string>();
            const problems: string[] = [];
            const writers = 6;
            for (let w = 0; w < writers; w++) {
              const mine = keyNames.filter((_, i) => i % writers === w);
              const writer = new Entity(sim, `writer-${w}`);
              writer.start(function* () {
                for (const key of mine) {
                  if (!expected.has(key)) continue;
                  try {
                    yield* store.put(key, 1000);
                  } catch (error) {
                    if (!(error instanceof RemoteError) || crashed === 0) throw error;
                    unsure.add(key);
                  }
                }
                for (let step = 0; step < 60; step++) {
                  const key = mine[draws.integer(mine.length)]!;
                  const choice = draws.integer(10);
                  try {
                    if (choice < 3) {
                      const value = draws.integer(100);
                      yield* store.put(key, value);
                      expected.set(key, value);
                    } else if (choice < 5) {
                      yield* store.delete(key);
                      expected.set(key, undefined);
                    } else if (choice < 7) {
                      const value = yield* store.increment(key, 1);
                      const want = (expected.get(key) ?? 0) + 1;
                      if (value !== want && !unsure.has(key)) {
                        problems.push(`${key}: increment ${value}, not ${want}`);
                      }
                      expected.set(key, value);
                    } else {
                      const value = yield* store.get(key);
                      if (value !== expected.get(key) && !unsure.has(key)) {
                        problems.push(
                          `${key}: read ${value}, not ${expected.get(key)} at ${sim.now}`,
                        );
                      }
                      yield draws.uniform(0, 0.004);
                      continue;
                    }
                    unsure.delete(key);
                  } catch (error) {
                    if (!(error instanceof RemoteError)) throw error;
                    if (crashed === 0) problems.push(`${key}: ${error.message}`);
                    if (choice < 7) unsure.add(key);
                  }
                  yield draws.uniform(0, 0.004);
                }
              });
            }
            // Shards added one after another, each once the migration before has ended.
            const adder = new Entity(sim, "adder");
            adder.start(function* () {
              let added = 0;
              for (const delay of adds) {
                yield 0.01 + delay * 0.03;
                while (store.stats.migrating) yield 0.001;
                const split = `k${String(11 + 4 * added).padStart(2, "0")}`;
                store.addShard(new KVStore<number>(sim, `added-${added++}`, shardOptions()), {
                  split,
                });
                if (added === 1 && crashed > 0) {
                  const shard = shards[crashed - 1]!;
                  yield 0.002;
                  shard.crash();
                  yield 0.05;
                  shard.recover();
                }
              }
            });
            sim.run();
            expect(problems, name).toEqual([]);
            expect(store.stats.migrating).toBe(false);
            expect(store.stats.keysMoved).toBeGreaterThan(0);
            const reader = new Entity(sim, "reader");
            const final = new Map<string, number | undefined>();
            let scanned: [string, number][] = [];
            reader.start(function* () {
              for (const key of keyNames) final.set(key, yield* store.get(key));
              scanned = (yield* store.scan()).map((e) => [e.key, e.value]);
            });
            sim.run();
            for (const key of keyNames) {
              if (!unsure.has(key))
                expect(final.get(key), `${name} ${key}`).toBe(expected.get(key));
            }
            // A scan after the writes settled: exactly the last values, no deleted key.
            const live = keyNames
              .filter((key) => !unsure.has(key) && expected.get(key) !== undefined)
              .map((key) => [key, expected.get(key)!]);
            expect(
              scanned.filter(([key]) => !unsure.has(key)),
              name,
            ).toEqual(live);
            for (const key of unsure) {
              const entry = scanned.find(([k]) => k === key);
              expect(entry?.[1], `${name} ${key} scan vs get`).toBe(final.get(key));
            }
          },
        ),
        { numRuns: 25, seed: 14 },
      );
    }
  });

  it("passes a request's extra fields through, so a consistency level reaches replicated shards", () => {
    const sim = new Simulation({ seed: 1 });
    const groups = [0, 1].map((g) =>
      [0, 1, 2].map(
        (r) => new KVStore<number>(sim, `g${g}r${r}`, { writeLatency: 0.001 * (r + 1) }),
      ),
    );
    const shards = groups.map(
      (replicas, g) => new ReplicatedStore<number>(sim, `shard-${g}`, { replicas }),
    );
    const store = new ShardedStore<number>(sim, "store", { shards });
    const model = new Entity(sim, "model");
    const log: string[] = [];
    model.start(function* () {
      const start = model.now;
      yield* model.call(store, "put", { key: "a", value: 1, level: "ALL" } as never);
      log.push(`ALL in ${Math.round((model.now - start) * 1e6) / 1e6}`);
    });
    sim.run();
    expect(log).toEqual(["ALL in 0.003"]);
  });

  it("fails a request with the shard's reason or a timeout", () => {
    const { sim, shards, store, model } = setup(hashSharding(), 2, { timeout: 0.1 });
    const log: string[] = [];
    model.start(function* () {
      for (const shard of shards) shard.crash();
      try {
        yield* store.get("a");
      } catch (error) {
        log.push((error as RemoteError).reason);
      }
    });
    sim.run();
    expect(log).toEqual(["timed out (0.1 s)"]);
    expect(store.stats).toMatchObject({ failed: 1, timedOut: 1 });
  });

  it("refuses bad options, bad strategies and a bad addShard", () => {
    const sim = new Simulation({ seed: 1 });
    const a = new KVStore(sim, "a");
    const b = new KVStore(sim, "b");
    const bad: [() => unknown, string][] = [
      [() => new ShardedStore(sim, "x", { shards: [] }), "shards"],
      [() => new ShardedStore(sim, "x", { shards: [a, a] }), "shards"],
      [() => new ShardedStore(sim, "x", { shards: [a], sharding: "hash" as never }), "sharding"],
      [
        () =>
          new ShardedStore(sim, "x", { shards: [a, b], sharding: rangeSharding({ splits: [] }) }),
        "sharding",
      ],
      [() => new ShardedStore(sim, "x", { shards: [a], timeout: 0 }), "timeout"],
      [() => new ShardedStore(sim, "x", { shards: [a], window: -1 }), "window"],
      [() => rangeSharding({ splits: ["b", "a"] }), "splits"],
      [() => rangeSharding({ splits: [1] as never }), "splits"],
      [() => consistentHashSharding({ virtualNodes: 0 }), "virtualNodes"],
    ];
    for (const [make, parameter] of bad) {
      expect(make).toThrow(ConfigError);
      expect(make).toThrow(parameter);
    }
    const store = new ShardedStore(sim, "store", {
      shards: [a, b],
      sharding: rangeSharding({ splits: ["m"] }),
    });
    expect(() => store.addShard(a, { split: "t" })).toThrow(ConfigError);
    expect(() => store.addShard(new KVStore(sim, "c"), { split: "m" })).toThrow(/split/);
    expect(() => store.addShard(new KVStore(sim, "d"))).toThrow(/split/);
    store.addShard(new KVStore(sim, "e"), { split: "t" });
    expect(() => store.addShard(new KVStore(sim, "f"), { split: "x" })).toThrow(SimulationError);
  });
});

componentLaws<ShardedStore<number>>({
  type: ShardedStore,
  options: (sim) => ({
    shards: [0, 1, 2].map((i) => new KVStore<number>(sim, `shard-${i}`)),
    sharding: consistentHashSharding({ virtualNodes: 20 }),
    timeout: 0.2,
    window: 0.5,
  }),
  construct: (sim, name, options) =>
    new ShardedStore<number>(sim, name, options as unknown as ShardedStoreOptions<number>),
  invalid: [
    { shards: undefined },
    { shards: [] },
    { sharding: {} },
    { timeout: -1 },
    { window: 0 },
  ],
  scenario(sim) {
    const shards = [0, 1, 2].map(
      (i) =>
        new KVStore<number>(sim, `shard-${i}`, {
          readLatency: dist.exponential(0.002),
          writeLatency: dist.exponential(0.004),
        }),
    );
    const store = new ShardedStore<number>(sim, SUBJECT, {
      shards,
      sharding: consistentHashSharding(),
      timeout: 0.05,
    });
    sim.at(0.5, () => store.addShard(new KVStore<number>(sim, "shard-3")));
    const caller = new ShardCaller(sim, "caller", store);
    new Source<number>(sim, "source", {
      target: caller,
      arrivals: arrivals.poisson(600),
      payload: (i) => i,
      stopAfter: { count: 1500 },
    });
    return store;
  },
  crashAt: 1,
  recoverAt: 1.4,
  identities: (store) => {
    const s = store.stats;
    return [
      [
        "requests = completed + failed + rejected + lostToCrash + active",
        s.requests,
        s.completed + s.failed + s.rejected + s.lostToCrash + s.active,
      ],
      ["timedOut <= failed", Math.min(s.timedOut, s.failed), s.timedOut],
    ];
  },
  mayBeNaN: ["loadImbalance"],
});

/** Turns each arrival into one store operation (Zipf keys), by message or by process. */
class ShardCaller extends Entity<number> {
  private readonly next = keys.zipf(200, 1.1).begin(this.random("keys"));
  constructor(
    sim: Simulation,
    name: string,
    private readonly store: ShardedStore<number>,
  ) {
    super(sim, name);
  }
  override *handle(arrival: { payload: number }) {
    const i = arrival.payload;
    const key = `k${this.next()}`;
    try {
      if (i % 3 === 0) yield* this.store.put(key, i);
      else if (i % 3 === 1) yield* this.call(this.store, "get", { key }, { timeout: 0.5 });
      else if (i % 29 === 2) yield* this.store.increment(`n${i % 3}`);
      else if (i % 31 === 3) yield* this.call(this.store, "delete", { key }, { timeout: 0.5 });
      else if (i % 37 === 4) yield* this.store.scan({ from: "k1", limit: 5 });
      else yield* this.store.getEntry(key);
    } catch (error) {
      if (!(error instanceof RemoteError) && !(error instanceof TimeoutError)) throw error;
    }
  }
}
