/**
 * Checkers: a stale read caught by the linearizability checker.
 *
 * Scenario: a ReplicatedStore over three replicas, one of them slow (writes take 200 ms there,
 * 1 ms elsewhere), reads and writes at consistency level ONE. A writer puts 1, 2, 3 under key
 * "x", 100 ms apart; a reader reads "x" every 30 ms. A write at ONE is acknowledged by the
 * first replica that applies it; a read at ONE asks one replica, drawn at random. When the
 * reader draws the slow replica after a write was acknowledged, it gets the value before:
 * a stale read. The statistics count it (`staleReads`); the history proves it: no order of the
 * operations explains what the reader saw.
 *
 * Every operation goes through a `HistoryRecorder` (the store's process API, wrapped): an
 * invoke and an ok at simulated time. `checkLinearizability` with the key-value model then
 * prints the verdict, the read that cannot be placed, what the key could hold instead, and the
 * timeline of the operations around it. The same store at QUORUM passes (R + W > N).
 *
 * Run: npx tsx --conditions=distsim-source examples/checkers/stale-read.ts
 */
import {
  type ConsistencyLevel,
  checkLinearizability,
  Entity,
  formatLinearizability,
  HistoryRecorder,
  KVStore,
  models,
  ReplicatedStore,
  Simulation,
} from "distsim";

const SEED = 3;
const FAST_S = 0.001;
const SLOW_WRITE_S = 0.2;
const WRITE_EVERY_S = 0.1;
const READ_EVERY_S = 0.03;
const READS = 12;

function run(level: ConsistencyLevel): string {
  const sim = new Simulation({ seed: SEED });
  const replicas = [
    new KVStore<number>(sim, "replica-a", { readLatency: FAST_S, writeLatency: FAST_S }),
    new KVStore<number>(sim, "replica-b", { readLatency: FAST_S, writeLatency: FAST_S }),
    new KVStore<number>(sim, "replica-slow", { readLatency: FAST_S, writeLatency: SLOW_WRITE_S }),
  ];
  const store = new ReplicatedStore<number>(sim, "store", {
    replicas,
    readLevel: level,
    writeLevel: level,
    replicaTimeout: 1,
  });
  const history = new HistoryRecorder(sim);
  const writer = history.store(store, { process: 0 });
  const reader = history.store(store, { process: 1 });
  class Clients extends Entity {
    constructor() {
      super(sim, "clients");
      this.start(this.write);
      this.start(this.read);
    }
    private *write() {
      for (const value of [1, 2, 3]) {
        yield* writer.put("x", value);
        yield WRITE_EVERY_S;
      }
    }
    private *read() {
      for (let i = 0; i < READS; i++) {
        yield READ_EVERY_S;
        yield* reader.get("x");
      }
    }
  }
  new Clients();
  sim.run();
  const result = checkLinearizability(history.history, models.kv());
  return `Level ${level}: ${history.history.length} events, ${store.stats.staleReads} stale reads counted by the store\n${formatLinearizability(result)}`;
}

console.log(run("ONE"));
console.log(run("QUORUM"));
