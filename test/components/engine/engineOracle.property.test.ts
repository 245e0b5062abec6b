/**
 * Goal: both storage engines (LSMTree under each compaction strategy, BTree) answer as a Map
 * would through random puts, deletes, gets and scans with random crashes and recoveries (a host
 * crash, or the disk's power loss alone) at random instants: every acknowledged write present,
 * nothing never written present, scans agreeing with gets, and the request identity holding.
 * Method: fast-check draws a workload of three sequential clients on one key space, with
 * values unique per operation (so a value names the write that made it) and a crash schedule;
 * the oracle keeps for each key the set of values it may hold: an acknowledged write (or an
 * observed delete) narrows it to one, a write that failed or was cut by a crash may or may not
 * have landed, so it widens it. A read must find one of the allowed values; after the run, a
 * full scan must too, and the engine's own statistics must balance.
 */
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import {
  BTree,
  dist,
  Entity,
  fifoCompaction,
  LSMTree,
  leveledCompaction,
  RemoteError,
  Simulation,
  type StorageEngine,
  sizeTieredCompaction,
} from "../../../src/index.js";

type Op =
  | { readonly kind: "put"; readonly key: number }
  | { readonly kind: "delete"; readonly key: number }
  | { readonly kind: "get"; readonly key: number }
  | { readonly kind: "scan"; readonly from: number; readonly span: number };

type EngineKind = "leveled" | "sizeTiered" | "fifo" | "btree";

const KEYS = 12;
const keyName = (k: number) => `k${String(k).padStart(2, "0")}`;

const opArb: fc.Arbitrary<Op> = fc.oneof(
  { weight: 5, arbitrary: fc.record({ kind: fc.constant("put" as const), key: fc.nat(KEYS - 1) }) },
  {
    weight: 2,
    arbitrary: fc.record({ kind: fc.constant("delete" as const), key: fc.nat(KEYS - 1) }),
  },
  { weight: 2, arbitrary: fc.record({ kind: fc.constant("get" as const), key: fc.nat(KEYS - 1) }) },
  {
    weight: 1,
    arbitrary: fc.record({
      kind: fc.constant("scan" as const),
      from: fc.nat(KEYS - 1),
      span: fc.integer({ min: 1, max: KEYS }),
    }),
  },
);

const crashArb = fc.record({
  at: fc.integer({ min: 1, max: 60 }),
  downFor: fc.integer({ min: 1, max: 20 }),
  diskOnly: fc.boolean(),
});

function engine(
  sim: Simulation,
  kind: EngineKind,
): StorageEngine<number> & {
  crash(): void;
  recover(): void;
  readonly isUp: boolean;
  readonly disk: { crash(): void; recover(): void; readonly isUp: boolean };
  readonly stats: {
    requests: number;
    completed: number;
    rejected: number;
    lostToCrash: number;
    active: number;
    queued: number;
  };
} {
  const disk = {
    writeLatency: dist.exponential(0.0001),
    syncLatency: dist.exponential(0.0005),
    readLatency: dist.exponential(0.0001),
    tornWriteProbability: 0.7,
  };
  if (kind === "btree") {
    return new BTree<number>(sim, "db", {
      order: 3,
      cachePages: 3,
      readAhead: 1,
      writebackInterval: 0.002,
      checkpointEvery: 5,
      valueBytes: 4,
      disk,
    });
  }
  const compaction =
    kind === "leveled"
      ? leveledCompaction({ l0Trigger: 2, tableBytes: 40, levelBytes: 60, fanout: 2 })
      : kind === "sizeTiered"
        ? sizeTieredCompaction({ minThreshold: 2 })
        : // Big enough that FIFO never expires a key: the oracle has no expiry.
          fifoCompaction({ maxBytes: 1_000_000 });
  return new LSMTree<number>(sim, "db", {
    memtableBytes: 16,
    blockBytes: 16,
    valueBytes: 4,
    compaction,
    disk,
  });
}

/** The write `op` moved to a key of client `c`'s own (keys k with k % clients = c). */
function own<T extends { readonly key: number }>(op: T, c: number, clients: number): T {
  let key = op.key - (op.key % clients) + c;
  if (key >= KEYS) key -= clients;
  return { ...op, key };
}

interface Outcome {
  readonly problems: string[];
}

function runCase(
  kind: EngineKind,
  seed: number,
  scripts: readonly (readonly Op[])[],
  crashes: readonly { at: number; downFor: number; diskOnly: boolean }[],
): Outcome {
  const sim = new Simulation({ seed });
  const db = engine(sim, kind);
  const problems: string[] = [];
  /** Per key: the values it may hold now (undefined: absent). */
  const allowed: Set<number | undefined>[] = Array.from(
    { length: KEYS },
    () => new Set([undefined]),
  );
  let nextValue = 1;
  /** Every value a key was given, in order: a read may see any given during it. */
  const given: { key: number; value: number | undefined }[] = [];
  const allow = (key: number, value: number | undefined) => {
    allowed[key]!.add(value);
    given.push({ key, value });
  };
  /** What a read may see of `key`: allowed when it began, or given since. */
  const readStart = () => ({
    sets: allowed.map((set) => new Set(set)),
    at: given.length,
  });
  const check = (
    what: string,
    key: number,
    got: number | undefined,
    start: ReturnType<typeof readStart>,
  ) => {
    if (allowed[key]!.has(got) || start.sets[key]!.has(got)) return;
    for (let i = start.at; i < given.length; i++) {
      if (given[i]!.key === key && given[i]!.value === got) return;
    }
    problems.push(
      `${what} at ${sim.now.toFixed(6)}: ${keyName(key)} = ${got}, allowed ${JSON.stringify([...allowed[key]!])}`,
    );
  };
  scripts.forEach((script, c) => {
    new Entity(sim, `client-${c}`).start(function* () {
      for (const given of script) {
        // Each client writes only its own keys (a sequential writer per key: an answered write
        // is the key's value until the next); any client reads any key.
        const op =
          given.kind === "put" || given.kind === "delete" ? own(given, c, scripts.length) : given;
        try {
          if (op.kind === "put") {
            const value = nextValue++;
            // In flight: it may land (widen) until it is answered.
            allow(op.key, value);
            try {
              yield* db.put(keyName(op.key), value);
            } catch (error) {
              if (error instanceof RemoteError) continue;
              throw error;
            }
            allowed[op.key] = new Set([value]);
          } else if (op.kind === "delete") {
            allow(op.key, undefined);
            try {
              yield* db.delete(keyName(op.key));
            } catch (error) {
              if (error instanceof RemoteError) continue;
              throw error;
            }
            allowed[op.key] = new Set([undefined]);
          } else if (op.kind === "get") {
            const start = readStart();
            const got = yield* db.get(keyName(op.key));
            check("get", op.key, got, start);
          } else {
            const to = op.from + op.span;
            const start = readStart();
            const entries = yield* db.scan({
              from: keyName(op.from),
              to: to >= KEYS ? undefined : keyName(to),
            });
            const seen = new Map(entries.map((e) => [e.key, e.value]));
            for (let k = op.from; k < Math.min(to, KEYS); k++) {
              check(`scan [${op.from}, ${to})`, k, seen.get(keyName(k)), start);
            }
            const keys = entries.map((e) => e.key);
            if (keys.some((k, i) => i > 0 && k <= keys[i - 1]!)) {
              problems.push(`scan out of order: ${keys.join(",")}`);
            }
          }
        } catch (error) {
          if (!(error instanceof RemoteError)) throw error;
        }
        yield 0.0003;
      }
    });
  });
  const chaos = new Entity(sim, "chaos");
  chaos.start(function* () {
    for (const crash of crashes) {
      yield crash.at * 0.0002;
      if (crash.diskOnly) {
        if (!db.disk.isUp) continue;
        db.disk.crash();
        yield crash.downFor * 0.0002;
        db.disk.recover();
      } else {
        if (!db.isUp) continue;
        db.crash();
        yield crash.downFor * 0.0002;
        db.recover();
      }
    }
  });
  sim.run();
  const s = db.stats;
  if (db instanceof LSMTree) {
    // Space amplification's numerator: the bytes of the tree's files on its disk, as counted.
    let held = 0;
    for (const file of db.disk.files()) {
      if (!file.startsWith("db.")) continue;
      for (const record of db.disk.records(file)) held += record.keptBytes;
    }
    if (db.stats.fileBytes !== held)
      problems.push(`fileBytes ${db.stats.fileBytes}, disk holds ${held}`);
  }
  if (s.requests !== s.completed + s.rejected + s.lostToCrash + s.active + s.queued) {
    problems.push(`identity: ${JSON.stringify(s)}`);
  }
  // What the engine holds after everything drained.
  let all: { key: string; value: number }[] = [];
  new Entity(sim, "checker").start(function* () {
    all = yield* db.scan({});
  });
  sim.run();
  const final = new Map(all.map((e) => [e.key, e.value]));
  const end = readStart();
  for (let k = 0; k < KEYS; k++) check("final scan", k, final.get(keyName(k)), end);
  // And after one more crash, from the disk alone.
  db.crash();
  db.recover();
  let recovered: { key: string; value: number }[] = [];
  new Entity(sim, "checker-2").start(function* () {
    recovered = yield* db.scan({});
  });
  sim.run();
  const after = new Map(recovered.map((e) => [e.key, e.value]));
  for (let k = 0; k < KEYS; k++) check("scan after a last crash", k, after.get(keyName(k)), end);
  return { problems };
}

describe("storage engines vs a Map oracle under random crashes", () => {
  for (const kind of ["leveled", "sizeTiered", "fifo", "btree"] as const) {
    it(`${kind}: every acknowledged write present, nothing never written`, () => {
      fc.assert(
        fc.property(
          fc.integer({ min: 1, max: 1_000_000 }),
          fc.array(fc.array(opArb, { minLength: 10, maxLength: 60 }), {
            minLength: 1,
            maxLength: 3,
          }),
          fc.array(crashArb, { maxLength: 4 }),
          (seed, scripts, crashes) => {
            const { problems } = runCase(kind, seed, scripts, crashes);
            expect(problems).toEqual([]);
          },
        ),
        {
          numRuns: Number(process.env.ENGINE_RUNS ?? 60),
          seed: Number(process.env.ENGINE_SEED ?? 18),
        },
      );
    });
  }
});
