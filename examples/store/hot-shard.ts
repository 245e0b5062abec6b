/**
 * ShardedStore: a hot shard under skewed keys, and what range, hash and consistent-hash
 * sharding do to it; then what adding a fifth shard moves under each.
 *
 * Scenario: 2,000 requests/s (reads and writes) over 10,000 keys named by popularity rank
 * ("k00000" is the most popular), Zipf s = 1.1, on 4 shards that serve 4 requests at once in
 * ~2 ms (lognormal): about 2,000 requests/s each, so the whole store could serve four times
 * the load.
 *
 *   1. Range sharding with even splits of the key space (k02500, k05000, k07500) puts the
 *      popular keys together: the first shard gets 91% of the requests (3.65 times the mean),
 *      runs near its limit and queues, and the store's p99 is that shard's, 20 ms, five times
 *      the others'. Hash and consistent hash spread the popular keys over all four; what is
 *      left is the hottest key itself (about an eighth of all traffic), which stays on one
 *      shard whatever the strategy: that shard carries 36% (max/mean about 1.45), still far
 *      from its limit, so p99 stays at 4 ms.
 *   2. Adding a fifth shard: consistent hashing moves 24% of the keys (about 1/(n+1) = 20%;
 *      the virtual nodes' arcs are not exactly even), all to the new shard; range sharding
 *      moves only the keys of the range it splits (the new shard takes k00005 to k02500 of the
 *      hot range); hash mod n moves four keys in five, most of them between old shards.
 *
 * Columns: each shard's share of the requests, the busiest shard's requests over the mean
 * (1 is even), and the p99 of all requests and of the busiest shard's.
 *
 * Run: npx tsx --conditions=distsim-source examples/store/hot-shard.ts
 */
import {
  arrivals,
  consistentHashSharding,
  dist,
  Entity,
  hashSharding,
  KVStore,
  keys,
  RemoteError,
  rangeSharding,
  ShardedStore,
  type Sharding,
  Simulation,
  Source,
} from "distsim";
import { formatTable } from "../support/table.js";

const SEED = 5;
const REQUESTS_PER_S = 2000;
const KEYS = 10_000;
const ZIPF_EXPONENT = 1.1;
const SHARDS = 4;
const SHARD_CONCURRENCY = 4;
const LATENCY = dist.lognormal({ median: 0.002, sigma: 0.3 });
const WARMUP_S = 2;
const RUN_S = 12;
const EVEN_SPLITS = ["k02500", "k05000", "k07500"];
/** Where a fifth shard splits the first (hot) range. */
const HOT_SPLIT = "k00005";

const keyName = (rank: number) => `k${String(rank).padStart(5, "0")}`;

function strategies(): [string, Sharding][] {
  return [
    ["range", rangeSharding({ splits: EVEN_SPLITS })],
    ["hash", hashSharding()],
    ["consistent hash", consistentHashSharding()],
  ];
}

function build(sharding: Sharding) {
  const sim = new Simulation({ seed: SEED });
  const shards = Array.from(
    { length: SHARDS },
    (_, i) =>
      new KVStore<number>(sim, `shard-${i}`, {
        readLatency: LATENCY,
        writeLatency: LATENCY,
        concurrency: SHARD_CONCURRENCY,
      }),
  );
  const store = new ShardedStore<number>(sim, "store", { shards, sharding });
  return { sim, shards, store };
}

/** Sends each arrival to the store: one request in four a write, the rest reads. */
class Users extends Entity<number> {
  private readonly next = keys.zipf(KEYS, ZIPF_EXPONENT).begin(this.random("keys"));
  constructor(
    sim: Simulation,
    private readonly store: ShardedStore<number>,
  ) {
    super(sim, "users");
  }
  override *handle(arrival: { payload: number }) {
    const key = keyName(this.next());
    try {
      if (arrival.payload % 4 === 0) yield* this.store.put(key, arrival.payload);
      else yield* this.store.get(key);
    } catch (error) {
      if (!(error instanceof RemoteError)) throw error;
    }
  }
}

function hotShard(name: string, sharding: Sharding): string[] {
  const { sim, store } = build(sharding);
  new Source<number>(sim, "load", {
    target: new Users(sim, store),
    arrivals: arrivals.poisson(REQUESTS_PER_S),
    payload: (i) => i,
  });
  sim.run({ until: RUN_S, warmup: WARMUP_S });
  const load = store.shardLoad;
  const busiest = load.reduce((a, b) => (b.requests > a.requests ? b : a));
  return [
    name,
    ...load.map((l) => `${(100 * l.share).toFixed(1)}%`),
    store.stats.loadImbalance.toFixed(2),
    millis(store.latencyHistogram.p99),
    millis(busiest.latency.p99),
  ];
}

/** Loads every key onto its shard, adds a fifth shard and lets the migration finish. */
function addShard(name: string, sharding: Sharding): string[] {
  const { sim, shards, store } = build(sharding);
  for (const shard of shards) {
    shard.load(
      Array.from({ length: KEYS }, (_, rank) => keyName(rank))
        .filter((key) => store.shardOf(key) === shard)
        .map((key) => [key, 0] as const),
    );
  }
  const fifth = new KVStore<number>(sim, "shard-4", {
    readLatency: LATENCY,
    writeLatency: LATENCY,
  });
  const split = name === "range" ? HOT_SPLIT : undefined;
  sim.at(0, () => store.addShard(fifth, { split }));
  sim.run();
  const moved = store.stats.keysMoved;
  return [
    name,
    split === undefined ? "" : `at ${split}`,
    String(moved),
    `${((100 * moved) / KEYS).toFixed(1)}%`,
    String(fifth.size),
  ];
}

const millis = (seconds: number) => (seconds * 1000).toFixed(1);

console.log(
  `ShardedStore: ${REQUESTS_PER_S} requests/s (3 reads : 1 write) over ${KEYS.toLocaleString("en-US")} keys ` +
    `named by popularity (Zipf s = ${ZIPF_EXPONENT}) on ${SHARDS} shards of ${SHARD_CONCURRENCY} slots (~2 ms); ` +
    `measured ${WARMUP_S}-${RUN_S} s (seed ${SEED})\n`,
);
console.log(
  formatTable(
    [
      "sharding",
      ...Array.from({ length: SHARDS }, (_, i) => `shard-${i}`),
      "max/mean",
      "p99 (ms)",
      "busiest p99 (ms)",
    ],
    strategies().map(([name, sharding]) => hotShard(name, sharding)),
  ),
);
console.log(`\nAdding a fifth shard to ${KEYS.toLocaleString("en-US")} keys:\n`);
console.log(
  formatTable(
    ["sharding", "split", "keys moved", "share moved", "keys on the new shard"],
    strategies().map(([name, sharding]) => addShard(name, sharding)),
  ),
);
