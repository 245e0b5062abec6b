/**
 * Bulkhead: keep one stalled dependency from taking every worker.
 *
 * Scenario: a web frontend with 20 workers serves two kinds of page. Profile pages (180/s)
 * call a profile service that answers in ~5 ms; report pages (20/s) call a reports service
 * that normally answers in ~50 ms. Each page holds a worker while it waits for its
 * dependency (up to a 2 s timeout); pages that find every worker busy wait in a queue of 50,
 * and users give up after 1 s. Then the reports service stalls: it takes 10 s per request.
 *
 *   - Shared pool: report pages now hold a worker for the full 2 s timeout. Twenty of them
 *     arrive every second, so within a second all 20 workers are waiting on reports, and
 *     profile pages (whose dependency is perfectly healthy) queue behind them, time out or
 *     are turned away. One slow dependency took the whole service down.
 *   - With a bulkhead on the reports calls (at most 5 at once, none waiting): report pages
 *     beyond the 5 fail at once and free their worker; 15 workers stay for profile pages,
 *     which keep their latency and success rate. Report pages fail either way; the bulkhead
 *     makes them fail fast and alone.
 *
 * Columns: what the users saw over 30 s, per kind of page (a page succeeds if the user got
 * it within 1 s); latency percentiles are of successful pages; "pages turned away" counts
 * pages the frontend refused because every worker and waiting place was taken.
 *
 * Run: npx tsx --conditions=distsim-source examples/resilience/bulkhead.ts
 */
import {
  arrivals,
  Bulkhead,
  Client,
  dist,
  Entity,
  type Grant,
  type Message,
  RemoteError,
  Resource,
  Server,
  Simulation,
  Source,
} from "distsim";
import { formatTable } from "../support/table.js";

const SEED = 3;
const WORKERS = 20;
const FRONTEND_QUEUE = 50;
const DEPENDENCY_TIMEOUT_S = 2;
const USER_TIMEOUT_S = 1;
const PROFILE_RATE_PER_S = 180;
const REPORT_RATE_PER_S = 20;
const PROFILE_SERVICE = dist.exponential(0.005);
const REPORT_SERVICE = dist.exponential(0.05);
const STALLED_REPORT_SERVICE = dist.constant(10);
const BULKHEAD_SLOTS = 5;
const RUN_FOR_S = 30;

/**
 * The frontend: a fixed pool of workers (a `Resource`). A page holds a worker from the moment
 * it starts until its dependency answers (or the call times out); pages that find every
 * worker busy wait in FIFO order, up to FRONTEND_QUEUE of them.
 */
class Frontend extends Entity<number, number> {
  private readonly workers = new Resource(this, {
    name: "workers",
    capacity: WORKERS,
    queueCapacity: FRONTEND_QUEUE,
  });
  constructor(
    sim: Simulation,
    private readonly profiles: Entity<number, number>,
    private readonly reports: Entity<number, number>,
  ) {
    super(sim, "frontend");
  }

  /** Pages refused because every worker and waiting place was taken. */
  get turnedAway(): number {
    return this.workers.stats.rejected;
  }

  override *handle(page: Message<number>) {
    let worker: Grant;
    try {
      worker = yield* this.workers.acquire(); // a finishing page hands its worker over
    } catch (error) {
      if (!(error instanceof RemoteError)) throw error;
      this.fail(page, "overloaded");
      return;
    }
    try {
      const dependency = page.kind === "profile" ? this.profiles : this.reports;
      const answer = yield* this.call(dependency, page.kind, page.payload, {
        timeout: DEPENDENCY_TIMEOUT_S,
      });
      this.reply(page, answer);
    } catch (error) {
      this.fail(page, error instanceof RemoteError ? error.reason : "dependency timed out");
    } finally {
      this.workers.release(worker);
    }
  }
}

const notes: string[] = [];

function run(stalled: boolean, bulkhead: boolean): string[] {
  const sim = new Simulation({ seed: SEED });
  const profiles = new Server<number, number>(sim, "profile-service", {
    concurrency: 64,
    serviceTime: PROFILE_SERVICE,
  });
  const reports = new Server<number, number>(sim, "reports-service", {
    concurrency: 64,
    serviceTime: stalled ? STALLED_REPORT_SERVICE : REPORT_SERVICE,
  });
  const reportsPath = bulkhead
    ? new Bulkhead<number, number>(sim, "reports-bulkhead", {
        target: reports,
        maxConcurrent: BULKHEAD_SLOTS,
        // Without it a slot stays taken until the stalled service answers (10 s), long after
        // the frontend gave up on the call.
        timeout: DEPENDENCY_TIMEOUT_S,
      })
    : reports;
  const frontend = new Frontend(sim, profiles, reportsPath);
  const users = (kind: string, rate: number) => {
    const client = new Client<number, number>(sim, `${kind}-users`, {
      target: frontend,
      kind,
      timeout: USER_TIMEOUT_S,
    });
    new Source(sim, `${kind}-load`, {
      target: client,
      arrivals: arrivals.poisson(rate),
      stopAfter: { time: RUN_FOR_S },
    });
    return client;
  };
  const profileUsers = users("profile", PROFILE_RATE_PER_S);
  const reportUsers = users("report", REPORT_RATE_PER_S);
  sim.run({ until: RUN_FOR_S + 5 });
  if (reportsPath instanceof Bulkhead) {
    const b = reportsPath.stats;
    notes.push(
      `The bulkhead forwarded ${b.forwarded} report calls (each held a worker and a slot until its 2 s timeout) ` +
        `and refused ${b.rejected} at once ("bulkhead full"), freeing their workers for profile pages.`,
    );
  }
  const ok = (client: Client<number, number>) =>
    `${((100 * client.stats.succeeded) / client.stats.requests).toFixed(1)}%`;
  const ms = (seconds: number) => (seconds * 1000).toFixed(1);
  return [
    stalled ? "stalled (10 s)" : "healthy",
    bulkhead ? `bulkhead (${BULKHEAD_SLOTS} calls)` : "shared pool",
    ok(profileUsers),
    ms(profileUsers.latency.p50),
    ms(profileUsers.latency.p99),
    ok(reportUsers),
    String(frontend.turnedAway),
  ];
}

console.log(
  `Bulkhead: a frontend with ${WORKERS} workers serves profile pages (${PROFILE_RATE_PER_S}/s, ~5 ms dependency) ` +
    `and report pages (${REPORT_RATE_PER_S}/s, ~50 ms dependency); ${RUN_FOR_S} s, users wait ${USER_TIMEOUT_S} s (seed ${SEED})\n`,
);
console.log(
  formatTable(
    [
      "reports service",
      "frontend",
      "profile ok",
      "profile p50 (ms)",
      "profile p99 (ms)",
      "reports ok",
      "pages turned away",
    ],
    [run(false, false), run(true, false), run(true, true)],
  ),
);
console.log(`\n${notes.join("\n")}`);
