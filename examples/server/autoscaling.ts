/**
 * Autoscaling: a dynamic concurrency limit against a fixed one, through a traffic spike.
 *
 * Scenario: each worker (an instance) serves requests in ~50 ms (exponential), so 20/s. Load
 * is 60 requests/s, except from t = 40 s to 80 s, when 160/s arrive. Three ways to provision:
 * - fixed at 4 workers (80/s): cheap, and overwhelmed by the spike;
 * - fixed at 12 workers (240/s): never overwhelmed, and paying for 12 all the time;
 * - autoscaled with `concurrency.dynamic({ initial: 4, min: 4, max: 12 })`: every 5 s an
 *   autoscaler looks at the queue; if requests are waiting it asks for twice the workers,
 *   which take 10 s to boot (then `setLimit` raises the limit and the queue drains at once);
 *   when half the workers are idle and nothing waits, it removes one (`setLimit` lowers the
 *   limit without cutting short requests in service).
 * The queue holds at most 200 requests; beyond it, requests are refused at once.
 *
 * Run: npx tsx --conditions=distsim-source examples/server/autoscaling.ts
 */
import {
  arrivals,
  concurrency,
  type DynamicConcurrency,
  dist,
  Entity,
  profile,
  Server,
  Simulation,
  Source,
  TimeWeightedGauge,
} from "distsim";
import { RecordingCaller } from "../support/recordingCaller.js";
import { formatTable, percentile } from "../support/table.js";

const SEED = 23;
const SERVICE_MEAN_S = 0.05;
const LOAD = profile.step(60, [
  { at: 40, value: 160 },
  { at: 80, value: 60 },
]);
const RUN_FOR_S = 120;
const WINDOW_S = 10;
const QUEUE_CAPACITY = 200;
const MIN_WORKERS = 4;
const MAX_WORKERS = 12;
const STEP_WORKERS = 4;
const CHECK_EVERY_S = 2;
const BOOT_S = 6;

/** Adds STEP_WORKERS when requests wait (after a boot delay); removes one when half idle. */
class Autoscaler extends Entity {
  readonly workers: TimeWeightedGauge;
  /** Workers at the end of each window, by window index. */
  readonly workersAt: number[] = [];
  private booting = false;
  constructor(
    sim: Simulation,
    private readonly server: Server<number, number>,
    private readonly limit: DynamicConcurrency,
  ) {
    super(sim, "autoscaler");
    this.workers = new TimeWeightedGauge(sim, limit.limit);
    this.after(CHECK_EVERY_S, this.check, undefined, { daemon: true });
  }
  private readonly check = (): void => {
    const { queued, inUse, limit } = this.server.stats;
    if (queued > 0 && !this.booting && limit < this.limit.max) {
      this.booting = true;
      this.after(BOOT_S, () => {
        this.booting = false;
        this.setWorkers(Math.min(this.limit.max, this.limit.limit + STEP_WORKERS));
      });
    } else if (queued === 0 && !this.booting && inUse * 2 <= limit && limit > this.limit.min) {
      this.setWorkers(limit - 1);
    }
    if (Math.round(this.now / CHECK_EVERY_S) % (WINDOW_S / CHECK_EVERY_S) === 0) {
      this.workersAt.push(this.limit.limit);
    }
    this.after(CHECK_EVERY_S, this.check, undefined, { daemon: true });
  };
  private setWorkers(n: number): void {
    this.limit.setLimit(n);
    this.workers.set(n);
  }
}

function run(policy: "fixed 4" | "fixed 12" | "autoscaled 4-12") {
  const sim = new Simulation({ seed: SEED });
  const limit = concurrency.dynamic({
    initial: MIN_WORKERS,
    min: MIN_WORKERS,
    max: MAX_WORKERS,
  });
  const server = new Server<number, number>(sim, "server", {
    concurrency: policy === "fixed 4" ? MIN_WORKERS : policy === "fixed 12" ? MAX_WORKERS : limit,
    serviceTime: dist.exponential(SERVICE_MEAN_S),
    queueCapacity: QUEUE_CAPACITY,
  });
  const autoscaler = policy === "autoscaled 4-12" ? new Autoscaler(sim, server, limit) : null;
  const caller = new RecordingCaller(sim, server);
  new Source(sim, "users", {
    target: caller,
    arrivals: arrivals.poisson(LOAD),
    stopAfter: { time: RUN_FOR_S },
  });
  sim.run({ until: RUN_FOR_S + 30 });
  return {
    outcomes: caller.outcomes,
    workersAt: autoscaler?.workersAt ?? [],
    rejected: caller.outcomes.filter((o) => o.latency === null).length,
    meanWorkers: autoscaler === null ? server.concurrency : autoscaler.workers.mean,
    utilization: server.stats.utilization,
  };
}

const policies = ["fixed 4", "fixed 12", "autoscaled 4-12"] as const;
const [small, large, scaled] = policies.map(run) as [
  ReturnType<typeof run>,
  ReturnType<typeof run>,
  ReturnType<typeof run>,
];
const p99 = (outcomes: ReturnType<typeof run>["outcomes"], start: number) => {
  const served = outcomes
    .filter((o) => o.at >= start && o.at < start + WINDOW_S && o.latency !== null)
    .map((o) => o.latency!);
  return (percentile(served, 0.99) * 1000).toFixed(0);
};
const windows: string[][] = [];
for (let start = 20; start < RUN_FOR_S; start += WINDOW_S) {
  windows.push([
    `${start}-${start + WINDOW_S}s`,
    `${LOAD.at(start + WINDOW_S / 2)}/s`,
    p99(small.outcomes, start),
    p99(large.outcomes, start),
    p99(scaled.outcomes, start),
    String(scaled.workersAt[start / WINDOW_S] ?? ""),
  ]);
}
console.log(
  `Autoscaling: workers serve ~${1 / SERVICE_MEAN_S}/s each; load 60/s, 160/s from 40s to 80s; queue of ${QUEUE_CAPACITY} (seed ${SEED})\n`,
);
console.log(
  formatTable(
    [
      "arrived in",
      "load",
      "p99 ms, 4",
      "p99 ms, 12",
      "p99 ms, autoscaled",
      "autoscaled workers at end",
    ],
    windows,
  ),
);
console.log("");
console.log(
  formatTable(
    ["workers", "rejected", "mean workers (cost)", "utilization"],
    policies.map((policy, i) => {
      const result = [small, large, scaled][i]!;
      return [
        policy,
        String(result.rejected),
        result.meanWorkers.toFixed(1),
        `${(result.utilization * 100).toFixed(0)}%`,
      ];
    }),
  ),
);
console.log(
  `\nAutoscaling pays for about half of the big pool and matches its latency once new workers` +
    `\nhave booted; the first seconds of the spike still queue while they boot (${BOOT_S} s).`,
);
