/**
 * Lock contention turning into latency: one hot row behind a mutex, the same row split into
 * shards, and a readers-writer lock, under the same read-mostly load.
 *
 * Scenario: 500 transactions a second (Poisson) touch one hot row: 90% read it (2 ms of work
 * under the lock), 10% write it (4 ms). A transaction gives up after waiting 1 s for its
 * lock. For 30 s:
 * - mutex: every transaction takes the row's one mutex. The lock can serve one transaction at
 *   a time, ~455/s at this mix: below the offered 500/s, so the line grows until transactions
 *   give up, and the ones that get through waited most of a second.
 * - sharded: the row is split into 8 shards (a counter kept as 8 partial counts), each behind
 *   its own mutex; a transaction touches one shard, chosen at random. Each lock sees 1/8 of
 *   the load and hardly anyone waits.
 * - rwlock: one readers-writer lock. Reads share it, so the lock is busy only while a write
 *   holds it (10% of transactions, 20% of the time) or waits for readers to drain; writer
 *   preference makes reads queue behind a waiting write, which is where their tail comes
 *   from.
 *
 * Run: npx tsx --conditions=distsim-source examples/resource/lock-contention.ts
 */
import {
  arrivals,
  Entity,
  type LockHold,
  type Message,
  Mutex,
  RWLock,
  type RWLockHold,
  Simulation,
  Source,
  TimeoutError,
} from "distsim";
import { formatTable, percentile } from "../support/table.js";

const SEED = 7;
const RUN_FOR_S = 30;
const TXN_PER_S = 500;
const READ_FRACTION = 0.9;
const READ_WORK_S = 0.002;
const WRITE_WORK_S = 0.004;
const MAX_LOCK_WAIT_S = 1;
const SHARDS = 8;

type Design = "mutex" | "sharded" | "rwlock";

/** Runs each arriving transaction: takes the lock its design asks for, works, releases. */
class Transactions extends Entity<number> {
  readonly latencies: number[] = [];
  timedOut = 0;
  private readonly mutexes: Mutex[];
  private readonly rwLock: RWLock;
  constructor(
    sim: Simulation,
    private readonly design: Design,
  ) {
    super(sim, "transactions");
    const db = new Entity(sim, "db");
    const locks = design === "sharded" ? SHARDS : 1;
    this.mutexes = Array.from({ length: locks }, (_, i) => new Mutex(db, { name: `row/${i}` }));
    this.rwLock = new RWLock(db, { name: "row" });
  }

  override *handle(_arrival: Message<number>) {
    const at = this.now;
    const mix = this.random("mix");
    const isRead = mix.next() < READ_FRACTION;
    const work = isRead ? READ_WORK_S : WRITE_WORK_S;
    const options = { maxWait: MAX_LOCK_WAIT_S };
    try {
      if (this.design === "rwlock") {
        const hold: RWLockHold = isRead
          ? yield* this.rwLock.acquireRead(options)
          : yield* this.rwLock.acquireWrite(options);
        try {
          yield work;
        } finally {
          this.rwLock.release(hold);
        }
      } else {
        const mutex = this.mutexes[mix.integer(this.mutexes.length)]!;
        const hold: LockHold = yield* mutex.acquire(options);
        try {
          yield work;
        } finally {
          mutex.release(hold);
        }
      }
    } catch (error) {
      if (!(error instanceof TimeoutError)) throw error;
      this.timedOut++;
      return;
    }
    this.latencies.push(this.now - at);
  }
}

function run(design: Design) {
  const sim = new Simulation({ seed: SEED });
  const transactions = new Transactions(sim, design);
  new Source(sim, "clients", {
    target: transactions,
    arrivals: arrivals.poisson(TXN_PER_S),
    stopAfter: { time: RUN_FOR_S },
  });
  sim.run({ until: RUN_FOR_S });
  return transactions;
}

const rows: string[][] = [];
for (const design of ["mutex", "sharded", "rwlock"] as const) {
  const { latencies, timedOut } = run(design);
  rows.push([
    design,
    (latencies.length / RUN_FOR_S).toFixed(1),
    String(timedOut),
    (percentile(latencies, 0.5) * 1000).toFixed(1),
    (percentile(latencies, 0.99) * 1000).toFixed(1),
  ]);
}

console.log(
  `One hot row, ${TXN_PER_S} transactions/s for ${RUN_FOR_S} s: ${READ_FRACTION * 100}% reads (${READ_WORK_S * 1000} ms), ` +
    `${Math.round((1 - READ_FRACTION) * 100)}% writes (${WRITE_WORK_S * 1000} ms); a transaction gives up after ${MAX_LOCK_WAIT_S} s waiting for its lock (seed ${SEED})\n`,
);
console.log(
  formatTable(["design", "committed /s", "gave up", "p50 latency (ms)", "p99 latency (ms)"], rows),
);
