/**
 * A GC pause that makes a healthy node look dead to a health checker.
 *
 * Scenario: three servers behind a round-robin load balancer (500 ms timeout per request),
 * 60 requests/s, and a health checker that checks each backend every second, gives it 250 ms
 * to answer, takes it out after 2 failed checks in a row and puts it back after 2 passed ones.
 * At t = 10 s server b stops for a garbage collection (`b.pause(seconds)`): nothing of it runs,
 * the requests and checks that reach it wait in its buffers, and when the pause ends it works
 * through them with time having moved on. It never crashed, and nothing is wrong with it.
 *   - A short pause (0.4 s) is only latency: the requests it held are answered late, inside
 *     their timeout, and the checker sees nothing.
 *   - A long one (1.5 s) fails two checks in a row: the checker takes b out of rotation as if
 *     it had died, the requests it held time out at the balancer (b still works through them,
 *     for nobody), and b is back only after two more rounds, having lost its share of traffic
 *     for seconds after it was fine again.
 * The timeline is read from the trace stream: the pause's `fault` records and the checker's
 * marks.
 *
 * Run: npx tsx --conditions=distsim-source examples/faults/gc-pause-health-check.ts
 */
import {
  arrivals,
  Client,
  dist,
  type FaultRecord,
  HealthChecker,
  LoadBalancer,
  Server,
  Simulation,
  Source,
} from "distsim";
import { formatTable } from "../support/table.js";

const SEED = 8;
const LOAD_PER_S = 60;
const TIMEOUT_S = 0.5;
const PAUSE_AT_S = 10;
const RUN_FOR_S = 30;
const CHECK_INTERVAL_S = 1;
const CHECK_TIMEOUT_S = 0.25;

interface Outcome {
  pause: number;
  failed: number;
  heldByB: number;
  outOfRotation: number;
  /** When the checker put b back, in seconds (NaN if it never took b out). */
  backAt: number;
  timeline: string[];
}

function run(pauseSeconds: number): Outcome {
  const sim = new Simulation({ seed: SEED });
  const servers = ["a", "b", "c"].map(
    (name) =>
      new Server<number, number>(sim, name, {
        concurrency: 4,
        serviceTime: dist.exponential(0.02),
      }),
  );
  const b = servers[1]!;
  const lb = new LoadBalancer<number, number>(sim, "lb", { backends: servers, timeout: TIMEOUT_S });
  const checker = new HealthChecker<number>(sim, "health", {
    loadBalancer: lb,
    interval: CHECK_INTERVAL_S,
    timeout: CHECK_TIMEOUT_S,
    unhealthyThreshold: 2,
    healthyThreshold: 2,
  });
  const client = new Client<number, number>(sim, "client", { target: lb });
  new Source(sim, "users", {
    target: client,
    arrivals: arrivals.poisson(LOAD_PER_S),
    stopAfter: { time: RUN_FOR_S },
  });
  const faults: FaultRecord[] = [];
  sim.onTrace((record) => {
    if (record.type === "fault") faults.push(record);
  });
  sim.at(PAUSE_AT_S, () => b.pause(pauseSeconds));
  sim.run({ until: RUN_FOR_S + 1 });

  const timeline = [
    ...faults.map((f) => ({
      time: f.timeNs / 1e9,
      what: `${f.targets[0]} ${f.fault} ${f.phase}: ${f.detail}`,
    })),
    ...checker.stats.transitions.map((t) => ({
      time: t.time,
      what: `${t.backend} marked ${t.state}`,
    })),
  ]
    .sort((x, y) => x.time - y.time)
    .map((event) => `  t=${event.time.toFixed(2)} s  ${event.what}`);
  const marks = checker.stats.transitions;
  const out = marks.find((t) => t.state === "unhealthy");
  const back = marks.find((t) => t.state === "healthy");
  const heldMatch = faults.find((f) => f.phase === "healed")?.detail.match(/\((\d+) message/);
  return {
    pause: pauseSeconds,
    failed: client.stats.gaveUp,
    heldByB: heldMatch === null || heldMatch === undefined ? 0 : Number(heldMatch[1]),
    outOfRotation: out !== undefined && back !== undefined ? back.time - out.time : 0,
    backAt: back?.time ?? Number.NaN,
    timeline,
  };
}

const outcomes = [run(0.4), run(1.5)];

console.log(
  `GC pause: 3 servers, ${LOAD_PER_S} requests/s round robin, ${TIMEOUT_S * 1000} ms timeout; ` +
    `health checks every ${CHECK_INTERVAL_S} s (${CHECK_TIMEOUT_S * 1000} ms to answer, out after 2 ` +
    `failures, back after 2 passes); server b pauses at t=${PAUSE_AT_S} s (seed ${SEED})\n`,
);
console.log(
  formatTable(
    ["pause", "messages b held", "failed requests", "b out of rotation"],
    outcomes.map((o) => [
      `${o.pause} s`,
      String(o.heldByB),
      String(o.failed),
      o.outOfRotation > 0 ? `${o.outOfRotation.toFixed(2)} s` : "never",
    ]),
  ),
);
for (const o of outcomes) {
  console.log(`\nTimeline, ${o.pause} s pause:`);
  for (const line of o.timeline) console.log(line);
}
const long = outcomes[1]!;
console.log(
  `\nb was alive throughout. The ${long.pause} s pause cost ${long.failed} failed requests, and b ` +
    `was back in rotation only at t=${long.backAt.toFixed(2)} s, ` +
    `${(long.backAt - PAUSE_AT_S - long.pause).toFixed(2)} s after the pause had ended.`,
);
