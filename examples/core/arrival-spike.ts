/**
 * Arrival spike: a queue remembers a burst long after the burst is over.
 *
 * Scenario: one FIFO server (exponential service, 10 requests/s capacity) takes Poisson
 * traffic at 8 requests/s (80% busy). For ten seconds the arrival rate doubles to 16/s. The
 * table shows the queue and the response times in 10-second windows: the backlog built in the
 * ten overloaded seconds takes several times as long to drain, because the server has only
 * 2 requests/s of spare capacity to work it off. Latency stays high well after the load is
 * back to normal, which is what dashboards that average load over a minute miss.
 *
 * Built from a `Source` whose Poisson rate follows a spike profile, and a server whose handler
 * is a process (`yield` a service time).
 *
 * It also writes reports/arrival-spike.html: latency percentiles, throughput and queue depth
 * over time, drawn offline in any browser.
 *
 * Run: npm run demo   (or: npx tsx examples/core/arrival-spike.ts)
 */
import { arrivals, Entity, type Message, profile, Simulation, Source } from "../../src/index.js";
import { writeReport } from "../../src/report/index.js";
import { formatTable, percentile } from "../support/table.js";

const SEED = 2024;
const BASE_RATE_PER_S = 8;
const SPIKE_RATE_PER_S = 16;
const SPIKE_START_S = 60;
const SPIKE_END_S = 70;
const SERVICE_RATE_PER_S = 10;
const RUN_FOR_S = 180;
const WINDOW_S = 10;

interface Request {
  readonly arrivedAt: number;
}

/** The arrival rate over time: BASE, then SPIKE for ten seconds, then BASE again. */
const RATE = profile.spike({
  base: BASE_RATE_PER_S,
  peak: SPIKE_RATE_PER_S,
  start: SPIKE_START_S,
  duration: SPIKE_END_S - SPIKE_START_S,
});

interface Completion {
  readonly arrivedAt: number;
  readonly responseTime: number;
}

/** One server, FIFO queue, exponential service times. */
class FifoServer extends Entity<Request> {
  private readonly service = this.random("service");
  private readonly waiting: Request[] = [];
  private busy = false;
  readonly completions: Completion[] = [];
  /** Requests already there (waiting + in service) when each request arrived. */
  readonly queueSeen: { time: number; length: number }[] = [];

  override *handle(message: Message<Request>) {
    this.queueSeen.push({ time: this.now, length: this.waiting.length + (this.busy ? 1 : 0) });
    this.waiting.push(message.payload);
    if (this.busy) return; // the process already serving will get to it
    this.busy = true;
    while (this.waiting.length > 0) {
      const request = this.waiting.shift()!;
      yield this.service.exponential(1 / SERVICE_RATE_PER_S);
      this.completions.push({
        arrivedAt: request.arrivedAt,
        responseTime: this.now - request.arrivedAt,
      });
    }
    this.busy = false;
  }
}

const sim = new Simulation({ seed: SEED });
const server = new FifoServer(sim, "server");
new Source(sim, "arrivals", {
  target: server,
  arrivals: arrivals.poisson(RATE), // exact non-homogeneous Poisson process
  payload: (_index, time) => ({ arrivedAt: time }),
  stopAfter: { time: RUN_FOR_S },
});
const summary = sim.run();

const rows: string[][] = [];
const p50Series: [number, number][] = [];
const p99Series: [number, number][] = [];
const throughputSeries: [number, number][] = [];
for (let start = 0; start < RUN_FOR_S; start += WINDOW_S) {
  const inWindow = (time: number) => time >= start && time < start + WINDOW_S;
  const arrivals = server.queueSeen.filter((q) => inWindow(q.time));
  const responses = server.completions
    .filter((c) => inWindow(c.arrivedAt))
    .map((c) => c.responseTime);
  const rate = RATE.at(start);
  p50Series.push([start, percentile(responses, 0.5) * 1000]);
  p99Series.push([start, percentile(responses, 0.99) * 1000]);
  const finished = server.completions.filter((c) => inWindow(c.arrivedAt + c.responseTime));
  throughputSeries.push([start, finished.length / WINDOW_S]);
  rows.push([
    `${start}-${start + WINDOW_S}s`,
    `${rate}/s`,
    String(arrivals.length),
    String(Math.max(0, ...arrivals.map((q) => q.length))),
    percentile(responses, 0.5).toFixed(2),
    percentile(responses, 0.99).toFixed(2),
  ]);
}

console.log(
  `Arrival spike: one server at ${SERVICE_RATE_PER_S}/s, Poisson load ${BASE_RATE_PER_S}/s, ` +
    `${SPIKE_RATE_PER_S}/s from ${SPIKE_START_S}s to ${SPIKE_END_S}s (seed ${SEED})\n`,
);
console.log(
  formatTable(
    ["window", "load", "arrivals", "max queue seen", "p50 resp (s)", "p99 resp (s)"],
    rows,
  ),
);
const drained = server.queueSeen.find((q) => q.time > SPIKE_END_S && q.length === 0);
console.log(
  `\nThe spike lasted ${SPIKE_END_S - SPIKE_START_S}s; the first arrival to find an empty server ` +
    `after it came at ${drained ? `${drained.time.toFixed(1)}s` : "never"}.`,
);
console.log(
  `${summary.eventsProcessed} events, ${server.completions.length} requests served, ` +
    `simulated ${summary.time.toFixed(1)}s, trace ${summary.traceHash}.`,
);

const reportPath = writeReport(
  {
    title: "Arrival spike",
    subtitle: `One server at ${SERVICE_RATE_PER_S}/s; Poisson load ${BASE_RATE_PER_S}/s, ${SPIKE_RATE_PER_S}/s from ${SPIKE_START_S}s to ${SPIKE_END_S}s; seed ${SEED}.`,
    summary,
    charts: [
      {
        title: "Response time by arrival window",
        yLabel: "response time (ms)",
        series: [
          { name: "p50", points: p50Series },
          { name: "p99", points: p99Series },
        ],
      },
      {
        title: "Throughput",
        yLabel: "requests served per second",
        series: [{ name: "served per second", points: throughputSeries }],
      },
      {
        title: "Queue depth seen by arrivals",
        yLabel: "requests in the system",
        series: [
          {
            name: "queue",
            points: server.queueSeen.map((q) => [q.time, q.length] as [number, number]),
          },
        ],
      },
    ],
    tables: [
      {
        title: "By window",
        columns: ["window", "load", "arrivals", "max queue seen", "p50 resp (s)", "p99 resp (s)"],
        rows,
      },
    ],
  },
  "reports/arrival-spike.html",
);
console.log(`Report: ${reportPath.slice(reportPath.indexOf("reports/"))}`);
