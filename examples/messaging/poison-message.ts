/**
 * A poison message: one that crashes every consumer that takes it. Without a redelivery limit
 * it comes back forever; with one it ends in the dead-letter queue while the rest flow.
 *
 * Scenario: an "orders" queue gets 30 orders/s (Poisson) for 300 s. Four workers take pushed
 * deliveries, two at a time each (prefetch 2), 50 ms of work (exponential), then commit for
 * 5 ms and ack. Three orders are poison: 0.2 s into one, the worker process dies (and is
 * restarted 15 s later); six are malformed: the worker rejects them at once (no requeue). A
 * delivery left unsettled comes back after a 10 s visibility timeout, 1 s later.
 * - No limit: each poison order is redelivered every ~11 s for as long as the run lasts,
 *   taking down one worker each time (59 crashes); what that worker held is lost with it and
 *   redelivered too (a duplicate when it had been processed but not yet acked: 2 orders were
 *   processed twice). Once all three circulate, most of the fleet is down at any moment and
 *   the p99 wait in the queue goes from milliseconds to seconds.
 * - maxRedeliveries 3: each poison order is delivered 4 times (12 crashes in all), then parked
 *   in the dead-letter queue with its reason; the malformed ones are there too ("rejected"),
 *   and everything else is acked without waiting.
 *
 * Run: npx tsx --conditions=distsim-source examples/messaging/poison-message.ts
 */
import {
  arrivals,
  DeadLetterQueue,
  type Delivery,
  Entity,
  type Message,
  MessageQueue,
  Simulation,
  Source,
} from "distsim";
import { formatTable } from "../support/table.js";

const SEED = 11;
const LOAD_S = 300;
const RUN_FOR_S = 360;
const RESTART_S = 15;
const POISON = new Set([1000, 4000, 7000]);

interface Order {
  readonly n: number;
  readonly poison: boolean;
  readonly malformed: boolean;
}

/** What the workers did, outside the queue (the orders table of a database). */
class Ledger {
  readonly processed = new Map<number, number>();
  crashes = 0;
}

class Worker extends Entity<Delivery<Order>> {
  private readonly service = this.random("service");
  constructor(
    sim: Simulation,
    name: string,
    private readonly ledger: Ledger,
  ) {
    super(sim, name);
  }
  override *handle(message: Message<Delivery<Order>>) {
    const delivery = message.payload;
    const order = delivery.body;
    if (order.malformed) {
      delivery.reject();
      return;
    }
    if (order.poison) {
      yield 0.2;
      // The worker process dies (a process cannot crash its own entity: the next event does).
      this.ledger.crashes++;
      this.sim.after(0, () => {
        this.crash();
        this.sim.after(RESTART_S, () => this.recover());
      });
      yield 1;
      return;
    }
    yield this.service.exponential(0.05);
    const id = delivery.message.id;
    this.ledger.processed.set(id, (this.ledger.processed.get(id) ?? 0) + 1);
    yield 0.005;
    delivery.ack();
  }
}

function run(maxRedeliveries: number) {
  const sim = new Simulation({ seed: SEED });
  const dlq = new DeadLetterQueue<Order>(sim, "orders-dlq");
  const queue = new MessageQueue<Order>(sim, "orders", {
    visibilityTimeout: 10,
    redeliveryDelay: 1,
    maxRedeliveries,
    deadLetterQueue: dlq,
  });
  const ledger = new Ledger();
  for (let i = 1; i <= 4; i++) {
    queue.addConsumer(new Worker(sim, `worker-${i}`, ledger), { prefetch: 2 });
  }
  new Source<Order>(sim, "shop", {
    target: queue,
    arrivals: arrivals.poisson(30),
    payload: (n) => ({ n, poison: POISON.has(n), malformed: n % 1500 === 750 }),
    stopAfter: { time: LOAD_S },
  });
  sim.run({ until: RUN_FOR_S });
  return { queue, dlq, ledger };
}

const configs = [
  { label: "no limit", maxRedeliveries: Number.POSITIVE_INFINITY },
  { label: "maxRedeliveries 3", maxRedeliveries: 3 },
];
const results = configs.map((c) => ({ ...c, ...run(c.maxRedeliveries) }));

console.log(
  `30 orders/s for ${LOAD_S} s on 4 workers (prefetch 2); 3 poison orders crash their worker (down ${RESTART_S} s), 6 malformed ones are rejected;`,
);
console.log(
  `visibility timeout 10 s, redelivery delay 1 s; state at ${RUN_FOR_S} s (seed ${SEED})`,
);
console.log();
console.log(
  formatTable(
    [
      "redeliveries",
      "published",
      "acked",
      "dead: max",
      "dead: rejected",
      "still queued",
      "worker crashes",
      "redelivered",
      "duplicates",
      "processed twice",
      "p99 wait (ms)",
    ],
    results.map(({ label, queue, ledger }) => {
      const s = queue.stats;
      let twice = 0;
      for (const times of ledger.processed.values()) if (times > 1) twice++;
      return [
        label,
        String(s.published),
        String(s.acked),
        String(s.deadLetteredBy.maxRedeliveries ?? 0),
        String(s.deadLetteredBy.rejected ?? 0),
        String(s.depth + s.delayed + s.inFlight),
        String(ledger.crashes),
        String(s.redelivered),
        String(s.duplicates),
        String(twice),
        (queue.waitTime.p99 * 1000).toFixed(0),
      ];
    }),
  ),
);

const limited = results[1]!;
console.log();
console.log(
  `dead-letter queue with maxRedeliveries 3: ${JSON.stringify(limited.dlq.countByReason())}`,
);
console.log();
console.log(
  formatTable(
    ["message", "order", "reason", "deliveries", "dead-lettered at (s)"],
    limited.dlq.entries.map((letter) => [
      String(letter.message.id),
      String(letter.body.n),
      letter.reason,
      String(letter.deliveries),
      letter.at.toFixed(1),
    ]),
  ),
);
