/**
 * A concurrency limit in front of a database that slows down when too many queries run at
 * once: why a `Semaphore` of the right size beats no limit, and why too small a one hurts too.
 *
 * Scenario: 1,300 queries a second (Poisson) for 60 s. A query alone takes 5 ms (exponential).
 * Queries running together slow each other down the way the Universal Scalability Law says
 * real databases do (contention sigma = 0.05, coherency kappa = 0.002): with N running, each
 * takes 5 ms x (1 + sigma (N - 1) + kappa N (N - 1)), so the database's throughput N / time
 * peaks at about 1,480/s near N = 22 and falls beyond it (1,050/s at 64, 440/s at 200). A
 * query's time is set when it starts, from how many run with it then. A caller gives up after
 * 1 s: a query that waits for a permit that long is never sent, but one already running runs to
 * the end, as a database does not know its client left.
 *
 * - no limit: every query goes straight in. Once more run than the peak, each arrival makes
 *   the next queries slower, fewer finish per second than arrive, more run at once, and the
 *   database thrashes: tens of thousands running, most answers after the caller left.
 * - 4 permits: the database never thrashes but does only ~680/s at 4 at a time: the line
 *   grows, almost half the callers give up waiting, and most of the rest wait so long that
 *   their answer comes after they gave up.
 * - 22 permits: near the peak; the excess waits briefly for a permit and everything is served.
 *
 * Run: npx tsx --conditions=distsim-source examples/resource/concurrency-limit.ts
 */
import {
  arrivals,
  Entity,
  type LockHold,
  type Message,
  Semaphore,
  Simulation,
  Source,
  TimeoutError,
} from "distsim";
import { formatTable, percentile } from "../support/table.js";

const SEED = 11;
const RUN_FOR_S = 60;
const QUERIES_PER_S = 1300;
const QUERY_ALONE_S = 0.005;
const SIGMA = 0.05;
const KAPPA = 0.002;
const CALLER_PATIENCE_S = 1;

/** Seconds a query takes, on average, with `running` queries in the database (itself included). */
function meanQueryTime(running: number): number {
  return QUERY_ALONE_S * (1 + SIGMA * (running - 1) + KAPPA * running * (running - 1));
}

/** Runs each arriving query, behind the permit limit if there is one. */
class App extends Entity<number> {
  readonly answered: number[] = [];
  gaveUpWaiting = 0;
  answeredTooLate = 0;
  running = 0;
  peakRunning = 0;
  private readonly permits: Semaphore | null;
  private readonly queryTime = this.random("query");

  constructor(sim: Simulation, limit: number | null) {
    super(sim, "app");
    const db = new Entity(sim, "db");
    this.permits =
      limit === null ? null : new Semaphore(db, { name: "db-permits", permits: limit });
  }

  override *handle(_arrival: Message<number>) {
    const at = this.now;
    if (this.permits === null) {
      yield* this.query();
    } else {
      let hold: LockHold;
      try {
        hold = yield* this.permits.acquire({ maxWait: CALLER_PATIENCE_S });
      } catch (error) {
        if (!(error instanceof TimeoutError)) throw error;
        this.gaveUpWaiting++;
        return;
      }
      try {
        yield* this.query();
      } finally {
        this.permits.release(hold);
      }
    }
    const latency = this.now - at;
    if (latency > CALLER_PATIENCE_S) this.answeredTooLate++;
    else this.answered.push(latency);
  }

  private *query() {
    this.running++;
    this.peakRunning = Math.max(this.peakRunning, this.running);
    try {
      yield this.queryTime.exponential(meanQueryTime(this.running));
    } finally {
      this.running--;
    }
  }
}

function run(limit: number | null) {
  const sim = new Simulation({ seed: SEED });
  const app = new App(sim, limit);
  new Source(sim, "callers", {
    target: app,
    arrivals: arrivals.poisson(QUERIES_PER_S),
    stopAfter: { time: RUN_FOR_S },
  });
  sim.run({ until: RUN_FOR_S });
  return app;
}

const rows: string[][] = [];
for (const limit of [null, 4, 22]) {
  const app = run(limit);
  rows.push([
    limit === null ? "no limit" : `${limit} permits`,
    (app.answered.length / RUN_FOR_S).toFixed(0),
    String(app.gaveUpWaiting),
    String(app.answeredTooLate),
    String(app.peakRunning),
    (percentile(app.answered, 0.5) * 1000).toFixed(1),
    (percentile(app.answered, 0.99) * 1000).toFixed(1),
  ]);
}

console.log(
  `${QUERIES_PER_S} queries/s for ${RUN_FOR_S} s into a database that peaks at ~1,480/s with ~22 running ` +
    `(USL sigma ${SIGMA}, kappa ${KAPPA}, ${QUERY_ALONE_S * 1000} ms alone); callers give up after ${CALLER_PATIENCE_S} s (seed ${SEED})\n`,
);
console.log(
  formatTable(
    [
      "limit",
      "answered in time /s",
      "gave up waiting",
      "answered too late",
      "peak running",
      "p50 (ms)",
      "p99 (ms)",
    ],
    rows,
  ),
);
