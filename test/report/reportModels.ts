/**
 * Runs that the report tests draw: a collapse (the server is down from 20 s to 40 s, so no
 * request succeeds there and a third of all requests fail) and a two-hour run (its time axis
 * reads h:mm). Shared by the unit tests of `reportFromRun` and the browser test of the page.
 */
import {
  arrivals,
  Client,
  dist,
  Probe,
  type RunSummary,
  Server,
  Simulation,
  Sink,
  Source,
} from "../../src/index.js";
import type { ReportMarker } from "../../src/report/reportInput.js";
import { watchCrashes } from "../../src/report/watchCrashes.js";

export interface ReportedRun {
  readonly sim: Simulation;
  readonly summary: RunSummary;
  readonly markers: readonly ReportMarker[];
}

/** Seconds the server of the collapse run is down. */
export const CRASH_AT_S = 20;
export const RECOVER_AT_S = 40;

/**
 * 40 requests/s through a client (0.5 s timeout, no retries) to a 4-worker server that crashes
 * at 20 s and recovers at 40 s; a probe of its queue; a sink nothing is sent to.
 */
export function collapseRun(): ReportedRun {
  const sim = new Simulation({ seed: 3 });
  const server = new Server<number, number>(sim, "server", {
    concurrency: 4,
    serviceTime: dist.exponential(0.05),
  });
  const client = new Client<number, number>(sim, "client", { target: server, timeout: 0.5 });
  new Probe(sim, "queue", { read: () => server.queued, interval: 1, unit: "requests" });
  new Sink(sim, "idle sink");
  new Source(sim, "users", {
    target: client,
    arrivals: arrivals.poisson(40),
    stopAfter: { time: 60 },
  });
  const crashes = watchCrashes(sim);
  sim.at(CRASH_AT_S, () => server.crash());
  sim.at(RECOVER_AT_S, () => server.recover());
  const summary = sim.run({ until: 60 });
  return { sim, summary, markers: crashes.markers };
}

/** Two hours of 0.5 requests/s through a client with 60 s windows: a day-long run in small. */
export function twoHourRun(): ReportedRun {
  const sim = new Simulation({ seed: 4 });
  const server = new Server<number, number>(sim, "server", {
    concurrency: 2,
    serviceTime: dist.exponential(0.2),
  });
  const client = new Client<number, number>(sim, "client", { target: server, window: 60 });
  new Source(sim, "users", {
    target: client,
    arrivals: arrivals.poisson(0.5),
    stopAfter: { time: 7200 },
  });
  const summary = sim.run({ until: 7200 });
  return { sim, summary, markers: [] };
}
