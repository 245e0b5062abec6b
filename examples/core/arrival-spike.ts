/**
 * Arrival spike: a queue remembers a burst long after the burst is over.
 *
 * Scenario: one server (exponential service, 10 requests/s capacity) takes Poisson traffic at
 * 8 requests/s (80% busy). For ten seconds the arrival rate doubles to 16/s. The table shows
 * the queue and the response times in 10-second windows: the backlog built in the ten
 * overloaded seconds takes several times as long to drain, because the server has only 2
 * requests/s of spare capacity to work it off. Latency stays high well after the load is back
 * to normal, which is what dashboards that average load over a minute miss.
 *
 * Built from a `Source` whose Poisson rate follows a spike profile, a `Client` (which keeps
 * latency percentiles per window in bounded-memory histograms), a `Server`, and a `Probe` on
 * the queue.
 *
 * It also writes reports/arrival-spike.html: latency percentiles, goodput and queue depth
 * over time, drawn offline in any browser.
 *
 * Run: npx tsx --conditions=distsim-source examples/core/arrival-spike.ts
 */
import { arrivals, Client, dist, Probe, profile, Server, Simulation, Source } from "distsim";
import { reportFromRun, writeReport } from "distsim/report";
import { formatTable } from "../support/table.js";

const SEED = 2024;
const BASE_RATE_PER_S = 8;
const SPIKE_RATE_PER_S = 16;
const SPIKE_START_S = 60;
const SPIKE_END_S = 70;
const SERVICE_RATE_PER_S = 10;
const RUN_FOR_S = 180;
const WINDOW_S = 10;

/** The arrival rate over time: BASE, then SPIKE for ten seconds, then BASE again. */
const RATE = profile.spike({
  base: BASE_RATE_PER_S,
  peak: SPIKE_RATE_PER_S,
  start: SPIKE_START_S,
  duration: SPIKE_END_S - SPIKE_START_S,
});

const sim = new Simulation({ seed: SEED });
const server = new Server<number, number>(sim, "server", {
  serviceTime: dist.exponential(1 / SERVICE_RATE_PER_S),
});
const client = new Client<number, number>(sim, "client", { target: server, window: WINDOW_S });
new Source(sim, "arrivals", {
  target: client,
  arrivals: arrivals.poisson(RATE), // exact non-homogeneous Poisson process
  stopAfter: { time: RUN_FOR_S },
});
const queue = new Probe(sim, "queue depth", {
  read: () => server.queued + server.stats.active,
  interval: 0.1,
  unit: "requests in the system",
});
const summary = sim.run();

const rows = client.latencySeries.windows().map((w) => {
  const inWindow = queue.points.filter(([t]) => t >= w.start && t < w.start + WINDOW_S);
  return [
    `${w.start}-${w.start + WINDOW_S}s`,
    `${RATE.at(w.start)}/s`,
    String(w.count),
    String(Math.max(...inWindow.map(([, depth]) => depth))),
    w.percentile(0.5).toFixed(2),
    w.percentile(0.99).toFixed(2),
  ];
});

console.log(
  `Arrival spike: one server at ${SERVICE_RATE_PER_S}/s, Poisson load ${BASE_RATE_PER_S}/s, ` +
    `${SPIKE_RATE_PER_S}/s from ${SPIKE_START_S}s to ${SPIKE_END_S}s (seed ${SEED})\n`,
);
const header = ["window", "load", "served", "max queue", "p50 resp (s)", "p99 resp (s)"];
console.log(formatTable(header, rows));
const drained = queue.points.find(([t, depth]) => t > SPIKE_END_S && depth === 0);
console.log(
  `\nThe spike lasted ${SPIKE_END_S - SPIKE_START_S}s; the server was first idle again at ` +
    `${drained ? `${drained[0].toFixed(1)}s` : "never"}.`,
);
console.log(
  `${summary.eventsProcessed} events, ${client.stats.succeeded} requests served ` +
    `(p99 ${client.stats.p99Latency.toFixed(2)}s over the run), simulated ` +
    `${summary.time.toFixed(1)}s, trace ${summary.traceHash}.`,
);

const report = reportFromRun(
  sim,
  summary,
  "Arrival spike",
  `One server at ${SERVICE_RATE_PER_S}/s; Poisson load ${BASE_RATE_PER_S}/s, ${SPIKE_RATE_PER_S}/s from ${SPIKE_START_S}s to ${SPIKE_END_S}s; seed ${SEED}.`,
);
const reportPath = writeReport(
  { ...report, tables: [{ title: "By window", columns: header, rows }, ...(report.tables ?? [])] },
  "reports/arrival-spike.html",
);
console.log(`Report: ${reportPath.slice(reportPath.indexOf("reports/"))}`);
