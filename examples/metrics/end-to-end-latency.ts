/**
 * End-to-end latency: why a pipeline needs a `Sink`, not per-hop dashboards.
 *
 * Scenario: jobs arrive at 40/s (Poisson) and pass through three stages in turn (parse,
 * enrich, store), each a single worker with a FIFO queue and its own service-time law. Every
 * stage measures its own latency (queueing + service, from when the job reached it), as a
 * per-service dashboard would. A `Sink` at the end measures each job from its origin, the
 * moment the source created it, through every hop.
 *
 * The per-hop means add up to the end-to-end mean (that is just arithmetic), but percentiles
 * do not: the sum of the stages' p99s overstates the true end-to-end p99, and the largest
 * single-stage p99 understates it. Neither number is the one a user feels; only a measure from
 * the job's creation time gives it.
 *
 * The stages drain their queues in one process each, so they forward with
 * `send(..., { causedBy: job })`: that keeps each job's origin, whichever job started the
 * process.
 *
 * Run: npx tsx --conditions=distsim-source examples/metrics/end-to-end-latency.ts
 */
import {
  arrivals,
  type Distribution,
  dist,
  Entity,
  Histogram,
  type Message,
  Simulation,
  Sink,
  Source,
} from "distsim";
import { formatTable } from "../support/table.js";

const SEED = 3;
const RATE_PER_S = 40;
const RUN_FOR_S = 600;

/** One worker and a FIFO queue; forwards each finished job to `next`. */
class Stage extends Entity<number> {
  /** Time at this stage (queueing + service), per job, as the stage's own dashboard sees it. */
  readonly latency = new Histogram();
  private readonly draws = this.random("service");
  private readonly queue: Message<number>[] = [];
  private busy = false;

  constructor(
    sim: Simulation,
    name: string,
    private readonly service: Distribution,
    private readonly next: Entity<number>,
  ) {
    super(sim, name);
  }

  override *handle(job: Message<number>) {
    this.queue.push(job);
    if (this.busy) return;
    this.busy = true;
    while (this.queue.length > 0) {
      const current = this.queue.shift()!;
      yield this.service.sample(this.draws, this.now);
      this.latency.record(this.now - current.sentAt);
      this.send(this.next, "job", current.payload, { causedBy: current });
    }
    this.busy = false;
  }
}

const sim = new Simulation({ seed: SEED });
const done = new Sink<number>(sim, "done", { window: 10 });
const store = new Stage(sim, "store", dist.lognormal({ median: 0.004, sigma: 1 }), done);
const enrich = new Stage(sim, "enrich", dist.exponential(0.012), store);
const parse = new Stage(sim, "parse", dist.uniform(0.005, 0.015), enrich);
new Source(sim, "jobs", {
  target: parse,
  arrivals: arrivals.poisson(RATE_PER_S),
  stopAfter: { time: RUN_FOR_S },
});
sim.run();

const ms = (seconds: number) => (seconds * 1000).toFixed(1);
const stages = [parse, enrich, store];
const rows = stages.map((s) => [s.name, ms(s.latency.mean), ms(s.latency.p50), ms(s.latency.p99)]);
const sum = (pick: (h: Histogram) => number) =>
  stages.reduce((total, s) => total + pick(s.latency), 0);
rows.push([
  "sum of the stages",
  ms(sum((h) => h.mean)),
  ms(sum((h) => h.p50)),
  ms(sum((h) => h.p99)),
]);
rows.push([
  "largest single stage",
  ms(Math.max(...stages.map((s) => s.latency.mean))),
  ms(Math.max(...stages.map((s) => s.latency.p50))),
  ms(Math.max(...stages.map((s) => s.latency.p99))),
]);
const e2e = done.stats;
rows.push(["end to end (Sink)", ms(e2e.meanLatency), ms(e2e.p50Latency), ms(e2e.p99Latency)]);

console.log(
  `End-to-end latency: ${e2e.received} jobs at ${RATE_PER_S}/s through parse -> enrich -> store ` +
    `(seed ${SEED})\n`,
);
console.log(formatTable(["measured at", "mean (ms)", "p50 (ms)", "p99 (ms)"], rows));
const over = ((sum((h) => h.p99) / e2e.p99Latency - 1) * 100).toFixed(0);
const under = ((1 - Math.max(...stages.map((s) => s.latency.p99)) / e2e.p99Latency) * 100).toFixed(
  0,
);
console.log(
  `\nMeans add up; percentiles do not. Summing the stages' p99s overstates the end-to-end p99 ` +
    `by ${over}%, the worst single stage understates it by ${under}%.`,
);
