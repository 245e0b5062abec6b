/**
 * Queue policies under overload: FIFO lets every request's wait grow without bound, CoDel and
 * adaptive LIFO keep the requests they serve fast.
 *
 * Scenario: a server with 4 workers (exponential service, mean 40 ms: 100 requests/s of
 * capacity) gets 120 requests/s (Poisson) for 30 s: 20% more than it can serve, all along.
 * Callers give up after 1 s, so an answer later than that is wasted work; goodput counts the
 * answers that came in time. The queue is unbounded; only its policy changes:
 * - fifo: oldest first. The backlog grows by ~20 requests a second and everyone waits behind
 *   it: after ~5 s every answer comes too late, so the server is 100% busy and useless.
 * - codel(): CoDel (RFC 8289, target 5 ms, interval 100 ms) drops from the head once the
 *   queue's delay has stayed above 5 ms for 100 ms, and faster while it stays there: it
 *   sheds the excess ~1 in 6 and the rest is served within a few service times.
 * - adaptiveLifo({ threshold: 8 }): oldest first while fewer than 8 wait, newest first from 8
 *   on. It drops nothing: the excess piles up at the bottom of the stack, never served (here
 *   the run ends at 30 s; a real caller times out), while new requests go first.
 *
 * Run: npx tsx --conditions=distsim-source examples/resource/queue-policies.ts
 */
import {
  adaptiveLifo,
  arrivals,
  codel,
  dist,
  Entity,
  type Message,
  type QueueDiscipline,
  RemoteError,
  Server,
  Simulation,
  Source,
} from "distsim";
import { formatTable, percentile } from "../support/table.js";

const SEED = 11;
const WORKERS = 4;
const SERVICE_MEAN_S = 0.04;
const ARRIVALS_PER_S = 120;
const RUN_FOR_S = 30;
const CALLER_TIMEOUT_S = 1;
const WINDOW_S = 10;

interface Outcome {
  readonly at: number;
  /** Seconds to the answer; null when the server dropped the request, undefined if none yet. */
  latency?: number | null;
}

/** Calls the server once per arrival and notes what happened, by arrival time. */
class Caller extends Entity<number> {
  readonly outcomes: Outcome[] = [];
  constructor(
    sim: Simulation,
    private readonly server: Entity<number, number>,
  ) {
    super(sim, "callers");
  }
  override *handle(arrival: Message<number>) {
    const outcome: Outcome = { at: this.now };
    this.outcomes.push(outcome);
    try {
      yield* this.call(this.server, "get", arrival.payload);
      outcome.latency = this.now - outcome.at;
    } catch (error) {
      if (!(error instanceof RemoteError)) throw error;
      outcome.latency = null;
    }
  }
}

function run(queuePolicy: "fifo" | QueueDiscipline<Message<number>>) {
  const sim = new Simulation({ seed: SEED });
  const server = new Server<number, number>(sim, "server", {
    concurrency: WORKERS,
    serviceTime: dist.exponential(SERVICE_MEAN_S),
    queuePolicy,
  });
  const caller = new Caller(sim, server);
  new Source(sim, "users", {
    target: caller,
    arrivals: arrivals.poisson(ARRIVALS_PER_S),
    stopAfter: { time: RUN_FOR_S },
  });
  sim.run({ until: RUN_FOR_S });
  return {
    outcomes: caller.outcomes,
    utilization: server.stats.utilization,
    p99Wait: server.waitTime.p99,
  };
}

const policies: [string, () => "fifo" | QueueDiscipline<Message<number>>][] = [
  ["fifo", () => "fifo"],
  ["codel()", () => codel()],
  ["adaptiveLifo({ threshold: 8 })", () => adaptiveLifo({ threshold: 8 })],
];

const ms = (seconds: number) => (Number.isNaN(seconds) ? "-" : (seconds * 1000).toFixed(0));
const rows: string[][] = [];
const windows: string[][] = [];
for (const [name, policy] of policies) {
  const { outcomes, utilization, p99Wait } = run(policy());
  const served = outcomes.filter((o) => typeof o.latency === "number").map((o) => o.latency!);
  const inTime = served.filter((latency) => latency <= CALLER_TIMEOUT_S).length;
  rows.push([
    name,
    String(outcomes.length),
    String(served.length),
    String(outcomes.filter((o) => o.latency === null).length),
    String(outcomes.filter((o) => o.latency === undefined).length),
    `${(utilization * 100).toFixed(0)}%`,
    (inTime / RUN_FOR_S).toFixed(1),
    ms(p99Wait),
    ms(percentile(served, 0.99)),
  ]);
  const row = [name];
  for (let start = 0; start < RUN_FOR_S; start += WINDOW_S) {
    const latencies = outcomes
      .filter((o) => o.at >= start && o.at < start + WINDOW_S && typeof o.latency === "number")
      .map((o) => o.latency!);
    row.push(ms(percentile(latencies, 0.99)));
  }
  windows.push(row);
}

console.log(
  `${ARRIVALS_PER_S}/s offered to ${WORKERS} workers serving ~${WORKERS / SERVICE_MEAN_S}/s, for ${RUN_FOR_S} s; callers give up after ${CALLER_TIMEOUT_S} s (seed ${SEED})\n`,
);
console.log(
  formatTable(
    [
      "queue policy",
      "arrived",
      "served",
      "dropped",
      "still waiting",
      "busy",
      "goodput /s",
      "p99 wait (ms)",
      "p99 served (ms)",
    ],
    rows,
  ),
);
console.log(
  `\n(service alone, with no wait at all, has a p99 of ${ms(SERVICE_MEAN_S * Math.log(100))} ms)`,
);
console.log("\np99 of served requests (ms), by arrival time:\n");
console.log(
  formatTable(
    [
      "queue policy",
      ...Array.from(
        { length: RUN_FOR_S / WINDOW_S },
        (_, i) => `${i * WINDOW_S}-${(i + 1) * WINDOW_S}s`,
      ),
    ],
    windows,
  ),
);
