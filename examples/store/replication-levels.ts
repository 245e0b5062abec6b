/**
 * ReplicatedStore: what a consistency level costs and buys, with one slow replica and with one
 * partitioned replica.
 *
 * Scenario: three replicas in one datacenter (reads ~1 ms, writes ~2 ms, lognormal), a
 * coordinator that gives a replica 50 ms before counting it timed out, read repair on. Users
 * send 600 requests/s, half reads and half writes, over 1,000 keys (Zipf, s = 1.1, so hot keys
 * are read right after they are written). Every request runs at one level for reads and
 * writes alike: ONE, QUORUM or ALL. A stale read is one that returns an older version than a
 * write acknowledged before the read arrived.
 *
 *   1. Healthy: every level answers in a few milliseconds. ONE is a little faster and already
 *      reads stale now and then (0.04%): a ONE write is acknowledged by the fastest replica,
 *      and a read that lands on another within the next millisecond misses it.
 *   2. One slow replica (40x slower: ~80 ms writes, ~40 ms reads, many past the 50 ms
 *      timeout): ONE and QUORUM writes do not wait for it. ONE reads that draw it (one in
 *      three) are slow and often stale, 6% of all reads: it has not applied the writes yet.
 *      QUORUM never reads stale but draws the slow replica in two reads of three, so its p50
 *      goes from 2 ms to 32 ms. ALL waits for the slow replica on every request and fails the
 *      59% it cannot answer within the timeout.
 *   3. One partitioned replica (cut off from 2 s to 12 s; measured from 2 s to 17 s, so the
 *      five seconds after the heal count too): a read that draws it waits the 50 ms timeout
 *      and asks another, so p99 is the timeout at ONE and QUORUM alike; ALL fails every
 *      request during the partition, two thirds of them. After the heal the replica has
 *      missed ten seconds of writes: 2% of ONE reads return old values, until a write or a
 *      read repair brings each key up to date. QUORUM still never reads stale (R + W > N).
 *
 * Columns: the level, p50 and p99 of reads and of writes (answered ones), stale reads as a
 * share of answered reads, and failed requests (the level could not be reached: "unavailable").
 *
 * Run: npx tsx --conditions=distsim-source examples/store/replication-levels.ts
 */
import {
  arrivals,
  type ConsistencyLevel,
  conditions,
  dist,
  Entity,
  KVStore,
  keys,
  Network,
  NetworkLink,
  RemoteError,
  ReplicatedStore,
  Simulation,
  type Simulation as SimulationType,
  Source,
} from "distsim";
import { formatTable } from "../support/table.js";

const SEED = 11;
const REQUESTS_PER_S = 600;
const KEYS = 1000;
const ZIPF_EXPONENT = 1.1;
const READ_MEDIAN_S = 0.001;
const WRITE_MEDIAN_S = 0.002;
const SIGMA = 0.4;
const SLOW_FACTOR = 40;
const REPLICA_TIMEOUT_S = 0.05;
const START_S = 2;
const HEAL_S = 12;
const END_S = 17;
const LEVELS: readonly ConsistencyLevel[] = ["ONE", "QUORUM", "ALL"];

type Scenario = "healthy" | "one slow replica" | "one partitioned replica";

/** Sends each arrival to the store as a read or a write at `level`. */
class Users extends Entity<number> {
  private readonly next = keys.zipf(KEYS, ZIPF_EXPONENT).begin(this.random("keys"));
  constructor(
    sim: SimulationType,
    private readonly store: ReplicatedStore<number>,
    private readonly level: ConsistencyLevel,
  ) {
    super(sim, "users");
  }
  override *handle(arrival: { payload: number }) {
    const key = `k${this.next()}`;
    try {
      if (arrival.payload % 2 === 0)
        yield* this.store.put(key, arrival.payload, { level: this.level });
      else yield* this.store.get(key, { level: this.level });
    } catch (error) {
      // Counted by the store as failed ("unavailable: ...").
      if (!(error instanceof RemoteError)) throw error;
    }
  }
}

function run(scenario: Scenario, level: ConsistencyLevel): string[] {
  const sim = new Simulation({ seed: SEED });
  const net = new Network(sim, "net", {
    defaultLink: new NetworkLink(sim, "lan", conditions.datacenter()),
  });
  const replicas = [0, 1, 2].map((i) => {
    const factor = scenario === "one slow replica" && i === 2 ? SLOW_FACTOR : 1;
    return new KVStore<number>(sim, `replica-${i}`, {
      readLatency: dist.lognormal({ median: READ_MEDIAN_S * factor, sigma: SIGMA }),
      writeLatency: dist.lognormal({ median: WRITE_MEDIAN_S * factor, sigma: SIGMA }),
    });
  });
  const store = new ReplicatedStore<number>(sim, "store", {
    replicas,
    replicaTimeout: REPLICA_TIMEOUT_S,
  });
  if (scenario === "one partitioned replica") {
    sim.at(START_S, () => net.partition([store], [replicas[2]!]));
    sim.at(HEAL_S, () => net.heal());
  }
  new Source<number>(sim, "load", {
    target: new Users(sim, store, level),
    arrivals: arrivals.poisson(REQUESTS_PER_S),
    payload: (i) => i,
  });
  sim.run({ until: END_S, warmup: START_S });
  const reads = store.readLatencyAt(level);
  const writes = store.writeLatencyAt(level);
  const { reads: answered, stale } = store.staleReadsAt(level);
  const failed = store.stats.failed;
  return [
    scenario,
    level,
    millis(reads.p50),
    millis(reads.p99),
    millis(writes.p50),
    millis(writes.p99),
    `${((100 * stale) / answered).toFixed(2)}%`,
    `${((100 * failed) / store.stats.requests).toFixed(1)}%`,
  ];
}

const millis = (seconds: number) => (Number.isNaN(seconds) ? "-" : (seconds * 1000).toFixed(1));

console.log(
  `ReplicatedStore: 3 replicas, ${REQUESTS_PER_S} requests/s (half reads, half writes, Zipf s = ${ZIPF_EXPONENT} over ${KEYS} keys), ` +
    `replica timeout ${REPLICA_TIMEOUT_S * 1000} ms, read repair on; measured ${START_S}-${END_S} s (seed ${SEED})\n`,
);
const rows: string[][] = [];
for (const scenario of ["healthy", "one slow replica", "one partitioned replica"] as const) {
  for (const level of LEVELS) rows.push(run(scenario, level));
}
console.log(
  formatTable(
    [
      "scenario",
      "level",
      "read p50 (ms)",
      "read p99 (ms)",
      "write p50 (ms)",
      "write p99 (ms)",
      "stale reads",
      "failures",
    ],
    rows,
  ),
);
