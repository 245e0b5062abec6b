/**
 * CachedStore: what a cold restart of a cache does to the database behind it, and why a few
 * points of hit rate are a multiple of the database's load.
 *
 * Scenario: users read 2,000 keys/s (Zipf, s = 1.3, over 100,000 keys) through a cache of
 * 10,000 entries (LRU) in front of a database with 2 connections (reads ~5 ms: about 350
 * reads/s at most). Users give up after 1 s. At 30 s the cache restarts (a deploy): it comes
 * back empty.
 *
 *   1. The restart. Warm, the cache answers 95% of reads and the database serves 100/s, under
 *      a third of what it can. In the first second after the restart the hit rate is 69% and
 *      the database is asked for 600 reads/s, six times as many, more than it can serve: its
 *      queue grows, and its p99 goes from 15 ms to three quarters of a second for four
 *      seconds, though the cache is above 83% again after one. Without coalescing, every
 *      user asking for a key whose first read is still queued sends a read of its own (the
 *      hottest key is a quarter of all traffic). With coalescing (one read per key in flight,
 *      the others wait for it) the database sees each missing key once: a quarter fewer
 *      reads in the first second, and the spike is half as high and half as long.
 *   2. The arithmetic of hit rates. The database's load is the miss rate times the traffic, so
 *      a hit rate falling 20 points, from 94% to 74% (here: the same traffic through a cache of
 *      150 entries instead of 10,000), turns 6% of misses into 26%: 4.6 times the reads. A
 *      database sized with three times headroom for the warm cache is then overloaded.
 *
 * Columns: per window, the cache's hit rate, the reads the cache sends the database per
 * second, the 99th percentile of the database's read latency (its queue included), the users'
 * p99 (over every finished request: one that gave up counts at its 1 s timeout), and how many
 * users gave up. The restart is shown in 1 s windows: its spike lasts seconds, and a 5 s
 * window would average it away.
 *
 * Run: npx tsx --conditions=distsim-source examples/store/cache-cold-restart.ts
 */
import {
  arrivals,
  CachedStore,
  Client,
  dist,
  type KVReply,
  type KVRequest,
  KVStore,
  keys,
  Simulation,
  Source,
} from "distsim";
import { formatTable } from "../support/table.js";

const SEED = 7;
const READS_PER_S = 2000;
const KEYS = 100_000;
const ZIPF_EXPONENT = 1.3;
const CACHE_ENTRIES = 10_000;
const SMALL_CACHE_ENTRIES = 150;
const DB_CONNECTIONS = 2;
const DB_READ = dist.lognormal({ median: 0.005, sigma: 0.5 });
const USER_TIMEOUT_S = 1;
const RESTART_AT_S = 30;
const WINDOW_S = 1;
const SHOW_FROM_S = 29;
const RUN_FOR_S = 37;
const WARMUP_S = 20;
const MEASURE_S = 10;

interface Model {
  sim: Simulation;
  db: KVStore<number>;
  cache: CachedStore<number>;
  users: Client<KVRequest<number>, KVReply<number>>;
}

function build(cacheEntries: number, coalesce: boolean): Model {
  const sim = new Simulation({ seed: SEED });
  const db = new KVStore<number>(sim, "db", { readLatency: DB_READ, concurrency: DB_CONNECTIONS });
  db.load(Array.from({ length: KEYS }, (_, k) => [`k${k}`, k] as const));
  const cache = new CachedStore<number>(sim, "cache", {
    backing: db,
    capacity: cacheEntries,
    eviction: "lru",
    coalesce,
  });
  const users = new Client<KVRequest<number>, KVReply<number>>(sim, "users", {
    target: cache,
    kind: "get",
    timeout: USER_TIMEOUT_S,
  });
  const nextKey = keys.zipf(KEYS, ZIPF_EXPONENT).begin(users.random("keys"));
  new Source(sim, "load", {
    target: users,
    arrivals: arrivals.poisson(READS_PER_S),
    payload: () => ({ key: `k${nextKey()}` }),
  });
  return { sim, db, cache, users };
}

const percent = (fraction: number) => `${(100 * fraction).toFixed(1)}%`;
const millis = (seconds: number) => (seconds * 1000).toFixed(1);

/** What one window (since the last statistics reset) looked like. */
function windowRow({ db, cache, users }: Model, seconds: number): string[] {
  // The database's load is what the cache sends it (its own count would also include, after a
  // statistics reset, the backlog it still holds from before).
  return [
    percent(cache.stats.hitRate),
    (cache.stats.backingReads / seconds).toFixed(0),
    millis(db.latencyOf("get").p99),
    millis(users.finishedLatency.p99),
    String(users.stats.gaveUp),
  ];
}

function restart(coalesce: boolean): string[][] {
  const model = build(CACHE_ENTRIES, coalesce);
  const { sim, cache } = model;
  const rows: string[][] = [];
  sim.at(RESTART_AT_S, () => {
    cache.crash();
    cache.recover();
  });
  for (let end = WINDOW_S; end <= RUN_FOR_S; end += WINDOW_S) {
    sim.at(end, () => {
      if (end > SHOW_FROM_S) {
        const start = end - WINDOW_S;
        const label = `${start}-${end} s${start === RESTART_AT_S ? " (restart)" : ""}`;
        rows.push([coalesce ? "coalescing" : "none", label, ...windowRow(model, WINDOW_S)]);
      }
      sim.resetStats();
    });
  }
  sim.run({ until: RUN_FOR_S });
  return rows;
}

const HEADER = ["hit rate", "db requests/s", "db p99 (ms)", "users p99 (ms)", "users gave up"];

console.log(
  `CachedStore: ${READS_PER_S} reads/s (Zipf s = ${ZIPF_EXPONENT} over ${KEYS.toLocaleString("en-US")} keys) through an LRU cache of ` +
    `${CACHE_ENTRIES.toLocaleString("en-US")} entries to a database of ${DB_CONNECTIONS} connections (~5 ms reads); ` +
    `users wait ${USER_TIMEOUT_S} s; the cache restarts empty at ${RESTART_AT_S} s (seed ${SEED})\n`,
);
console.log(
  formatTable(["coalescing", "window", ...HEADER], [...restart(false), ...restart(true)]),
);

/** The steady state of a cache of `entries`, measured after a warm-up. */
function steady(entries: number): { row: string[]; hitRate: number; dbPerSecond: number } {
  const model = build(entries, false);
  model.sim.run({ until: WARMUP_S + MEASURE_S, warmup: WARMUP_S });
  return {
    row: [entries.toLocaleString("en-US"), ...windowRow(model, MEASURE_S)],
    hitRate: model.cache.stats.hitRate,
    dbPerSecond: model.cache.stats.backingReads / MEASURE_S,
  };
}

const large = steady(CACHE_ENTRIES);
const small = steady(SMALL_CACHE_ENTRIES);
console.log(
  `\nThe same traffic, steady state (${MEASURE_S} s after a ${WARMUP_S} s warm-up), two cache sizes:\n`,
);
console.log(formatTable(["cache entries", ...HEADER], [large.row, small.row]));
console.log(
  `\nA hit rate ${(100 * (large.hitRate - small.hitRate)).toFixed(0)} points lower sends ` +
    `${(small.dbPerSecond / large.dbPerSecond).toFixed(1)} times the reads to the database (it sees only the misses), ` +
    `more than its ${DB_CONNECTIONS} connections serve: its queue grows for as long as it lasts.`,
);
