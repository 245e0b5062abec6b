/**
 * First reply wins: why processes wait on futures, and why `race` cancels the loser.
 *
 * Scenario: a client needs one answer from a key-value service with two replicas. Each
 * replica is usually fast (exponential, mean 10 ms) but one request in twenty hits a 500 ms
 * stall (a GC pause, a cold cache). Three ways to ask:
 *   - one replica, and wait;
 *   - one replica, with a 100 ms timeout and one retry on the other replica;
 *   - both replicas at once, `race` the two calls and take the first reply; the slower call is
 *     cancelled, so its timeout timer and pending state disappear with it.
 * The table shows the tail: asking both turns a 1-in-20 stall into a 1-in-400 event, at the
 * price of twice the load, and the client ends with no call left pending.
 *
 * Run: npx tsx --conditions=distsim-source examples/core/first-reply-wins.ts
 */
import { Entity, type Message, race, Simulation, TimeoutError, wait } from "distsim";
import { formatTable, percentile } from "../support/table.js";

const SEED = 7;
const REQUESTS = 4000;
const GAP_S = 0.05;
const FAST_MEAN_S = 0.01;
const STALL_S = 0.5;
const STALL_PROBABILITY = 0.05;
const TIMEOUT_S = 0.1;

type Strategy = "one replica" | "timeout + retry" | "race both";

class Replica extends Entity<string, string> {
  private readonly latency = this.random("latency");
  requests = 0;
  override *handle(request: Message<string>) {
    this.requests++;
    const stalled = this.latency.bernoulli(STALL_PROBABILITY);
    yield stalled ? STALL_S : this.latency.exponential(FAST_MEAN_S);
    this.reply(request, `value of ${request.payload}`);
  }
}

class Client extends Entity {
  readonly latencies: number[] = [];
  constructor(
    sim: Simulation,
    private readonly replicas: readonly [Replica, Replica],
    private readonly strategy: Strategy,
  ) {
    super(sim, "client");
    this.start(this.issueRequests);
  }

  private *issueRequests() {
    for (let i = 0; i < REQUESTS; i++) {
      this.start(this.oneRequest(`key-${i}`));
      yield GAP_S;
    }
  }

  private *oneRequest(key: string) {
    const started = this.now;
    const [first, second] = this.replicas;
    if (this.strategy === "one replica") {
      yield* this.call(first, "get", key);
    } else if (this.strategy === "timeout + retry") {
      try {
        yield* this.call(first, "get", key, { timeout: TIMEOUT_S });
      } catch (error) {
        if (!(error instanceof TimeoutError)) throw error;
        yield* this.call(second, "get", key);
      }
    } else {
      yield* wait(race([this.request(first, "get", key), this.request(second, "get", key)]));
    }
    this.latencies.push(this.now - started);
  }
}

const rows: string[][] = [];
for (const strategy of ["one replica", "timeout + retry", "race both"] as const) {
  const sim = new Simulation({ seed: SEED });
  const replicas = [new Replica(sim, "replica-a"), new Replica(sim, "replica-b")] as const;
  const client = new Client(sim, replicas, strategy);
  sim.run();
  const sent = replicas[0].requests + replicas[1].requests;
  rows.push([
    strategy,
    (percentile(client.latencies, 0.5) * 1000).toFixed(1),
    (percentile(client.latencies, 0.99) * 1000).toFixed(1),
    (percentile(client.latencies, 0.999) * 1000).toFixed(1),
    (sent / REQUESTS).toFixed(2),
    String(client.pendingCallCount),
  ]);
}

console.log(
  `First reply wins: ${REQUESTS} gets; replicas answer in ~${FAST_MEAN_S * 1000} ms, ` +
    `but ${STALL_PROBABILITY * 100}% of requests stall for ${STALL_S * 1000} ms (seed ${SEED})\n`,
);
console.log(
  formatTable(
    ["strategy", "p50 (ms)", "p99 (ms)", "p99.9 (ms)", "load per get", "calls left pending"],
    rows,
  ),
);
