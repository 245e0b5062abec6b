/**
 * Bounded queue: under overload, reject fast or wait forever.
 *
 * Scenario: a server with 4 workers (exponential service, mean 50 ms: 80 requests/s of
 * capacity) gets 60 requests/s, except from t = 20 s to 50 s, when 100 requests/s arrive: 25%
 * more than it can serve. With an unbounded queue nothing is ever refused; the backlog grows
 * by 20 requests every second and every request, served or not, waits behind it, so latency
 * climbs for the whole overload and stays high long after. With `queueCapacity: 20`, the
 * excess is refused at once (RemoteError, a 503) and everyone admitted is served within a
 * bounded time: overload costs some requests, not all of them.
 *
 * Run: npx tsx --conditions=distsim-source examples/server/bounded-queue.ts
 */
import { arrivals, dist, profile, Server, Simulation, Source } from "distsim";
import { RecordingCaller } from "../support/recordingCaller.js";
import { formatTable, percentile } from "../support/table.js";

const SEED = 17;
const WORKERS = 4;
const SERVICE_MEAN_S = 0.05;
const LOAD = profile.step(60, [
  { at: 20, value: 100 },
  { at: 50, value: 60 },
]);
const RUN_FOR_S = 90;
const WINDOW_S = 10;

function run(queueCapacity: number | undefined) {
  const sim = new Simulation({ seed: SEED });
  const server = new Server<number, number>(sim, "server", {
    concurrency: WORKERS,
    serviceTime: dist.exponential(SERVICE_MEAN_S),
    ...(queueCapacity === undefined ? {} : { queueCapacity }),
  });
  const caller = new RecordingCaller(sim, server);
  new Source(sim, "users", {
    target: caller,
    arrivals: arrivals.poisson(LOAD),
    stopAfter: { time: RUN_FOR_S },
  });
  sim.run();
  return caller.outcomes;
}

const unbounded = run(undefined);
const bounded = run(20);
const rows: string[][] = [];
for (let start = 0; start < RUN_FOR_S; start += WINDOW_S) {
  const pick = (outcomes: typeof unbounded) =>
    outcomes.filter((o) => o.at >= start && o.at < start + WINDOW_S);
  const p99 = (outcomes: typeof unbounded) =>
    (
      percentile(
        outcomes.filter((o) => o.latency !== null).map((o) => o.latency!),
        0.99,
      ) * 1000
    ).toFixed(0);
  const rejected = (outcomes: typeof unbounded) =>
    String(outcomes.filter((o) => o.latency === null).length);
  rows.push([
    `${start}-${start + WINDOW_S}s`,
    `${LOAD.at(start + WINDOW_S / 2)}/s`,
    p99(pick(unbounded)),
    p99(pick(bounded)),
    rejected(pick(bounded)),
  ]);
}
console.log(
  `Bounded queue: ${WORKERS} workers at ~${WORKERS / SERVICE_MEAN_S}/s; 60/s, then 100/s from 20s to 50s (seed ${SEED})\n`,
);
console.log(
  formatTable(
    [
      "arrived in",
      "load",
      "p99 ms, unbounded queue",
      "p99 ms, queue of 20",
      "rejected, queue of 20",
    ],
    rows,
  ),
);
