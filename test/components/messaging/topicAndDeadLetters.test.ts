import { describe, expect, it } from "vitest";
import {
  arrivals,
  ConfigError,
  DeadLetterQueue,
  type DeadLetterQueueOptions,
  Entity,
  fifo,
  MessageQueue,
  type QueuedMessage,
  RemoteError,
  Simulation,
  SimulationError,
  Source,
  Topic,
  type TopicOptions,
} from "../../../src/index.js";
import { componentLaws } from "../../support/laws.js";
import { Worker } from "./support.js";

describe("Topic", () => {
  it("fans each message out to the subscriptions that exist when it is published", () => {
    const sim = new Simulation({ seed: 1 });
    const topic = new Topic<number>(sim, "orders");
    const billing = topic.subscribe("billing");
    const publisher = new Entity(sim, "publisher");
    let shipping: MessageQueue<number> | undefined;
    publisher.start(function* () {
      expect(topic.publish(1)).toBe(1);
      yield 1;
      shipping = topic.subscribe("shipping");
      expect(topic.publish(2)).toBe(2);
      yield 1;
      expect(topic.unsubscribe("billing")).toBe(true);
      expect(topic.unsubscribe("billing")).toBe(false);
      expect(topic.publish(3)).toBe(1);
      // Detached, it still shows in the metrics (its queue is still consumed), marked.
      expect(topic.stats).toMatchObject({ subscriptions: 1, detached: 1 });
      expect(topic.metrics()).toMatchObject({
        "lag.billing": 2,
        "fannedOut.billing": 2,
        "detached.billing": 1,
        "fannedOut.shipping": 2,
      });
      yield 1;
      // Attached again, with what it held; message 3 never reached it. Its queue keeps its
      // options: giving options then is refused, saying so.
      expect(() => topic.subscribe("billing", { capacity: 3 })).toThrow(ConfigError);
      expect(() => topic.subscribe("billing", { capacity: 3 })).toThrow(
        /none when attaching a detached subscription again \(its queue keeps the options it was made with\)/,
      );
      expect(topic.subscribe("billing")).toBe(billing);
      expect(topic.metrics()["detached.billing"]).toBeUndefined();
      expect(topic.publish(4)).toBe(2);
    });
    sim.run();
    const bodies = (queue: MessageQueue<number>) => {
      const out: number[] = [];
      for (let d = queue.tryReceive(); d !== null; d = queue.tryReceive()) out.push(d.body);
      return out;
    };
    expect(topic.subscriptions).toEqual(["shipping", "billing"]);
    expect(topic.subscription("billing")).toBe(billing);
    expect(billing.name).toBe("orders/billing");
    expect(bodies(billing)).toEqual([1, 2, 4]);
    expect(bodies(shipping!)).toEqual([2, 3, 4]);
    expect(topic.stats).toEqual({
      published: 4,
      routed: 4,
      unrouted: 0,
      offered: 6,
      fannedOut: 6,
      refused: 0,
      subscriptions: 2,
      detached: 0,
    });
    const metrics = topic.metrics();
    expect(Number(metrics["fannedOut.billing"]) + Number(metrics["fannedOut.shipping"])).toBe(6);
  });

  it("counts a message with no subscription as unrouted, and a full subscription's refusal", () => {
    const sim = new Simulation({ seed: 1 });
    const topic = new Topic<number>(sim, "t", { subscriptionDefaults: { capacity: 1 } });
    expect(topic.publish(0)).toBe(0);
    topic.subscribe("a");
    topic.subscribe("b", { capacity: 5 });
    topic.publish(1);
    topic.publish(2);
    expect(topic.stats).toMatchObject({
      published: 3,
      unrouted: 1,
      offered: 4,
      fannedOut: 3,
      refused: 1,
    });
    expect(topic.lag("a")).toBe(1);
    expect(topic.lag("b")).toBe(2);
    expect(topic.metrics()).toMatchObject({ "lag.a": 1, "lag.b": 2 });
  });

  it("measures a slow subscriber's lag over time while a fast one keeps up", () => {
    const sim = new Simulation({ seed: 1 });
    const topic = new Topic<number>(sim, "events");
    topic.subscribe("fast").addConsumer(new Worker(sim, "fastWorker", 0.01));
    topic.subscribe("slow").addConsumer(new Worker(sim, "slowWorker", 0.2));
    new Source<number>(sim, "source", {
      target: topic,
      arrivals: arrivals.constant(10),
      payload: (i) => i,
      stopAfter: { count: 50 },
    });
    let lagAt5 = { fast: -1, slow: -1 };
    sim.at(5, () => {
      lagAt5 = { fast: topic.lag("fast"), slow: topic.lag("slow") };
    });
    sim.run();
    // 50 published by 5 s at 10/s; the slow subscriber acked one per 0.2 s: 25 by then.
    expect(lagAt5.fast).toBeLessThanOrEqual(1);
    expect(lagAt5.slow).toBe(25);
    const slow = topic.lagSeries("slow");
    expect(slow[4]![1]).toBeGreaterThan(slow[1]![1]);
    expect(topic.lagSeries("fast").every(([, lag]) => lag <= 1)).toBe(true);
    expect(topic.recordedSeries().map((s) => s.name)).toEqual([
      "lag fast (mean)",
      "lag slow (mean)",
    ]);
  });

  it("refuses publishing while down and bad options", () => {
    const sim = new Simulation({ seed: 1 });
    const topic = new Topic<number>(sim, "t");
    topic.subscribe("a");
    expect(() => topic.subscribe("a")).toThrow(SimulationError);
    expect(() => topic.subscribe("")).toThrow(ConfigError);
    expect(() => topic.lag("nope")).toThrow(/no subscription "nope"/);
    topic.crash();
    expect(() => topic.publish(1)).toThrow(RemoteError);
    expect(() => new Topic(sim, "u", { subscriptionDefaults: { capacity: 0 } })).toThrow(
      /option "capacity"/,
    );
    const policy = fifo<QueuedMessage<unknown>>();
    expect(() => new Topic(sim, "v", { subscriptionDefaults: { queuePolicy: policy } })).toThrow(
      /a discipline instance orders one queue only/,
    );
    expect(sim.entity("u")).toBeUndefined();
  });
});

describe("DeadLetterQueue", () => {
  function withLetters() {
    const sim = new Simulation({ seed: 1 });
    const dlq = new DeadLetterQueue<number>(sim, "dlq");
    const queue = new MessageQueue<number>(sim, "jobs", {
      deadLetterQueue: dlq,
      maxRedeliveries: 1,
      messageTtl: 10,
    });
    // Odd bodies are rejected, 4 is requeued until it runs out of redeliveries.
    const worker = new Worker(sim, "worker", 0.1, 0, (d) =>
      d.body === 4 ? "requeue" : d.body % 2 === 1 ? "reject" : "ack",
    );
    queue.addConsumer(worker);
    for (let body = 1; body <= 6; body++) queue.publish(body);
    return { sim, dlq, queue, worker };
  }

  it("keeps each letter with its reason, source and deliveries, and counts by reason", () => {
    const { sim, dlq, queue } = withLetters();
    sim.run();
    expect(dlq.entries.map((l) => [l.body, l.reason, l.deliveries])).toEqual([
      [1, "rejected", 1],
      [3, "rejected", 1],
      [5, "rejected", 1],
      [4, "maxRedeliveries", 2],
    ]);
    expect(dlq.entries.every((l) => l.source === queue)).toBe(true);
    expect(dlq.countByReason()).toEqual({ rejected: 3, maxRedeliveries: 1 });
    expect(dlq.metrics()).toMatchObject({
      received: 4,
      held: 4,
      "received.rejected": 3,
      "received.maxRedeliveries": 1,
    });
  });

  it("replays letters to their source queue, filtered and limited; a refused one stays", () => {
    const { sim, dlq, queue, worker } = withLetters();
    sim.run();
    worker.decide = () => "ack";
    expect(dlq.replay({ filter: (l) => l.reason === "rejected", limit: 2 })).toBe(2);
    sim.run();
    // Published again as new messages (ids 7 and 8) with the letters' bodies.
    expect(worker.processed.slice(-2)).toEqual([7, 8]);
    expect(dlq.size).toBe(2);
    queue.crash();
    expect(dlq.replay()).toBe(0);
    queue.recover();
    expect(dlq.replay()).toBe(2);
    expect(dlq.purge()).toBe(0);
    sim.run();
    expect(dlq.stats).toMatchObject({ received: 4, replayed: 4, held: 0 });
    expect(queue.stats.acked).toBe(2 + 4);
  });

  it("purges, discards beyond capacity, keeps letters through its crash and refuses replay while down", () => {
    const sim = new Simulation({ seed: 1 });
    const dlq = new DeadLetterQueue<number>(sim, "dlq", { capacity: 2 });
    const queue = new MessageQueue<number>(sim, "q", { deadLetterQueue: dlq });
    queue.addConsumer(new Worker(sim, "w", 0, 0, () => "reject"));
    for (let body = 1; body <= 3; body++) queue.publish(body);
    sim.run();
    expect(dlq.entries.map((l) => l.body)).toEqual([2, 3]);
    expect(dlq.stats).toMatchObject({ received: 3, held: 2, discarded: 1 });
    dlq.crash();
    expect(dlq.size).toBe(2);
    expect(() => dlq.replay()).toThrow(RemoteError);
    dlq.recover();
    expect(dlq.purge({ filter: (l) => l.body === 2 })).toBe(1);
    expect(dlq.stats).toMatchObject({ received: 3, held: 1, purged: 1, discarded: 1 });
    expect(() => dlq.replay({ limit: -1 })).toThrow(/option "limit"/);
    expect(() => dlq.replay({ filter: "x" as never })).toThrow(/option "filter"/);
    expect(() => new DeadLetterQueue(sim, "bad", { capacity: 0 })).toThrow(/option "capacity"/);
  });
});

componentLaws<Topic<number>>({
  type: Topic,
  options: () => ({ subscriptionDefaults: { visibilityTimeout: 1 } }),
  construct: (sim, name, options) => new Topic<number>(sim, name, options as TopicOptions<number>),
  invalid: [
    { subscriptionDefaults: 3 },
    { subscriptionDefaults: { capacity: 0 } },
    { subscriptionDefaults: { queuePolicy: fifo() } },
  ],
  scenario: (sim) => {
    const topic = new Topic<number>(sim, "subject", {
      subscriptionDefaults: { visibilityTimeout: 0.5, capacity: 30 },
    });
    topic.subscribe("fast").addConsumer(new Worker(sim, "fastWorker", 0.005), { prefetch: 4 });
    topic.subscribe("slow").addConsumer(new Worker(sim, "slowWorker", 0.05));
    new Source<number>(sim, "source", {
      target: topic,
      arrivals: arrivals.poisson(40),
      payload: (i) => i,
      stopAfter: { time: 3 },
    });
    sim.at(1, () => topic.subscribe("late").addConsumer(new Worker(sim, "lateWorker", 0.01)));
    sim.at(2.5, () => topic.unsubscribe("fast"));
    return topic;
  },
  crashAt: 1.5,
  recoverAt: 2,
  identities: (topic) => {
    const s = topic.stats;
    const perSubscription = Object.entries(topic.metrics())
      .filter(([key]) => key.startsWith("fannedOut."))
      .reduce((sum, [, n]) => sum + Number(n), 0);
    return [
      ["offered = fannedOut + refused", s.offered, s.fannedOut + s.refused],
      ["published = routed + unrouted", s.published, s.routed + s.unrouted],
      ["fannedOut = sum of fannedOut.<name>, detached included", s.fannedOut, perSubscription],
    ];
  },
});

componentLaws<DeadLetterQueue<number>>({
  type: DeadLetterQueue,
  options: () => ({ capacity: 100 }),
  construct: (sim, name, options) =>
    new DeadLetterQueue<number>(sim, name, options as DeadLetterQueueOptions),
  invalid: [{ capacity: 0 }, { capacity: 2.5 }, { capacity: "many" }],
  scenario: (sim) => {
    const dlq = new DeadLetterQueue<number>(sim, "subject", { capacity: 20 });
    const queue = new MessageQueue<number>(sim, "jobs", {
      deadLetterQueue: dlq,
      maxRedeliveries: 1,
      visibilityTimeout: 0.2,
    });
    queue.addConsumer(
      new Worker(sim, "worker", 0.01, 0, (d) =>
        d.body % 5 === 0 ? "reject" : d.body % 7 === 0 ? "requeue" : "ack",
      ),
      { prefetch: 2 },
    );
    new Source<number>(sim, "source", {
      target: queue,
      arrivals: arrivals.poisson(50),
      payload: (i) => i,
      stopAfter: { time: 3 },
    });
    sim.at(1, () => dlq.replay({ limit: 3 }));
    sim.at(1.2, () => dlq.purge({ limit: 2 }));
    return dlq;
  },
  crashAt: 1.5,
  recoverAt: 2,
  identities: (dlq) => {
    const s = dlq.stats;
    return [
      [
        "received = held + replayed + purged + discarded",
        s.received,
        s.held + s.replayed + s.purged + s.discarded,
      ],
    ];
  },
});
