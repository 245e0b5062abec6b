/**
 * Timeout and fallback: bound the wait, then turn failures into degraded answers.
 *
 * Scenario: a product page asks a pricing service for a price, 100 times a second for 60 s.
 * The service answers in ~20 ms, but 2% of requests stall for 10 s (a lock, a dead
 * connection), and from t = 30 s to 40 s it is down: requests sent to it then are lost, and
 * nobody ever answers them. Three ways to call it:
 *   - plainly: the page waits as long as the service takes; a stall holds the user for 10 s,
 *     and a request lost in the outage is never answered at all;
 *   - through a `TimeoutWrapper` (250 ms): every call ends within 250 ms, but a stalled or lost
 *     request ends as an error: the wait is bounded, the failure is not hidden;
 *   - through a `Fallback` around that wrapper, answering from a cache of last known prices
 *     when the call fails: every page gets a price in 250 ms, and the table says how many of
 *     those prices were stale. Availability is bought with correctness.
 *
 * Columns: of all requests, the share answered with a fresh price, with a cached (possibly
 * stale) price, failed, and still waiting when the run ends (10 s after the last request);
 * wait percentiles are of the time until the page got an answer or an error (requests still
 * waiting are left out, so the first row's tail is even worse than it reads).
 *
 * Run: npx tsx --conditions=distsim-source examples/resilience/timeout-and-fallback.ts
 */
import {
  arrivals,
  dist,
  Entity,
  Fallback,
  type Message,
  Server,
  Simulation,
  Source,
  TimeoutWrapper,
} from "distsim";
import { formatTable, percentile } from "../support/table.js";

const SEED = 23;
const RATE_PER_S = 100;
const RUN_FOR_S = 60;
const SERVICE_TIME = dist.bimodal(
  dist.lognormal({ median: 0.02, sigma: 0.4 }),
  dist.constant(10),
  0.02,
);
const OUTAGE = { from: 30, to: 40 };
const TIMEOUT_S = 0.25;

type Price = "fresh" | "cached";

/**
 * The product page: asks for a price on every arrival and records what came back, and how long
 * the page waited for it (an answer or an error: either way the page can render).
 */
class ProductPage extends Entity<number> {
  readonly latencies: number[] = [];
  readonly answers = { fresh: 0, cached: 0 };
  failed = 0;
  requests = 0;
  constructor(
    sim: Simulation,
    private readonly prices: Entity<number, Price>,
  ) {
    super(sim, "product-page");
  }
  override *handle(arrival: Message<number>) {
    this.requests++;
    const started = this.now;
    try {
      const price = yield* this.call(this.prices, "price", arrival.payload);
      this.answers[price]++;
    } catch {
      this.failed++;
    }
    this.latencies.push(this.now - started);
  }
}

function run(setup: "plain" | "timeout" | "timeout + fallback"): string[] {
  const sim = new Simulation({ seed: SEED });
  const pricing = new Server<number, Price>(sim, "pricing", {
    concurrency: 500,
    serviceTime: SERVICE_TIME,
    respond: () => "fresh",
  });
  sim.at(OUTAGE.from, () => pricing.crash());
  sim.at(OUTAGE.to, () => pricing.recover());
  let prices: Entity<number, Price> = pricing;
  if (setup !== "plain") {
    prices = new TimeoutWrapper<number, Price>(sim, "deadline", {
      target: pricing,
      timeout: TIMEOUT_S,
    });
  }
  if (setup === "timeout + fallback") {
    prices = new Fallback<number, Price>(sim, "with-cache", {
      primary: prices,
      fallback: () => "cached",
    });
  }
  const page = new ProductPage(sim, prices);
  new Source(sim, "visitors", {
    target: page,
    arrivals: arrivals.poisson(RATE_PER_S),
    stopAfter: { time: RUN_FOR_S },
  });
  sim.run({ until: RUN_FOR_S + 10 });
  const share = (n: number) => `${((100 * n) / page.requests).toFixed(1)}%`;
  const waiting = page.requests - page.answers.fresh - page.answers.cached - page.failed;
  const ms = (q: number) => (percentile(page.latencies, q) * 1000).toFixed(0);
  return [
    setup === "plain" ? "no timeout" : setup.replace("timeout", `timeout ${TIMEOUT_S * 1000} ms`),
    share(page.answers.fresh),
    share(page.answers.cached),
    share(page.failed),
    share(waiting),
    ms(0.5),
    ms(0.99),
    ms(1),
  ];
}

const rows = [run("plain"), run("timeout"), run("timeout + fallback")];
console.log(
  `Timeout and fallback: ${RATE_PER_S} price requests/s for ${RUN_FOR_S} s; the pricing service answers in ~20 ms, ` +
    `2% of requests stall 10 s, and it is down from ${OUTAGE.from} s to ${OUTAGE.to} s (seed ${SEED})\n`,
);
console.log(
  formatTable(
    [
      "caller",
      "fresh price",
      "cached price",
      "failed",
      "still waiting",
      "p50 wait (ms)",
      "p99 wait (ms)",
      "max wait (ms)",
    ],
    rows,
  ),
);
const [plain, bounded, degraded] = rows as [string[], string[], string[]];
console.log(
  `\nNo timeout: ${plain[4]} of page views never end, and of those that do, the slowest 1% wait ${plain[6]} ms. ` +
    `The timeout ends every wait within ${TIMEOUT_S * 1000} ms but shows ${bounded[3]} of visitors an error; ` +
    `the fallback shows them a cached price instead (${degraded[2]} of answers possibly stale, ${degraded[3]} errors).`,
);
