/**
 * Goal: every `StorageEngine` answers get, put, delete and scan (ranges, limits) as a Map
 * would, seen through the contract alone, so a model can swap one engine for another. One
 * randomized workload (fast-check) runs against each engine in `ENGINES` and a Map oracle;
 * an engine added later joins by one line there. The engines are configured small (tiny
 * memtables and nodes, a cache of a few pages) so flushes, compactions, splits, evictions and
 * checkpoints all happen within a short workload, and the writers pause now and then so the
 * background work runs between operations.
 */
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import {
  BTree,
  Entity,
  type KVEntry,
  LSMTree,
  leveledCompaction,
  Simulation,
  type StorageEngine,
  sizeTieredCompaction,
} from "../../../src/index.js";

const ENGINES: readonly {
  readonly name: string;
  readonly make: (sim: Simulation) => StorageEngine<number>;
}[] = [
  {
    name: "LSMTree (leveled)",
    make: (sim) =>
      new LSMTree<number>(sim, "engine", {
        memtableBytes: 60,
        blockBytes: 48,
        valueBytes: 8,
        compaction: leveledCompaction({ fanout: 2, tableBytes: 100, levelBytes: 200 }),
      }),
  },
  {
    name: "LSMTree (sizeTiered)",
    make: (sim) =>
      new LSMTree<number>(sim, "engine", {
        memtableBytes: 60,
        blockBytes: 48,
        valueBytes: 8,
        compaction: sizeTieredCompaction({ minThreshold: 2 }),
      }),
  },
  {
    name: "BTree",
    make: (sim) =>
      new BTree<number>(sim, "engine", {
        order: 3,
        cachePages: 3,
        checkpointEvery: 13,
        valueBytes: 8,
      }),
  },
];

const KEYS = 40;
const key = (n: number) => `k${String(n).padStart(2, "0")}`;

type Op =
  | { readonly kind: "put"; readonly key: number; readonly value: number }
  | { readonly kind: "delete"; readonly key: number }
  | { readonly kind: "get"; readonly key: number }
  | {
      readonly kind: "scan";
      readonly from: number | undefined;
      readonly to: number | undefined;
      readonly limit: number | undefined;
    }
  | { readonly kind: "pause" };

const keyArb = fc.integer({ min: 0, max: KEYS - 1 });
const opArb: fc.Arbitrary<Op> = fc.oneof(
  {
    weight: 4,
    arbitrary: fc.record({ kind: fc.constant("put" as const), key: keyArb, value: fc.integer() }),
  },
  { weight: 2, arbitrary: fc.record({ kind: fc.constant("delete" as const), key: keyArb }) },
  { weight: 2, arbitrary: fc.record({ kind: fc.constant("get" as const), key: keyArb }) },
  {
    weight: 2,
    arbitrary: fc.record({
      kind: fc.constant("scan" as const),
      // Bounds past the key space too (key 40 sorts after every key), and empty ranges.
      from: fc.option(fc.integer({ min: 0, max: KEYS }), { nil: undefined }),
      to: fc.option(fc.integer({ min: 0, max: KEYS }), { nil: undefined }),
      limit: fc.option(fc.integer({ min: 1, max: 12 }), { nil: undefined }),
    }),
  },
  { weight: 1, arbitrary: fc.constant({ kind: "pause" as const }) },
);

/** What a Map says a scan answers: keys in [from, to), ascending, at most `limit`. */
function oracleScan(
  oracle: ReadonlyMap<string, { value: number; version: number }>,
  from: string,
  to: string | undefined,
  limit: number,
): KVEntry<number>[] {
  return [...oracle.entries()]
    .filter(([k]) => k >= from && (to === undefined || k < to))
    .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
    .slice(0, limit)
    .map(([k, { value, version }]) => ({ key: k, value, version }));
}

describe("the StorageEngine contract", () => {
  for (const engine of ENGINES) {
    it(`${engine.name}: a random workload answers as a Map does (fast-check)`, () => {
      fc.assert(
        fc.property(fc.array(opArb, { minLength: 1, maxLength: 150, size: "max" }), (ops) => {
          const sim = new Simulation({ seed: 18 });
          const db = engine.make(sim);
          const client = new Entity(sim, "client");
          const oracle = new Map<string, { value: number; version: number }>();
          const mismatches: string[] = [];
          let lastVersion = 0;
          let effectiveDeletes = 0;
          let finished = false;
          client.start(function* () {
            for (const [step, op] of ops.entries()) {
              const at = `#${step} ${JSON.stringify(op)}`;
              if (op.kind === "put") {
                const version = yield* db.put(key(op.key), op.value);
                // A later write has a larger version (store/protocol.ts: KVEntry.version).
                if (!(version > lastVersion))
                  mismatches.push(`${at}: version ${version} <= ${lastVersion}`);
                lastVersion = version;
                oracle.set(key(op.key), { value: op.value, version });
              } else if (op.kind === "delete") {
                const was = yield* db.delete(key(op.key));
                const want = oracle.delete(key(op.key));
                if (want) effectiveDeletes++;
                if (was !== want) mismatches.push(`${at}: answered ${was}, a Map ${want}`);
              } else if (op.kind === "get") {
                const got = yield* db.get(key(op.key));
                const want = oracle.get(key(op.key))?.value;
                if (got !== want) mismatches.push(`${at}: answered ${got}, a Map ${want}`);
              } else if (op.kind === "scan") {
                const range = {
                  ...(op.from === undefined ? {} : { from: key(op.from) }),
                  ...(op.to === undefined ? {} : { to: key(op.to) }),
                  ...(op.limit === undefined ? {} : { limit: op.limit }),
                };
                const got = yield* db.scan(range);
                const want = oracleScan(oracle, range.from ?? "", range.to, op.limit ?? 1000);
                if (JSON.stringify(got) !== JSON.stringify(want)) {
                  mismatches.push(
                    `${at}: answered ${JSON.stringify(got)}, a Map ${JSON.stringify(want)}`,
                  );
                }
              } else {
                yield 0.01; // time for the background work (flushes, compactions, writeback)
              }
            }
            // After everything settles, the whole store is the Map.
            yield 1;
            const all = yield* db.scan();
            const want = oracleScan(oracle, "", undefined, 1000);
            if (JSON.stringify(all) !== JSON.stringify(want)) {
              mismatches.push(`final scan: ${JSON.stringify(all)}, a Map ${JSON.stringify(want)}`);
            }
            finished = true;
          });
          sim.run();
          expect(mismatches).toEqual([]);
          expect(finished).toBe(true);
          // The contract counts "puts and deletes applied": a delete of a key that is not
          // there may count (an LSM tree writes its tombstone blind) or not (a B-tree finds
          // nothing to change), every other write counts.
          const stats = db.engineStats;
          const puts = ops.filter((op) => op.kind === "put").length;
          const deletes = ops.filter((op) => op.kind === "delete").length;
          expect(stats.userWrites).toBeGreaterThanOrEqual(puts + effectiveDeletes);
          expect(stats.userWrites).toBeLessThanOrEqual(puts + deletes);
          expect(stats.userReads).toBe(ops.filter((op) => op.kind === "get").length);
        }),
        { numRuns: 100, seed: 18 },
      );
    });
  }
});
