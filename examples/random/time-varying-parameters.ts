/**
 * Time-varying parameters: any number in a model can follow simulated time.
 *
 * Scenario: clients call a server across a link. Two things change during the run, and
 * neither component has any code for it; each just reads its parameter when it uses it:
 *   - the link's one-way latency follows a daily-style cycle (a sine between 5 and 45 ms,
 *     period 120 s), like a congested inter-region path;
 *   - at t = 150 s a bad deploy doubles the server's mean service time (a step profile), and a
 *     rollback at t = 210 s restores it.
 * The table shows, per 30-second window, the parameters' values at the window's middle and the
 * response time clients saw: latency tracks the link's cycle, and the deploy shows up as a
 * jump that ends with the rollback.
 *
 * Run: npx tsx --conditions=distsim-source examples/random/time-varying-parameters.ts
 */
import {
  arrivals,
  type Distribution,
  dist,
  Entity,
  type Message,
  type Param,
  profile,
  Simulation,
  Source,
  valueAt,
} from "distsim";
import { formatTable, percentile } from "../support/table.js";

const SEED = 11;
const REQUEST_RATE_PER_S = 20;
const RUN_FOR_S = 300;
const WINDOW_S = 30;
/** One-way link latency, seconds: 25 ms +/- 20 ms over a 120 s cycle. */
const LINK_LATENCY: Param = profile.sine({ mean: 0.025, amplitude: 0.02, period: 120 });
/** Mean service time, seconds: 10 ms, 20 ms during the bad deploy. */
const SERVICE_MEAN: Param = profile.step(0.01, [
  { at: 150, value: 0.02 },
  { at: 210, value: 0.01 },
]);

/** A server with unlimited concurrency whose service time is any distribution. */
class Server extends Entity<number, number> {
  private readonly draws = this.random("service");
  constructor(
    sim: Simulation,
    private readonly serviceTime: Distribution,
  ) {
    super(sim, "server");
  }
  override *handle(request: Message<number>) {
    yield this.serviceTime.sample(this.draws, this.now);
    this.reply(request, request.payload);
  }
}

/** A link: delivers each message after the latency in force when it was sent, both ways. */
class Link extends Entity<number, number> {
  constructor(
    sim: Simulation,
    private readonly server: Server,
    private readonly latency: Param,
  ) {
    super(sim, "link");
  }
  override *handle(request: Message<number>) {
    yield valueAt(this.latency, this.now);
    const answer = yield* this.call(this.server, "get", request.payload);
    yield valueAt(this.latency, this.now);
    this.reply(request, answer);
  }
}

/** Takes each arrival from the source and times one call through the link. */
class Client extends Entity<number> {
  readonly samples: { sentAt: number; latency: number }[] = [];
  constructor(
    sim: Simulation,
    private readonly link: Link,
  ) {
    super(sim, "client");
  }
  override *handle(arrival: Message<number>) {
    const sentAt = this.now;
    yield* this.call(this.link, "get", arrival.payload);
    this.samples.push({ sentAt, latency: this.now - sentAt });
  }
}

const sim = new Simulation({ seed: SEED });
const server = new Server(sim, dist.exponential(SERVICE_MEAN));
const client = new Client(sim, new Link(sim, server, LINK_LATENCY));
new Source(sim, "users", {
  target: client,
  arrivals: arrivals.poisson(REQUEST_RATE_PER_S),
  stopAfter: { time: RUN_FOR_S },
});
sim.run();

const ms = (seconds: number) => (seconds * 1000).toFixed(1);
const rows: string[][] = [];
for (let start = 0; start < RUN_FOR_S; start += WINDOW_S) {
  const middle = start + WINDOW_S / 2;
  const latencies = client.samples
    .filter((s) => s.sentAt >= start && s.sentAt < start + WINDOW_S)
    .map((s) => s.latency);
  rows.push([
    `${start}-${start + WINDOW_S}s`,
    ms(valueAt(LINK_LATENCY, middle)),
    ms(valueAt(SERVICE_MEAN, middle)),
    ms(percentile(latencies, 0.5)),
    ms(percentile(latencies, 0.99)),
  ]);
}
console.log(
  `Time-varying parameters: ${REQUEST_RATE_PER_S} calls/s through a link whose latency cycles, ` +
    `to a server that is slow from 150 s to 210 s (seed ${SEED})\n`,
);
console.log(
  formatTable(["window", "link one-way (ms)", "service mean (ms)", "p50 (ms)", "p99 (ms)"], rows),
);
