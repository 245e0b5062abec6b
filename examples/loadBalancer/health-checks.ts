/**
 * Health checks: how long a crashed backend keeps receiving requests.
 *
 * Scenario: three servers behind a round-robin load balancer, 60 requests/s, a 500 ms timeout
 * per forwarded request. At t = 10 s server b crashes; at t = 40.5 s it comes back.
 *   - Without a health checker the balancer keeps sending b a third of the requests, and every
 *     one of them times out: 20 failures a second for as long as b is down.
 *   - With a health checker (a check every 2 s, 500 ms to answer, out after 3 failed checks in
 *     a row, back after 2 passed ones) the failures stop when the third check times out, about
 *     unhealthyThreshold x interval after the crash, and b is back in rotation two checks
 *     after it recovers.
 * Detection time is the price of not reacting to one lost check: a lower threshold or a
 * shorter interval finds a crash sooner, and also takes a healthy backend out for a blip.
 *
 * Run: npx tsx --conditions=distsim-source examples/loadBalancer/health-checks.ts
 */
import {
  arrivals,
  Client,
  dist,
  HealthChecker,
  type HealthTransition,
  LoadBalancer,
  Server,
  Simulation,
  Source,
} from "distsim";
import { formatTable } from "../support/table.js";

const SEED = 4;
const LOAD_PER_S = 60;
const TIMEOUT_S = 0.5;
const CRASH_AT_S = 10;
const RECOVER_AT_S = 40.5;
const RUN_FOR_S = 60;
const WINDOW_S = 5;
const CHECK_INTERVAL_S = 2;
const CHECK_TIMEOUT_S = 0.5;
const UNHEALTHY_THRESHOLD = 3;
const HEALTHY_THRESHOLD = 2;

interface Outcome {
  failuresByWindow: number[];
  inRotation: number[];
  transitions: readonly HealthTransition[];
}

function run(withChecker: boolean): Outcome {
  const sim = new Simulation({ seed: SEED });
  const servers = ["a", "b", "c"].map(
    (name) =>
      new Server<number, number>(sim, name, {
        concurrency: 2,
        serviceTime: dist.exponential(0.02),
      }),
  );
  const lb = new LoadBalancer<number, number>(sim, "lb", {
    backends: servers,
    timeout: TIMEOUT_S,
  });
  const checker = withChecker
    ? new HealthChecker<number>(sim, "health", {
        loadBalancer: lb,
        interval: CHECK_INTERVAL_S,
        timeout: CHECK_TIMEOUT_S,
        unhealthyThreshold: UNHEALTHY_THRESHOLD,
        healthyThreshold: HEALTHY_THRESHOLD,
      })
    : null;
  const client = new Client<number, number>(sim, "client", { target: lb });
  new Source(sim, "users", {
    target: client,
    arrivals: arrivals.poisson(LOAD_PER_S),
    stopAfter: { time: RUN_FOR_S },
  });
  sim.at(CRASH_AT_S, () => servers[1]!.crash());
  sim.at(RECOVER_AT_S, () => servers[1]!.recover());
  const failuresByWindow: number[] = [];
  const inRotation: number[] = [];
  let failedBefore = 0;
  for (let end = WINDOW_S; end <= RUN_FOR_S; end += WINDOW_S) {
    sim.run({ until: end });
    failuresByWindow.push(client.stats.gaveUp - failedBefore);
    failedBefore = client.stats.gaveUp;
    inRotation.push(lb.stats.healthy);
  }
  return { failuresByWindow, inRotation, transitions: checker?.stats.transitions ?? [] };
}

const without = run(false);
const withChecker = run(true);

console.log(
  `Health checks: 3 servers, ${LOAD_PER_S} requests/s round robin, ${TIMEOUT_S * 1000} ms ` +
    `timeout; server b down from ${CRASH_AT_S} s to ${RECOVER_AT_S} s (seed ${SEED})\n`,
);
const rows = without.failuresByWindow.map((failed, i) => [
  `${i * WINDOW_S}-${(i + 1) * WINDOW_S}s`,
  String(failed),
  String(withChecker.failuresByWindow[i]),
  String(withChecker.inRotation[i]),
]);
console.log(
  formatTable(
    ["window", "failed, no checker", "failed, with checker", "in rotation (checker)"],
    rows,
  ),
);
const total = (o: Outcome) => o.failuresByWindow.reduce((a, b) => a + b, 0);
console.log(
  `\nTotal failed: ${total(without)} without a checker, ${total(withChecker)} with one.` +
    `\nChecker: every ${CHECK_INTERVAL_S} s, ${CHECK_TIMEOUT_S * 1000} ms to answer, out after ` +
    `${UNHEALTHY_THRESHOLD} failures, back after ${HEALTHY_THRESHOLD} passes. Transitions:`,
);
for (const t of withChecker.transitions) {
  console.log(`  t=${t.time.toFixed(2)} s: ${t.backend} marked ${t.state}`);
}
const out = withChecker.transitions.find((t) => t.state === "unhealthy");
if (out !== undefined) {
  console.log(
    `b left rotation ${(out.time - CRASH_AT_S).toFixed(1)} s after the crash: the wait for the ` +
      `next round (0 to ${CHECK_INTERVAL_S} s),\nplus ${UNHEALTHY_THRESHOLD - 1} intervals, ` +
      `plus the last check's timeout. Without a checker they went on until b came back.`,
  );
}
