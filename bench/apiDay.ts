/**
 * The long-run model of docs/performance.md ("A day-long model"): an API tier over a day, the
 * first question in issue 12's new-user trial. Traffic follows a daily curve from 500 to
 * 2,500 requests/s (peak at 18:00); a client with a 1 s timeout and three attempts sends it
 * through a datacenter network to a power-of-two-choices balancer over five 8-worker servers
 * (lognormal service, median 12 ms, so about 3,300/s of capacity); one server crashes at the
 * peak for ten minutes. Queues are bounded, so the run ends however the peak goes.
 *
 * `npx tsx bench/apiDay.ts [hours]` runs it for that many simulated hours from midnight
 * (default 1; a run shorter than a day starts at 17:30, so an hour holds the peak and the crash) and prints the
 * events, the wall time and events per wall second. It imports the sources by path, so the
 * same file measures any checkout (copy it into the other tree).
 */
import {
  arrivals,
  Client,
  conditions,
  dist,
  LoadBalancer,
  Network,
  NetworkLink,
  profile,
  retry,
  Server,
  Simulation,
  Source,
  strategy,
} from "../src/index.js";

const HOUR = 3600;
const SERVERS = 5;
const PEAK_AT = 18 * HOUR;

export function buildApiDay(seed: number, startAt: number): Simulation {
  const sim = new Simulation({ seed });
  new Network(sim, "dc", {
    defaultLink: new NetworkLink(sim, "dc-link", conditions.datacenter()),
  });
  const servers = Array.from(
    { length: SERVERS },
    (_, i) =>
      new Server<number, number>(sim, `api-${i}`, {
        concurrency: 8,
        serviceTime: dist.lognormal({ median: 0.012, sigma: 0.5 }),
        queueCapacity: 500,
      }),
  );
  const balancer = new LoadBalancer<number, number>(sim, "lb", {
    backends: servers,
    strategy: strategy.powerOfTwoChoices(),
  });
  const users = new Client<number, number>(sim, "users", {
    target: balancer,
    timeout: 1,
    retryPolicy: retry.exponentialBackoff({ maxAttempts: 3, initial: 0.05, jitter: "full" }),
  });
  // The daily curve, hour by hour: 500/s at night, 2,500/s at 18:00.
  const hourly = Array.from({ length: 24 }, (_, h) => {
    const distance = Math.min(Math.abs(h - 18), 24 - Math.abs(h - 18));
    return { at: h * HOUR - startAt, value: Math.max(500, 2500 - distance * 250) };
  }).filter((step) => step.at > 0);
  const first = Math.max(500, 2500 - Math.min(Math.abs(startAt / HOUR - 18), 6) * 250);
  new Source(sim, "traffic", {
    target: users,
    arrivals: arrivals.poisson(profile.step(first, hourly)),
  });
  const crashAt = PEAK_AT - startAt;
  if (crashAt >= 0) {
    sim.at(crashAt, () => servers[0]!.crash());
    sim.at(crashAt + 600, () => servers[0]!.recover());
  }
  return sim;
}

if (process.argv[1]?.endsWith("apiDay.ts")) {
  const hours = Number(process.argv[2] ?? 1);
  const startAt = hours >= 24 ? 0 : 17.5 * HOUR;
  const sim = buildApiDay(1, startAt);
  const wallStart = performance.now();
  const summary = sim.run({ until: hours * HOUR });
  const wall = (performance.now() - wallStart) / 1000;
  console.log(
    `${hours} h: ${summary.eventsProcessed.toLocaleString("en-US")} events in ${wall.toFixed(1)} s: ${Math.round(summary.eventsProcessed / wall).toLocaleString("en-US")} events/s (trace ${summary.traceHash})`,
  );
}
