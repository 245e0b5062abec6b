/**
 * Async vs threads: an event loop against thread-per-request, on I/O-heavy and CPU-heavy work.
 *
 * Scenario: 200 requests/s, each CPU work, then an I/O wait (a database call), then CPU work
 * again. Two ways to serve them:
 * - threads: a `Server` with 8 worker threads; a thread is held for the whole request,
 *   waiting for I/O included (its CPU work runs in parallel with the other threads');
 * - async: an `AsyncServer`, one event loop: I/O waits overlap freely, CPU phases run one at a
 *   time.
 * Workload 1 is I/O-heavy (0.5 ms of CPU per phase, 40-60 ms of I/O): 8 threads serve only
 * about 8 / 51 ms = 157 requests/s, so they queue and refuse, while the loop is 20% busy.
 * Workload 2 is CPU-heavy (1 ms of CPU per phase, but 1% of phases compute for 60 ms; 4-6 ms
 * of I/O): the threads shrug the slow phases off (only their own request waits), while on the loop
 * every slow phase stalls every request behind it for up to 60 ms.
 *
 * Run: npx tsx --conditions=distsim-source examples/server/async-vs-threads.ts
 */
import {
  AsyncServer,
  arrivals,
  type Distribution,
  dist,
  Server,
  Simulation,
  Source,
} from "distsim";
import { RecordingCaller } from "../support/recordingCaller.js";
import { formatTable, percentile } from "../support/table.js";

const SEED = 11;
const RATE_PER_S = 200;
const RUN_FOR_S = 60;
const THREADS = 8;
const THREAD_QUEUE = 200;

interface Workload {
  readonly name: string;
  readonly cpuPerPhase: Distribution;
  readonly io: Distribution;
  /** Latency above which a request counts as slow, in seconds. */
  readonly slowAbove: number;
}

const IO_HEAVY: Workload = {
  name: "I/O-heavy: 2 x 0.5 ms CPU + 40-60 ms I/O",
  cpuPerPhase: dist.exponential(0.0005),
  io: dist.uniform(0.04, 0.06),
  slowAbove: 0.1,
};
const CPU_HEAVY: Workload = {
  name: "CPU-heavy: 2 x 1 ms CPU (1% of phases 60 ms) + 4-6 ms I/O",
  cpuPerPhase: dist.mixture([
    { weight: 99, distribution: dist.exponential(0.001) },
    { weight: 1, distribution: dist.constant(0.06) },
  ]),
  io: dist.uniform(0.004, 0.006),
  slowAbove: 0.03,
};

/** A thread holds the request through CPU, I/O and CPU: its service time is their sum. */
function wholeRequest(workload: Workload): Distribution {
  return {
    kind: "distribution",
    description: `cpu + io + cpu`,
    sample: (stream, time) =>
      workload.cpuPerPhase.sample(stream, time) +
      workload.io.sample(stream, time) +
      workload.cpuPerPhase.sample(stream, time),
    mean: () => undefined,
    percentile: () => undefined,
  };
}

function run(workload: Workload, style: "threads" | "async"): string[] {
  const sim = new Simulation({ seed: SEED });
  const server =
    style === "threads"
      ? new Server<number, number>(sim, "server", {
          concurrency: THREADS,
          serviceTime: wholeRequest(workload),
          queueCapacity: THREAD_QUEUE,
        })
      : new AsyncServer<number, number>(sim, "server", {
          cpuTime: workload.cpuPerPhase,
          ioTime: workload.io,
        });
  const caller = new RecordingCaller(sim, server);
  new Source(sim, "users", {
    target: caller,
    arrivals: arrivals.poisson(RATE_PER_S),
    stopAfter: { time: RUN_FOR_S },
  });
  sim.run();
  const latencies = caller.outcomes.map((o) => o.latency);
  const served = latencies.filter((l): l is number => l !== null);
  const ms = (seconds: number) => (seconds * 1000).toFixed(1);
  const slow = served.filter((l) => l > workload.slowAbove).length;
  const busy =
    server instanceof AsyncServer
      ? `CPU ${(server.stats.cpuUtilization * 100).toFixed(0)}%, loop lag p99 ${ms(server.stats.p99LoopLag)} ms`
      : `threads ${(server.stats.utilization * 100).toFixed(0)}%`;
  return [
    style === "threads" ? `${THREADS} threads` : "event loop",
    ms(percentile(served, 0.5)),
    ms(percentile(served, 0.99)),
    `${((slow / latencies.length) * 100).toFixed(1)}%`,
    String(latencies.length - served.length),
    busy,
  ];
}

console.log(
  `Async vs threads: ${RATE_PER_S} requests/s for ${RUN_FOR_S} s, CPU -> I/O -> CPU each (seed ${SEED})`,
);
for (const workload of [IO_HEAVY, CPU_HEAVY]) {
  console.log(`\n${workload.name}\n`);
  console.log(
    formatTable(
      [
        "server",
        "p50 ms",
        "p99 ms",
        `slower than ${workload.slowAbove * 1000} ms`,
        "refused",
        "busy",
      ],
      [run(workload, "threads"), run(workload, "async")],
    ),
  );
}
console.log(
  "\nWaiting is free on an event loop and costly on threads; computing is the reverse: one" +
    "\nslow CPU phase on the loop delays every request behind it.",
);
