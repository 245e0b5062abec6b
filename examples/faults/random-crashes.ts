/**
 * Random crashes: what a seeded fault schedule does to a load-balanced service.
 *
 * Scenario: five servers behind a round-robin load balancer with a health checker, 150
 * requests/s from a client with a 500 ms timeout, for 300 s. The fault schedule is drawn from
 * the seed: each server runs for an exponential time (mean 60 s) between crashes and is down
 * for an exponential time (mean 10 s), never more than two down at once. The schedule is plain
 * data: it is printed first, and `distsim run --faults schedule.json` or
 * `new FaultSchedule(sim, spec)` replays it exactly.
 *
 * What to look for: a crash costs the requests in service or queued on the server (lost to the
 * crash, the client times out) and the ones sent there before the checker takes it out of
 * rotation (about two check intervals); while it is down, the other servers carry the load
 * and nothing fails. The fault table says what each crash did: messages dropped while down,
 * requests lost in the crash.
 *
 * Run: npx tsx --conditions=distsim-source examples/faults/random-crashes.ts
 */
import {
  arrivals,
  Client,
  dist,
  FaultSchedule,
  formatFaultSchedule,
  HealthChecker,
  LoadBalancer,
  randomFaultSchedule,
  Server,
  Simulation,
  Source,
} from "distsim";
import { formatTable } from "../support/table.js";

const SEED = 12;
const SERVERS = ["s1", "s2", "s3", "s4", "s5"];
const LOAD_PER_S = 150;
const RUN_FOR_S = 300;
const WINDOW_S = 30;

const spec = randomFaultSchedule({
  seed: SEED,
  horizon: RUN_FOR_S,
  classes: [
    {
      name: "servers",
      targets: SERVERS,
      timeBetweenFailures: 60,
      timeToRepair: 10,
      maxConcurrent: 2,
    },
  ],
});

const sim = new Simulation({ seed: SEED });
const servers = SERVERS.map(
  (name) =>
    new Server<number, number>(sim, name, {
      concurrency: 2,
      serviceTime: dist.exponential(0.02),
    }),
);
const lb = new LoadBalancer<number, number>(sim, "lb", { backends: servers, timeout: 0.5 });
new HealthChecker<number>(sim, "health", {
  loadBalancer: lb,
  interval: 1,
  timeout: 0.2,
  unhealthyThreshold: 2,
  healthyThreshold: 1,
});
const client = new Client<number, number>(sim, "client", { target: lb, timeout: 0.5 });
new Source(sim, "users", {
  target: client,
  arrivals: arrivals.poisson(LOAD_PER_S),
  stopAfter: { time: RUN_FOR_S },
});
const schedule = new FaultSchedule(sim, spec);

console.log(
  `Random crashes: ${SERVERS.length} servers behind a health-checked load balancer, ` +
    `${LOAD_PER_S} requests/s for ${RUN_FOR_S} s (seed ${SEED})\n`,
);
console.log(`The schedule drawn from the seed (${spec.faults.length} crashes):`);
process.stdout.write(formatFaultSchedule(spec));

const rows: string[][] = [];
let before = { requests: 0, succeeded: 0, gaveUp: 0 };
for (let end = WINDOW_S; end <= RUN_FOR_S; end += WINDOW_S) {
  sim.run({ until: end });
  const now = client.stats;
  const finished = now.succeeded - before.succeeded + (now.gaveUp - before.gaveUp);
  const down = servers.filter((s) => !s.isUp).length;
  rows.push([
    `${end - WINDOW_S}-${end}s`,
    String(now.requests - before.requests),
    String(now.gaveUp - before.gaveUp),
    `${(((now.succeeded - before.succeeded) / finished) * 100).toFixed(2)}%`,
    String(down),
  ]);
  before = { requests: now.requests, succeeded: now.succeeded, gaveUp: now.gaveUp };
}
sim.run({ until: RUN_FOR_S + 5 });

console.log("\nAvailability, window by window:");
console.log(formatTable(["window", "requests", "failed", "available", "down at end"], rows));
const total = client.stats;
console.log(
  `\nOverall: ${total.succeeded} of ${total.succeeded + total.gaveUp} requests answered ` +
    `(${((total.succeeded / (total.succeeded + total.gaveUp)) * 100).toFixed(2)}%).`,
);
console.log("\nWhat each fault did:");
process.stdout.write(schedule.table());
