/**
 * Thread-pool isolation: one shared pool, or separate pools for slow and fast tasks?
 *
 * Scenario: a service runs two kinds of task on worker threads: 300 fast tasks/s (~5 ms of
 * work each) and 4 report tasks/s (~250 ms each, mostly waiting for a reporting database). The
 * tasks carry their own cost, so the pool reads each task's run time from the task itself
 * (`taskTime: (task) => task.seconds`), and the service submits them from model code
 * (`pool.submit(task)`). From t = 30 s to 60 s the reporting database degrades and report
 * tasks take ~2 s: 8 workers' worth of them.
 * - shared: one pool of 8 workers for both kinds;
 * - split: 4 workers for fast tasks and 4 for reports (at most 20 reports waiting).
 * Pooling is efficient while everything is healthy; but when reports slow down they take
 * every shared worker, and the fast tasks, which did nothing wrong, queue behind them.
 *
 * Run: npx tsx --conditions=distsim-source examples/server/thread-pool-isolation.ts
 */
import {
  arrivals,
  Entity,
  type Message,
  RemoteError,
  Simulation,
  Source,
  ThreadPool,
  wait,
} from "distsim";
import { formatTable, percentile } from "../support/table.js";

const SEED = 5;
const FAST_PER_S = 300;
const FAST_MEAN_S = 0.005;
const REPORTS_PER_S = 4;
const REPORT_MEAN_S = 0.25;
const DEGRADED_REPORT_MEAN_S = 2;
const DEGRADED_FROM_S = 30;
const DEGRADED_UNTIL_S = 60;
const RUN_FOR_S = 90;
const WINDOW_S = 30;
const REPORT_QUEUE = 20;

interface Task {
  readonly kind: "fast" | "report";
  readonly seconds: number;
}

/** Receives arrivals, prices each task, submits it to its pool and records the outcome. */
class Service extends Entity<"fast" | "report"> {
  readonly outcomes: { kind: "fast" | "report"; at: number; latency: number | null }[] = [];
  private readonly costs = this.random("costs");
  constructor(
    sim: Simulation,
    private readonly poolFor: (kind: "fast" | "report") => ThreadPool<Task, Task>,
  ) {
    super(sim, "service");
  }
  override *handle(arrival: Message<"fast" | "report">) {
    const kind = arrival.payload;
    const at = this.now;
    const degraded = at >= DEGRADED_FROM_S && at < DEGRADED_UNTIL_S;
    const mean = kind === "fast" ? FAST_MEAN_S : degraded ? DEGRADED_REPORT_MEAN_S : REPORT_MEAN_S;
    const task: Task = { kind, seconds: this.costs.exponential(mean) };
    try {
      yield* wait(this.poolFor(kind).submit(task));
      this.outcomes.push({ kind, at, latency: this.now - at });
    } catch (error) {
      if (!(error instanceof RemoteError)) throw error;
      this.outcomes.push({ kind, at, latency: null });
    }
  }
}

function run(layout: "shared" | "split") {
  const sim = new Simulation({ seed: SEED });
  const taskTime = (task: Task) => task.seconds;
  const shared = new ThreadPool<Task, Task>(sim, "shared", { workers: 8, taskTime });
  const fast = new ThreadPool<Task, Task>(sim, "fast", { workers: 4, taskTime });
  const reports = new ThreadPool<Task, Task>(sim, "reports", {
    workers: 4,
    taskTime,
    queueCapacity: REPORT_QUEUE,
  });
  const service = new Service(sim, (kind) =>
    layout === "shared" ? shared : kind === "fast" ? fast : reports,
  );
  for (const [kind, rate] of [
    ["fast", FAST_PER_S],
    ["report", REPORTS_PER_S],
  ] as const) {
    new Source(sim, `${kind}-arrivals`, {
      target: service,
      arrivals: arrivals.poisson(rate),
      payload: () => kind,
      stopAfter: { time: RUN_FOR_S },
    });
  }
  sim.run();
  return service.outcomes;
}

const results = { shared: run("shared"), split: run("split") };
const pick = (layout: "shared" | "split", kind: "fast" | "report", start: number) =>
  results[layout].filter((o) => o.kind === kind && o.at >= start && o.at < start + WINDOW_S);
const p99 = (layout: "shared" | "split", kind: "fast" | "report", start: number) => {
  const served = pick(layout, kind, start).filter((o) => o.latency !== null);
  return (
    percentile(
      served.map((o) => o.latency!),
      0.99,
    ) * 1000
  ).toFixed(0);
};
const refused = (layout: "shared" | "split", kind: "fast" | "report", start: number) =>
  String(pick(layout, kind, start).filter((o) => o.latency === null).length);
const rows: string[][] = [];
for (let start = 0; start < RUN_FOR_S; start += WINDOW_S) {
  const degraded = start >= DEGRADED_FROM_S && start < DEGRADED_UNTIL_S;
  rows.push([
    `${start}-${start + WINDOW_S}s${degraded ? " (reports slow)" : ""}`,
    p99("shared", "fast", start),
    p99("split", "fast", start),
    p99("shared", "report", start),
    p99("split", "report", start),
    refused("split", "report", start),
  ]);
}
console.log(
  `Thread-pool isolation: ${FAST_PER_S} fast tasks/s (~${FAST_MEAN_S * 1000} ms) and ${REPORTS_PER_S} reports/s (~${REPORT_MEAN_S * 1000} ms, ~${DEGRADED_REPORT_MEAN_S} s while slow) (seed ${SEED})\n`,
);
console.log(
  formatTable(
    [
      "submitted in",
      "fast p99 ms, shared 8",
      "fast p99 ms, split 4+4",
      "report p99 ms, shared 8",
      "report p99 ms, split 4+4",
      "reports refused, split",
    ],
    rows,
  ),
);
console.log(
  "\nShared, slow reports take every worker and fast tasks queue behind them; split, the fast" +
    "\ntasks never notice, and only reports pay (a longer wait, some refused).",
);
