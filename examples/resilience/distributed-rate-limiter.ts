/**
 * DistributedRateLimiter: four instances share a limit through a counter store, and the
 * store's latency decides what the limit is worth.
 *
 * Scenario: a global limit of 1,000 requests/s (1,000 per 1 s window) enforced by 4 limiter
 * instances, each in front of the same backend and each offered 500 requests/s (2,000/s in
 * all, twice the limit). They count in one store, whose round trip grows from 0.1 ms to 50 ms.
 *
 *   - synchronous (ask the store, wait for the count, admit if within the limit): the store's
 *     increment is atomic, so the limit holds exactly at any latency, and every admitted
 *     request waits one round trip for it. With a store timeout of 30 ms that fails open, a
 *     store slower than that admits everything: the limit is gone.
 *   - asynchronous (admit on the instance's own estimate, send the increment without
 *     waiting): nothing waits, but an instance learns the global count only from the answers
 *     to its own increments. Once per window, when the count reaches the limit, each of the
 *     other three instances admits one more request blind (its next increment is what tells
 *     it), and everything it admits while that answer is on its way: about 3 x (1 + 500/s x
 *     round trip) too many per window, which grows with the store's latency.
 *   - batched (take an allowance of 25 from the store at a time, admit from it): exact like
 *     synchronous, and only the requests that arrive while the next allowance is on its way
 *     wait for it: a fraction of a round trip on average. (What an instance still holds when
 *     a window ends is lost; offered twice the limit, each spends its allowance at once, so
 *     none is.) A fetch slower than the timeout fails open for the requests waiting on it.
 *
 * Columns: the store's round trip; for each design the requests admitted per second over 30 s,
 * the over-admission (admitted over the limit, negative for under), and the mean time an
 * admitted request waited for the limiter before reaching the backend (asynchronous: none);
 * the estimate of the asynchronous excess above. Below the table, the requests admitted
 * because the store did not answer within the timeout.
 *
 * Run: npx tsx --conditions=distsim-source examples/resilience/distributed-rate-limiter.ts
 */
import {
  arrivals,
  type CounterIncrement,
  type DistributedLimitMode,
  DistributedRateLimiter,
  Entity,
  type Message,
  Simulation,
  Source,
} from "distsim";
import { formatTable } from "../support/table.js";

const SEED = 5;
const INSTANCES = 4;
const LIMIT_PER_S = 1000;
const OFFERED_PER_INSTANCE_PER_S = 500;
const STORE_TIMEOUT_S = 0.03;
const BATCH_SIZE = 25;
const ROUND_TRIPS_S = [0.0001, 0.001, 0.005, 0.01, 0.02, 0.05];
const RUN_FOR_S = 30;

/** The counter store: applies an increment half a round trip after it is sent, answers half a round trip later. */
class CounterStore extends Entity<CounterIncrement, number> {
  private readonly counts = new Map<string, number>();
  constructor(
    sim: Simulation,
    private readonly roundTrip: number,
  ) {
    super(sim, "store");
  }
  override *handle(request: Message<CounterIncrement>) {
    yield this.roundTrip / 2;
    const { key, by } = request.payload;
    const count = (this.counts.get(key) ?? 0) + by;
    this.counts.set(key, count);
    yield this.roundTrip / 2;
    this.reply(request, count);
  }
}

/** The backend: answers at once, and notes how long each request took to reach it. */
class Backend extends Entity<number, number> {
  received = 0;
  totalWait = 0;
  override handle(request: Message<number>): void {
    this.received++;
    this.totalWait += this.now - request.originAt;
    this.reply(request, request.payload);
  }
}

interface Result {
  admittedPerS: number;
  meanWait: number;
  failedOpen: number;
}

function run(mode: DistributedLimitMode, roundTrip: number): Result {
  const sim = new Simulation({ seed: SEED });
  const store = new CounterStore(sim, roundTrip);
  const backend = new Backend(sim, "backend");
  const instances = Array.from(
    { length: INSTANCES },
    (_, i) =>
      new DistributedRateLimiter<number, number>(sim, `limiter-${i}`, {
        target: backend,
        store,
        limit: LIMIT_PER_S,
        window: 1,
        mode,
        batchSize: BATCH_SIZE,
        // An asynchronous instance never waits for the store: no timeout for it to act on.
        ...(mode === "asynchronous"
          ? {}
          : { storeTimeout: STORE_TIMEOUT_S, onStoreFailure: "open" }),
      }),
  );
  for (const instance of instances) {
    new Source(sim, `load-${instance.name}`, {
      target: instance,
      arrivals: arrivals.poisson(OFFERED_PER_INSTANCE_PER_S),
      stopAfter: { time: RUN_FOR_S },
    });
  }
  sim.run();
  return {
    admittedPerS: backend.received / RUN_FOR_S,
    meanWait: backend.totalWait / backend.received,
    failedOpen: instances.reduce((sum, instance) => sum + instance.stats.failedOpen, 0),
  };
}

const over = (perS: number) => `${((perS / LIMIT_PER_S - 1) * 100).toFixed(1)}%`;
const ms = (seconds: number) => `${(seconds * 1000).toFixed(1)} ms`;
const offered = INSTANCES * OFFERED_PER_INSTANCE_PER_S;

console.log(
  `Distributed rate limiter: ${INSTANCES} instances, a global limit of ${LIMIT_PER_S}/s (per 1 s window), ` +
    `${offered}/s offered; store timeout ${STORE_TIMEOUT_S * 1000} ms, failing open; ${RUN_FOR_S} s (seed ${SEED})\n`,
);
const rows: string[][] = [];
const failedOpen: string[] = [];
for (const roundTrip of ROUND_TRIPS_S) {
  const sync = run("synchronous", roundTrip);
  const async = run("asynchronous", roundTrip);
  const batched = run("batched", roundTrip);
  const estimate = ((INSTANCES - 1) * (1 + OFFERED_PER_INSTANCE_PER_S * roundTrip)) / LIMIT_PER_S;
  rows.push([
    ms(roundTrip),
    sync.admittedPerS.toFixed(1),
    over(sync.admittedPerS),
    ms(sync.meanWait),
    async.admittedPerS.toFixed(1),
    over(async.admittedPerS),
    `${(estimate * 100).toFixed(1)}%`,
    batched.admittedPerS.toFixed(1),
    over(batched.admittedPerS),
    ms(batched.meanWait),
  ]);
  if (sync.failedOpen + batched.failedOpen > 0) {
    failedOpen.push(
      `at ${ms(roundTrip)}: synchronous ${sync.failedOpen}, batched ${batched.failedOpen}`,
    );
  }
}
console.log(
  formatTable(
    [
      "store round trip",
      "sync adm/s",
      "sync over",
      "sync wait",
      "async adm/s",
      "async over",
      "(estimate)",
      "batched adm/s",
      "batched over",
      "batched wait",
    ],
    rows,
  ),
);
console.log(
  `\nAdmitted because the store did not answer within ${ms(STORE_TIMEOUT_S)} (failing open): ${failedOpen.join("; ") || "none"}.`,
);
console.log(
  "\nWaiting for the store keeps the limit exact and puts its round trip on every request, until the store is slower " +
    "than the timeout and failing open lets everything through; not waiting costs nothing per request and " +
    "over-admits in proportion to the store's latency; batches keep it exact and make one request in a batch wait.",
);
