/**
 * Consumer lag: a subscriber slower than its topic falls behind, and more consumers drain it.
 *
 * Scenario: an "orders" topic gets 40 messages/s (Poisson) for 200 s. Two subscriptions each
 * have a queue of their own: "audit" (one consumer, 5 ms a message) keeps up; "search-index"
 * starts with one consumer that takes 40 ms a message (exponential): 25 messages/s, so its lag
 * (published to it, not yet acked) grows by ~15 a second. At 60 s we add 0, 1, 2 or 4 more
 * consumers to "search-index" (competing consumers: each message goes to one of them).
 * - +0: the lag grows for the whole run; the oldest message waits minutes.
 * - +1 (50/s of capacity): the backlog of ~900 drains at ~10 a second: 90 s.
 * - +2 (75/s): ~35 a second: under half a minute. +4 (125/s): about ten seconds.
 * The audit subscriber's lag stays near zero throughout: a slow subscriber holds back only
 * itself. The queue keeps its depth, the age of its oldest message and its backlog per window
 * of 20 s, exact between events (not sampled).
 *
 * Run: npx tsx --conditions=distsim-source examples/messaging/consumer-lag.ts
 */
import {
  arrivals,
  type Delivery,
  Entity,
  type Message,
  type MessageQueue,
  Simulation,
  Source,
  Topic,
} from "distsim";
import { formatTable } from "../support/table.js";

const SEED = 7;
const RUN_FOR_S = 200;
const SCALE_AT_S = 60;
const WINDOW_S = 20;
const EXTRA_CONSUMERS = [0, 1, 2, 4];

/** Takes each pushed delivery, works a random time with the given mean, acks. */
class Consumer extends Entity<Delivery<number>> {
  private readonly service = this.random("service");
  constructor(
    sim: Simulation,
    name: string,
    private readonly meanSeconds: number,
  ) {
    super(sim, name);
  }
  override *handle(message: Message<Delivery<number>>) {
    yield this.service.exponential(this.meanSeconds);
    message.payload.ack();
  }
}

function run(extra: number) {
  const sim = new Simulation({ seed: SEED });
  const topic = new Topic<number>(sim, "orders", {
    subscriptionDefaults: { seriesWindow: WINDOW_S },
  });
  const audit = topic.subscribe("audit");
  audit.addConsumer(new Consumer(sim, "audit-1", 0.005));
  const search = topic.subscribe("search-index");
  search.addConsumer(new Consumer(sim, "search-1", 0.04));
  sim.at(SCALE_AT_S, () => {
    for (let i = 0; i < extra; i++) {
      search.addConsumer(new Consumer(sim, `search-${i + 2}`, 0.04));
    }
  });
  new Source<number>(sim, "publisher", {
    target: topic,
    arrivals: arrivals.poisson(40),
    payload: (i) => i,
    stopAfter: { time: RUN_FOR_S },
  });
  // Time to drain: the first instant after scaling when the lag is back under 5.
  let drainedAt = Number.NaN;
  const watch = () => {
    if (Number.isNaN(drainedAt) && topic.lag("search-index") < 5) drainedAt = sim.now;
    else sim.after(0.1, watch, undefined, { daemon: true });
  };
  sim.at(SCALE_AT_S + 0.1, watch, undefined, { daemon: true });
  sim.run({ until: RUN_FOR_S });
  return { search, audit, drainedAt };
}

const runs = EXTRA_CONSUMERS.map((extra) => ({ extra, ...run(extra) }));

const windows = runs[0]!.search.depthSeries().backlog.map(([start]) => start);
const at = (points: [number, number][], start: number) =>
  points.find(([s]) => s === start)?.[1] ?? Number.NaN;
const rows = windows.map((start) => [
  `${start}-${start + WINDOW_S}`,
  ...runs.flatMap(({ search }) => {
    const s = search.depthSeries();
    return [at(s.backlog, start).toFixed(0), at(s.ageOfOldest, start).toFixed(1)];
  }),
]);
console.log(
  `"search-index" lag (mean messages unacked) and age of its oldest ready message (max, s) per ${WINDOW_S} s window;`,
);
console.log(
  `40 messages/s, one consumer at 25/s until ${SCALE_AT_S} s, then +0/+1/+2/+4 consumers (seed ${SEED})`,
);
console.log();
console.log(
  formatTable(["window (s)", ...EXTRA_CONSUMERS.flatMap((n) => [`+${n} lag`, `+${n} age`])], rows),
);

const peakLag = (queue: MessageQueue<number>) =>
  Math.max(...queue.depthSeries().backlog.map(([, lag]) => lag));
console.log();
console.log(
  formatTable(
    [
      "consumers added",
      "peak lag (window mean)",
      "drained at (s)",
      "acked",
      "lag at end",
      "audit peak lag",
      "audit acked",
    ],
    runs.map(({ extra, search, audit, drainedAt }) => [
      `+${extra}`,
      peakLag(search).toFixed(0),
      Number.isNaN(drainedAt) ? "never" : drainedAt.toFixed(1),
      String(search.stats.acked),
      String(search.backlog),
      peakLag(audit).toFixed(1),
      String(audit.stats.acked),
    ]),
  ),
);
