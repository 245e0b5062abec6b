/**
 * Open loop vs closed loop: the same 2-second stall, two very different latency reports.
 *
 * Scenario: a server that answers in ~5 ms freezes for 2 s at t = 30 s (a GC pause, a
 * failover). It is driven two ways at the same average load, 100 requests/s:
 *   - open loop: a `Source` sends at Poisson times whatever happens, like independent users;
 *   - closed loop: `ClosedLoopClients`, 10 users each waiting for the answer and thinking
 *     ~95 ms before the next request, like a benchmark tool with 10 connections.
 * During the stall the closed-loop users are all stuck waiting, so they stop sending: only 10
 * requests see the stall, and p99 barely moves. The open-loop source keeps sending, ~200
 * requests pile up, and p99 shows the outage. A closed-loop load test can hide exactly the
 * problem users will feel (coordinated omission).
 *
 * Run: npx tsx --conditions=distsim-source examples/load/open-vs-closed-loop.ts
 */
import {
  arrivals,
  ClosedLoopClients,
  dist,
  Entity,
  type Message,
  Simulation,
  Source,
} from "distsim";
import { formatTable, percentile } from "../support/table.js";

const SEED = 21;
const RATE_PER_S = 100;
const SERVICE_MEAN_S = 0.005;
const STALL_AT_S = 30;
const STALL_FOR_S = 2;
const RUN_FOR_S = 60;
const USERS = 10;
const THINK_MEAN_S = USERS / RATE_PER_S - SERVICE_MEAN_S;

/** A FIFO server that records each request's time in the system, and stalls once. */
class StallingServer extends Entity<number, number> {
  private readonly service = this.random("service");
  private readonly waiting: Message<number>[] = [];
  private busy = false;
  readonly responseTimes: number[] = [];

  override *handle(request: Message<number>) {
    this.waiting.push(request);
    if (this.busy) return;
    this.busy = true;
    while (this.waiting.length > 0) {
      const next = this.waiting.shift()!;
      const stallEnd = STALL_AT_S + STALL_FOR_S;
      if (this.now >= STALL_AT_S && this.now < stallEnd) yield stallEnd - this.now;
      yield this.service.exponential(SERVICE_MEAN_S);
      // The stall begins mid-service for whoever is being served at STALL_AT_S.
      if (next.sentAt < STALL_AT_S && this.now > STALL_AT_S && this.now < stallEnd)
        yield stallEnd - this.now;
      this.responseTimes.push(this.now - next.sentAt);
      this.reply(next, next.payload);
    }
    this.busy = false;
  }
}

function run(mode: "open loop" | "closed loop"): string[] {
  const sim = new Simulation({ seed: SEED });
  const server = new StallingServer(sim, "server");
  if (mode === "open loop") {
    new Source(sim, "users", {
      target: server,
      arrivals: arrivals.poisson(RATE_PER_S),
      stopAfter: { time: RUN_FOR_S },
    });
  } else {
    new ClosedLoopClients(sim, "users", {
      target: server,
      users: USERS,
      thinkTime: dist.exponential(THINK_MEAN_S),
      stopAfter: { time: RUN_FOR_S },
    });
  }
  sim.run();
  const times = server.responseTimes;
  const ms = (seconds: number) => (seconds * 1000).toFixed(1);
  return [
    mode,
    String(times.length),
    String(times.filter((t) => t > 0.5).length),
    ms(percentile(times, 0.5)),
    ms(percentile(times, 0.99)),
    ms(Math.max(...times)),
  ];
}

console.log(
  `Open vs closed loop: ~${RATE_PER_S} requests/s to a ${SERVICE_MEAN_S * 1000} ms server that ` +
    `stalls for ${STALL_FOR_S}s at ${STALL_AT_S}s (seed ${SEED})\n`,
);
console.log(
  formatTable(
    ["load", "requests", "slower than 500 ms", "p50 (ms)", "p99 (ms)", "max (ms)"],
    [run("open loop"), run("closed loop")],
  ),
);
