/**
 * Deadlocks between transactions that lock two rows in opposite orders, and what finding them
 * is worth: detection on every block, a periodic detector, or only a lock wait timeout.
 *
 * Scenario: money moves between two hot accounts, A and B, 40 transfers a second (Poisson).
 * A transfer is one transaction of two queries: update the source account, then the target
 * (each ~4 ms, exponential), then commit. Transfers from A to B lock A then B; from B to A,
 * B then A. Two of them in flight in opposite directions can each hold the row the other
 * wants next: a deadlock, which no amount of waiting ends. Every other transfer queues behind
 * the two stuck rows. The database has 20 connections (callers give up after 5 s); aborted
 * transfers are not retried. For 60 s:
 * - ordered: every transfer locks A before B, whatever its direction (the usual fix: one lock
 *   order). No deadlock can form; this is the baseline.
 * - onBlock: opposite orders; the lock manager looks for a cycle each time a request blocks
 *   (InnoDB's way) and aborts the youngest member the instant the cycle closes.
 * - every 1 s: opposite orders; a detector scans the wait-for graph once a second (SQL Server's
 *   lock monitor runs every 5 s). A cycle stays until the next scan.
 * - timeout only: opposite orders, no detection; the 2 s lock wait timeout ends the deadlock
 *   (MySQL's default is 50 s, PostgreSQL's lock_timeout is off by default).
 *
 * What it shows: detection on every block costs a few aborted transfers (each victim is
 * aborted when its cycle closes, so nobody is stuck) and keeps latency at the no-deadlock
 * baseline. A slow way out is far worse than the aborts suggest: while a cycle stands, every
 * transfer behind the two rows queues, and when it is broken the queue holds transfers in both
 * directions, which are granted one row each and deadlock again at once. Each new cycle waits
 * for the next scan (or the timeout), so the backlog never drains: commits fall to under one a
 * second and most transfers end in a lock wait timeout, with the 1 s detector hardly better
 * than the 2 s timeout alone.
 *
 * Columns: commits/s over the run; aborts by reason (deadlock victims, lock wait timeouts,
 * callers that got no connection); mean time stuck, the mean wait of the lock waits that
 * ended in an abort (a victim found at once waited 0 s); the mean delay from a cycle closing to
 * its detection; the p99 latency of committed transfers (from asking for a connection to the
 * commit).
 *
 * Run: npx tsx --conditions=distsim-source examples/database/deadlock.ts
 */
import {
  arrivals,
  Database,
  type DeadlockDetection,
  dist,
  Entity,
  LockManager,
  type Message,
  Simulation,
  Source,
  TimeoutError,
  TransactionAbortedError,
} from "distsim";
import { formatTable } from "../support/table.js";

const SEED = 11;
const RUN_FOR_S = 60;
const TRANSFERS_PER_S = 20;
const QUERY_MEAN_S = 0.004;
const CONNECTIONS = 20;
const ACQUIRE_TIMEOUT_S = 5;
const LOCK_WAIT_TIMEOUT_S = 2;

interface Mode {
  readonly name: string;
  readonly opposite: boolean;
  readonly detection: DeadlockDetection;
}

const MODES: readonly Mode[] = [
  { name: "ordered", opposite: false, detection: "onBlock" },
  { name: "onBlock", opposite: true, detection: "onBlock" },
  { name: "every 1 s", opposite: true, detection: { interval: 1 } },
  { name: "timeout only", opposite: true, detection: "off" },
];

/** Runs each transfer it is sent (true: from A to B) as one transaction on the database. */
class Transfers extends Entity<boolean> {
  constructor(
    sim: Simulation,
    private readonly db: Database,
    private readonly opposite: boolean,
  ) {
    super(sim, "transfers");
  }

  override *handle(transfer: Message<boolean>) {
    const fromA = transfer.payload;
    const [first, second] = fromA || !this.opposite ? ["A", "B"] : ["B", "A"];
    try {
      const transaction = yield* this.db.begin();
      try {
        yield* transaction.query({ writes: [first] });
        yield* transaction.query({ writes: [second] });
        yield* transaction.commit();
      } finally {
        if (transaction.isOpen) transaction.rollback();
      }
    } catch (error) {
      // Counted by the database (aborts by reason, connection timeouts); not retried here.
      if (!(error instanceof TransactionAbortedError) && !(error instanceof TimeoutError)) {
        throw error;
      }
    }
  }
}

function run(mode: Mode) {
  const sim = new Simulation({ seed: SEED });
  const locks = new LockManager(sim, "locks", {
    lockWaitTimeout: LOCK_WAIT_TIMEOUT_S,
    deadlockDetection: mode.detection,
  });
  const db = new Database(sim, "db", {
    maxConnections: CONNECTIONS,
    acquireTimeout: ACQUIRE_TIMEOUT_S,
    queryLatency: dist.exponential(QUERY_MEAN_S),
    locks,
  });
  const transfers = new Transfers(sim, db, mode.opposite);
  new Source(sim, "clients", {
    target: transfers,
    arrivals: arrivals.poisson(TRANSFERS_PER_S),
    payload: (i) => i % 2 === 0,
    stopAfter: { time: RUN_FOR_S },
  });
  sim.run({ until: RUN_FOR_S });
  return { db: db.stats, locks: locks.stats };
}

const rows = MODES.map((mode) => {
  const { db, locks } = run(mode);
  return [
    mode.name,
    (db.committed / RUN_FOR_S).toFixed(1),
    String(db.abortedBy.deadlock),
    String(db.abortedBy.lockTimeout),
    String(db.timedOut),
    (locks.meanAbortedWait * 1000).toFixed(0),
    (locks.meanDetectionDelay * 1000).toFixed(0),
    (db.p99Latency * 1000).toFixed(0),
  ];
});

console.log(
  `Transfers between two hot rows, ${TRANSFERS_PER_S}/s for ${RUN_FOR_S} s, half A->B and half B->A; ` +
    `2 queries of ~${QUERY_MEAN_S * 1000} ms each; ${CONNECTIONS} connections; lock wait timeout ${LOCK_WAIT_TIMEOUT_S} s (seed ${SEED})\n`,
);
console.log(
  formatTable(
    [
      "mode",
      "commits/s",
      "deadlock",
      "lock timeout",
      "no connection",
      "mean time stuck (ms)",
      "detection delay (ms)",
      "p99 latency (ms)",
    ],
    rows,
  ),
);
