/**
 * Fair queuing: one heavy tenant cannot starve a light one.
 *
 * Scenario: a server with 2 workers (exponential service, mean 20 ms: 100 requests/s of
 * capacity) is shared by two tenants. "batch" sends 150 requests/s, alone more than the server
 * can serve; "web" sends 10/s. An answer after 1 s is too late to use ("in time" counts the
 * others, out of all sent). For 30 s:
 * - fifo: one line for everyone. The batch backlog grows by ~60 requests a second, and web's
 *   requests wait behind it like everyone else's: within seconds nothing is answered in time.
 * - fairQueue: a line per tenant, served in turn. Web has at most a request or two waiting, so
 *   it gets a worker within one batch service time; batch gets everything web leaves over,
 *   and its own backlog is its own problem.
 *
 * Run: npx tsx --conditions=distsim-source examples/resource/fair-queue.ts
 */
import {
  arrivals,
  dist,
  Entity,
  fairQueue,
  type Message,
  type QueueDiscipline,
  Server,
  Simulation,
  Source,
} from "distsim";
import { formatTable, percentile } from "../support/table.js";

const SEED = 4;
const RUN_FOR_S = 30;
const CALLER_TIMEOUT_S = 1;
const TENANTS = [
  { name: "batch", perSecond: 150 },
  { name: "web", perSecond: 10 },
];

/** Calls the server for one tenant; keeps each answer's latency. */
class Tenant extends Entity<number> {
  sent = 0;
  readonly latencies: number[] = [];
  constructor(
    sim: Simulation,
    name: string,
    private readonly server: Entity<string, string>,
  ) {
    super(sim, name);
  }
  override *handle(_arrival: Message<number>) {
    const at = this.now;
    this.sent++;
    yield* this.call(this.server, "get", this.name);
    this.latencies.push(this.now - at);
  }
}

function run(queuePolicy: "fifo" | QueueDiscipline<Message<string>>) {
  const sim = new Simulation({ seed: SEED });
  const server = new Server<string, string>(sim, "server", {
    concurrency: 2,
    serviceTime: dist.exponential(0.02),
    queuePolicy,
  });
  const tenants = TENANTS.map(({ name, perSecond }) => {
    const tenant = new Tenant(sim, name, server);
    new Source(sim, `${name} load`, {
      target: tenant,
      arrivals: arrivals.poisson(perSecond),
      stopAfter: { time: RUN_FOR_S },
    });
    return tenant;
  });
  sim.run({ until: RUN_FOR_S });
  return tenants;
}

const rows: string[][] = [];
for (const [policyName, policy] of [
  ["fifo", () => "fifo" as const],
  ["fairQueue", () => fairQueue<Message<string>>({ flowOf: (request) => request.payload })],
] as const) {
  for (const tenant of run(policy())) {
    const answered = tenant.latencies;
    const inTime = answered.filter((l) => l <= CALLER_TIMEOUT_S).length;
    rows.push([
      policyName,
      tenant.name,
      String(tenant.sent),
      String(answered.length),
      `${((100 * inTime) / tenant.sent).toFixed(1)}%`,
      (percentile(answered, 0.5) * 1000).toFixed(0),
      (percentile(answered, 0.99) * 1000).toFixed(0),
    ]);
  }
}

console.log(
  `Two tenants on 2 workers (~100/s): batch at 150/s, web at 10/s, for ${RUN_FOR_S} s; callers give up after ${CALLER_TIMEOUT_S} s (seed ${SEED})\n`,
);
console.log(
  formatTable(
    [
      "queue policy",
      "tenant",
      "sent",
      "answered",
      "in time",
      "p50 answered (ms)",
      "p99 answered (ms)",
    ],
    rows,
  ),
);
