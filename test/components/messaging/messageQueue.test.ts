import { describe, expect, it } from "vitest";
import type { QueueDiscipline } from "../../../src/components/resource/queueDiscipline.js";
import {
  arrivals,
  ConfigError,
  DeadLetterQueue,
  type Delivery,
  Entity,
  fairQueue,
  fifo,
  MessageQueue,
  type MessageQueueOptions,
  priority,
  RemoteError,
  Simulation,
  SimulationError,
  Source,
  TimeoutError,
} from "../../../src/index.js";
import { componentLaws } from "../../support/laws.js";
import { Worker } from "./support.js";

function setup(options: MessageQueueOptions<number> = {}) {
  const sim = new Simulation({ seed: 1 });
  const dlq = new DeadLetterQueue<number>(sim, "dlq");
  const queue = new MessageQueue<number>(sim, "queue", { deadLetterQueue: dlq, ...options });
  const producer = new Entity(sim, "producer");
  return { sim, dlq, queue, producer };
}

/** The two conservation identities, as [left, right] pairs. */
function identities(queue: MessageQueue<number>) {
  const s = queue.stats;
  return {
    messages: [
      s.published,
      s.acked + s.depth + s.delayed + s.inFlight + s.deadLettered + s.dropped + s.lostToCrash,
    ],
    deliveries: [s.delivered, s.acked + s.nacked + s.timedOut + s.inFlight + s.interrupted],
  };
}

function expectIdentities(queue: MessageQueue<number>) {
  const { messages, deliveries } = identities(queue);
  expect(messages[0]).toBe(messages[1]);
  expect(deliveries[0]).toBe(deliveries[1]);
}

describe("MessageQueue", () => {
  it("hands messages to a receiving process in order; ack removes them", () => {
    const { sim, queue, producer } = setup();
    const got: [number, number, number][] = [];
    producer.start(function* () {
      for (let i = 0; i < 3; i++) {
        queue.publish(i * 10);
        yield 1;
      }
    });
    const consumer = new Entity(sim, "consumer");
    consumer.start(function* () {
      for (let i = 0; i < 3; i++) {
        const delivery = yield* queue.receive();
        got.push([consumer.now, delivery.body, delivery.deliveryCount]);
        yield 0.5;
        expect(delivery.ack()).toBe(true);
      }
    });
    sim.run();
    expect(got).toEqual([
      [0, 0, 1],
      [1, 10, 1],
      [2, 20, 1],
    ]);
    expect(queue.stats).toMatchObject({ published: 3, delivered: 3, acked: 3, depth: 0 });
    expect(queue.stats.inFlight).toBe(0);
    expectIdentities(queue);
  });

  it("publishes by message: a call is answered with the id, a Source publishes", () => {
    const { sim, queue } = setup();
    const ids: number[] = [];
    const caller = new Entity(sim, "caller");
    caller.start(function* () {
      ids.push(yield* caller.call(queue, "publish", 7));
      ids.push(yield* caller.call(queue, "publish", 8));
    });
    new Source<number>(sim, "source", {
      target: queue,
      arrivals: arrivals.constant(10),
      payload: (i) => 100 + i,
      stopAfter: { count: 5 },
    });
    sim.run();
    expect(ids).toEqual([1, 2]);
    expect(queue.stats.published).toBe(7);
    expect(queue.depth).toBe(7);
  });

  it("competing push consumers take turns and never hold more than their prefetch", () => {
    const { sim, queue } = setup();
    const a = new Worker(sim, "a", 0.1);
    const b = new Worker(sim, "b", 0.1);
    queue.addConsumer(a, { prefetch: 2 });
    queue.addConsumer(b, { prefetch: 3 });
    for (let i = 0; i < 40; i++) queue.publish(i);
    sim.run();
    expect(a.maxHeld).toBe(2);
    expect(b.maxHeld).toBe(3);
    expect(a.processed.length + b.processed.length).toBe(40);
    // Both start at once, with their whole prefetch.
    expect(a.seen.filter(([t]) => t === 0)).toHaveLength(2);
    expect(b.seen.filter(([t]) => t === 0)).toHaveLength(3);
    expect(queue.stats).toMatchObject({ acked: 40, redelivered: 0, duplicates: 0 });
    expect(queue.consumers.map((c) => c.name)).toEqual(["a", "b"]);
  });

  it("a waiting receiver is served before push consumers", () => {
    const { sim, queue, producer } = setup();
    const pushed = new Worker(sim, "pushed", 1);
    queue.addConsumer(pushed);
    const puller = new Entity(sim, "puller");
    let pulled = -1;
    puller.start(function* () {
      const d = yield* queue.receive();
      pulled = d.body;
      d.ack();
    });
    producer.start(function* () {
      yield 0.5;
      queue.publish(1);
      queue.publish(2);
    });
    sim.run();
    expect(pulled).toBe(1);
    expect(pushed.processed).toEqual([2]);
  });

  it("reject with requeue comes back after the redelivery delay; without, it is dead-lettered", () => {
    const { sim, queue, producer, dlq } = setup({ redeliveryDelay: 2 });
    const decisions = ["requeue", "ack", "reject"] as const;
    let n = 0;
    const worker = new Worker(sim, "worker", 0, 0, () => decisions[n++]!);
    queue.addConsumer(worker);
    producer.start(function* () {
      queue.publish(1);
      yield 10;
      queue.publish(2);
    });
    sim.run();
    expect(worker.seen).toEqual([
      [0, 1, 1],
      [2, 1, 2],
      [10, 2, 1],
    ]);
    expect(queue.stats).toMatchObject({
      acked: 1,
      nacked: 2,
      requeued: 1,
      redelivered: 1,
      duplicates: 0,
      deadLettered: 1,
    });
    expect(dlq.countByReason()).toEqual({ rejected: 1 });
    expect(dlq.entries[0]).toMatchObject({ reason: "rejected", at: 10, source: queue });
    expect(dlq.entries[0]!.body).toBe(2);
    expectIdentities(queue);
  });

  it("without a dead-letter queue, a dead letter is dropped by reason", () => {
    const sim = new Simulation({ seed: 1 });
    const queue = new MessageQueue<number>(sim, "queue");
    queue.addConsumer(new Worker(sim, "worker", 0, 0, () => "reject"));
    queue.publish(1);
    sim.run();
    expect(queue.stats).toMatchObject({ dropped: 1, deadLettered: 0 });
    expect(queue.metrics()["dropped.rejected"]).toBe(1);
    expectIdentities(queue);
  });

  it("an unsettled delivery is redelivered after the visibility timeout; the late ack is ignored", () => {
    const { sim, queue, producer } = setup({ visibilityTimeout: 1 });
    // The first delivery takes 1.5 s, past its visibility: the second consumer gets it again.
    const slow = new Worker(sim, "slow", 1.5);
    const fast = new Worker(sim, "fast", 0.1);
    queue.addConsumer(slow);
    producer.start(function* () {
      queue.publish(1);
      yield 0.5;
      queue.removeConsumer(slow);
      queue.addConsumer(fast);
    });
    sim.run();
    expect(fast.seen).toEqual([[1, 1, 2]]);
    expect(slow.processed).toEqual([1]);
    expect(fast.processed).toEqual([1]);
    expect(queue.stats).toMatchObject({
      delivered: 2,
      timedOut: 1,
      redelivered: 1,
      duplicates: 1,
      acked: 1,
      lateAcks: 1,
    });
    expectIdentities(queue);
  });

  it("a consumer crash between processing and ack produces a counted duplicate", () => {
    const { sim, queue } = setup({ visibilityTimeout: 5 });
    const worker = new Worker(sim, "worker", 1, 1);
    queue.addConsumer(worker);
    queue.publish(42);
    // Processed at 1 s, acked at 2 s: the crash at 1.5 s falls between.
    sim.at(1.5, () => worker.crash());
    sim.at(3, () => worker.recover());
    sim.run();
    expect(worker.processed).toEqual([1, 1]);
    expect(worker.lostAfterProcessing).toBe(1);
    expect(worker.seen).toEqual([
      [0, 1, 1],
      [5, 1, 2],
    ]);
    expect(queue.stats).toMatchObject({ acked: 1, redelivered: 1, duplicates: 1, timedOut: 1 });
  });

  it("a push consumer that recovers is fed again at once, though what it held is still in flight", () => {
    const { sim, queue } = setup({ visibilityTimeout: 30 });
    const worker = new Worker(sim, "worker", 0.5, 0);
    queue.addConsumer(worker, { prefetch: 1 });
    queue.publish(1);
    sim.at(0.2, () => worker.crash()); // holding message 1: it comes back at 30 s
    sim.at(1, () => worker.recover());
    sim.at(2, () => queue.publish(2));
    sim.run();
    // Its new connection has the whole prefetch: message 2 does not wait for 1's visibility.
    expect(worker.seen).toEqual([
      [0, 1, 1],
      [2, 2, 1],
      [30, 1, 2],
    ]);
    expect(queue.stats).toMatchObject({ acked: 2, timedOut: 1, duplicates: 1, inFlight: 0 });
    expectIdentities(queue);
  });

  it("a poison message goes to the dead-letter queue after 1 + maxRedeliveries deliveries", () => {
    const { sim, queue, dlq } = setup({ maxRedeliveries: 2 });
    const worker = new Worker(sim, "worker", 0.1, 0, (d) => (d.body === 13 ? "requeue" : "ack"));
    queue.addConsumer(worker);
    for (const body of [1, 13, 2]) queue.publish(body);
    sim.run();
    expect(worker.seen.filter(([, id]) => id === 2).map(([, , count]) => count)).toEqual([1, 2, 3]);
    expect(dlq.countByReason()).toEqual({ maxRedeliveries: 1 });
    expect(dlq.entries[0]!.deliveries).toBe(3);
    expect(queue.stats).toMatchObject({ acked: 2, deadLettered: 1, redelivered: 2 });
    expect(queue.metrics()["deadLettered.maxRedeliveries"]).toBe(1);
    expectIdentities(queue);
  });

  it("a message past its TTL when its turn comes is dead-lettered as expired", () => {
    const { sim, queue, dlq, producer } = setup({ messageTtl: 1 });
    const puller = new Entity(sim, "puller");
    const got: number[] = [];
    producer.start(function* () {
      queue.publish(1);
      yield 0.5;
      queue.publish(2);
    });
    puller.start(function* () {
      yield 1.2;
      const d = yield* queue.receive();
      got.push(d.body);
      d.ack();
    });
    sim.run();
    expect(got).toEqual([2]);
    expect(dlq.countByReason()).toEqual({ expired: 1 });
  });

  it("a full queue refuses the new message, or drops the oldest", () => {
    const refusing = setup({ capacity: 2 });
    refusing.queue.publish(1);
    refusing.queue.publish(2);
    expect(() => refusing.queue.publish(3)).toThrow(RemoteError);
    expect(refusing.queue.tryPublish(3)).toBeNull();
    expect(refusing.queue.stats).toMatchObject({ published: 2, rejected: 2, depth: 2 });
    expect(refusing.queue.metrics()["rejected.full"]).toBe(2);
    // By message: the caller's call fails.
    const caller = new Entity(refusing.sim, "caller");
    let refusal = "";
    caller.start(function* () {
      try {
        yield* caller.call(refusing.queue, "publish", 4);
      } catch (error) {
        refusal = (error as Error).message;
      }
    });
    refusing.sim.run();
    expect(refusal).toMatch(/full/);

    const dropping = setup({ capacity: 2, overflow: "dropOldest" });
    for (const body of [1, 2, 3]) dropping.queue.publish(body);
    expect(dropping.queue.stats).toMatchObject({ published: 3, dropped: 1, depth: 2 });
    const got: number[] = [];
    const consumer = new Entity(dropping.sim, "consumer");
    consumer.start(function* () {
      for (;;) {
        const d = dropping.queue.tryReceive();
        if (d === null) return;
        got.push(d.body);
        d.ack();
        yield 0;
      }
    });
    dropping.sim.run();
    expect(got).toEqual([2, 3]);
    expect(dropping.queue.metrics()["dropped.overflow"]).toBe(1);
  });

  it("counts refusals under any reason its queue policy gives, names of Object.prototype included", () => {
    // A policy of one's own that refuses every arrival at the door, with reasons that are also
    // names every plain object inherits.
    const reasons = ["constructor", "__proto__", "toString"];
    let arrivals = 0;
    const refusing: QueueDiscipline<never> = {
      name: "refusing",
      lastArrivalNs: 0,
      length: 0,
      enqueue: () => reasons[arrivals++ % 3]!,
      peek: () => undefined,
      dequeue: () => undefined,
      remove: () => false,
      clear: () => [],
    };
    const { queue } = setup({ queuePolicy: refusing as never });
    for (let i = 0; i < 6; i++) expect(queue.tryPublish(i)).toBeNull();
    expect(queue.stats.rejectedBy).toEqual({ constructor: 2, ["__proto__"]: 2, toString: 2 });
    expect(queue.metrics()["rejected.constructor"]).toBe(2);
    expect(queue.metrics()["rejected.__proto__"]).toBe(2);
  });

  it("a queue policy orders the messages (priority)", () => {
    const { sim, queue } = setup({ queuePolicy: priority((m) => m.body % 10) });
    for (const body of [13, 21, 32, 11]) queue.publish(body);
    const got: number[] = [];
    const consumer = new Entity(sim, "consumer");
    consumer.start(function* () {
      for (let i = 0; i < 4; i++) {
        const d = yield* queue.receive();
        got.push(d.body);
        d.ack();
      }
    });
    sim.run();
    expect(got).toEqual([21, 11, 32, 13]);
  });

  it("dropOldest drops the longest-waiting message, not the policy's head; flowKey feeds fairQueue", () => {
    const drain = (queue: MessageQueue<number>) => {
      const out: number[] = [];
      for (let d = queue.tryReceive(); d !== null; d = queue.tryReceive()) {
        out.push(d.body);
        d.ack();
      }
      return out;
    };
    const prioritized = setup({
      capacity: 2,
      overflow: "dropOldest",
      queuePolicy: priority((m) => m.body),
    });
    for (const body of [5, 1, 3]) prioritized.queue.publish(body);
    expect(drain(prioritized.queue)).toEqual([1, 3]);
    expect(prioritized.queue.stats.droppedBy).toEqual({ overflow: 1 });

    const fair = setup({ queuePolicy: fairQueue(), flowKey: (body) => Math.floor(body / 10) });
    for (const body of [10, 11, 12, 20]) fair.queue.publish(body);
    expect(drain(fair.queue)).toEqual([10, 20, 11, 12]);
  });

  it("receive waits at most maxWait, polls with 0, and fails while the queue is down", () => {
    const { sim, queue } = setup();
    const consumer = new Entity(sim, "consumer");
    const outcomes: string[] = [];
    consumer.start(function* () {
      try {
        yield* queue.receive({ maxWait: 0 });
      } catch (error) {
        outcomes.push(`${consumer.now}:${(error as Error).constructor.name}`);
      }
      try {
        yield* queue.receive({ maxWait: 2 });
      } catch (error) {
        outcomes.push(`${consumer.now}:${error instanceof TimeoutError ? "timeout" : "other"}`);
      }
      try {
        yield* queue.receive();
      } catch (error) {
        outcomes.push(`${consumer.now}:${error instanceof RemoteError ? "crashed" : "other"}`);
      }
      try {
        yield* queue.receive();
      } catch (error) {
        outcomes.push(`${consumer.now}:${error instanceof RemoteError ? "down" : "other"}`);
      }
    });
    sim.at(3, () => queue.crash());
    sim.run();
    expect(outcomes).toEqual(["0:TimeoutError", "2:timeout", "3:crashed", "3:down"]);
    expect(queue.stats.receiversWaiting).toBe(0);
  });

  it("a receiver cancelled as it is handed a message gives it back, not counted as a delivery; a cancelled waiter leaves the line", () => {
    // maxRedeliveries 0: had the give-back counted as a delivery, the message would be dead.
    const { sim, queue, producer } = setup({ maxRedeliveries: 0 });
    const first = new Entity(sim, "first");
    const second = new Entity(sim, "second");
    const got: string[] = [];
    const waiting = first.start(function* () {
      const delivery = yield* queue.receive();
      got.push(`first ${delivery.body}`); // never: cancelled before it resumes
    });
    producer.start(function* () {
      yield 1;
      queue.publish(7); // handed to "first" at once
      waiting.cancel();
      expect(queue.stats).toMatchObject({
        depth: 1,
        inFlight: 0,
        delivered: 0,
        nacked: 0,
        requeued: 0,
      });
      second.start(function* () {
        const delivery = yield* queue.receive();
        got.push(`second ${delivery.body} delivery ${delivery.deliveryCount}`);
        delivery.ack();
      });
      const idle = new Entity(sim, "idle").start(function* () {
        yield* queue.receive();
      });
      yield 1;
      idle.cancel();
    });
    sim.run();
    expect(got).toEqual(["second 7 delivery 1"]);
    expect(queue.stats).toMatchObject({
      acked: 1,
      delivered: 1,
      redelivered: 0,
      deadLettered: 0,
      dropped: 0,
      duplicates: 0, // given back unprocessed: not a possible duplicate
      receiversWaiting: 0,
    });
    expectIdentities(queue);
  });

  it("a give-back after a resetStats in the same instant takes back only counts of the current statistics", () => {
    const { sim, queue, producer } = setup({ visibilityTimeout: 1 });
    const waiter = new Entity(sim, "waiter");
    let waiting: ReturnType<Entity["start"]> | null = null;
    producer.start(function* () {
      queue.publish(1);
      queue.publish(2);
      // Taken and never settled: both come back at 1 s, as redeliveries and duplicates.
      queue.tryReceive();
      queue.tryReceive();
      waiting = waiter.start(function* () {
        yield* queue.receive(); // handed message 1 at 1 s, cancelled before it resumes
      });
      // At 1 s, after both came back (message 1 handed to the waiter), before it resumes.
      sim.at(1, () => {
        sim.resetStats();
        const second = queue.tryReceive()!; // counted after the reset
        expect([second.body, second.deliveryCount]).toEqual([2, 2]);
        waiting!.cancel(); // message 1 goes back: it was counted before the reset
      });
      yield 0;
    });
    sim.run({ until: 1.5 });
    expect(queue.stats).toMatchObject({
      delivered: 1,
      redelivered: 1,
      duplicates: 1,
      depth: 1,
      inFlight: 1,
    });
    expectIdentities(queue);
  });

  it("a durable queue keeps its messages through a crash and redelivers what was in flight", () => {
    const { sim, queue } = setup({ visibilityTimeout: 100 });
    const worker = new Worker(sim, "worker", 1);
    queue.addConsumer(worker);
    for (let i = 0; i < 3; i++) queue.publish(i);
    sim.at(0.5, () => {
      queue.crash();
      expect(queue.stats).toMatchObject({ depth: 3, inFlight: 0, interrupted: 1 });
      expectIdentities(queue);
    });
    sim.at(2, () => queue.recover());
    sim.run();
    // The interrupted delivery's ack at 1 s is late (the queue was down); message 1 comes
    // again, behind the messages that were ready (a message that comes back joins the end).
    expect(worker.seen).toEqual([
      [0, 1, 1],
      [2, 2, 1],
      [3, 3, 1],
      [4, 1, 2],
    ]);
    expect(queue.stats).toMatchObject({ acked: 3, lateAcks: 1, duplicates: 1, lostToCrash: 0 });
    expectIdentities(queue);
  });

  it("a queue that is not durable loses what it holds in a crash", () => {
    const { sim, queue } = setup({ durable: false });
    const worker = new Worker(sim, "worker", 1);
    queue.addConsumer(worker);
    for (let i = 0; i < 3; i++) queue.publish(i);
    sim.at(0.5, () => queue.crash());
    sim.at(2, () => queue.recover());
    sim.run();
    expect(queue.stats).toMatchObject({ lostToCrash: 3, acked: 0, interrupted: 1, lateAcks: 1 });
    expectIdentities(queue);
  });

  it("keeps depth, age of oldest and backlog per window, exact between events", () => {
    const { sim, queue, producer } = setup({ seriesWindow: 1 });
    const consumer = new Entity(sim, "consumer");
    producer.start(function* () {
      queue.publish(1); // at 0
      yield 0.5;
      queue.publish(2); // at 0.5
    });
    consumer.start(function* () {
      yield 1.5;
      const a = yield* queue.receive(); // message 1 leaves at 1.5 (waited 1.5 s)
      yield 1;
      a.ack(); // at 2.5
      const b = yield* queue.receive(); // message 2 leaves at 2.5 (waited 2 s)
      b.ack();
    });
    sim.run();
    const s = queue.depthSeries();
    // Depth: 1 over [0, 0.5), 2 over [0.5, 1.5), 1 over [1.5, 2.5).
    expect(s.depth).toEqual([
      [0, 1.5],
      [1, 1.5],
      [2, 1],
    ]);
    expect(s.maxDepth).toEqual([
      [0, 2],
      [1, 2],
      [2, 1],
    ]);
    // Age of the oldest ready message: message 1's age up to 1.5, then message 2's.
    expect(s.ageOfOldest).toEqual([
      [0, 1],
      [1, 1.5],
      [2, 2],
    ]);
    // Backlog: message 1 stays unacked (in flight) until 2.5.
    expect(s.backlog).toEqual([
      [0, 1.5],
      [1, 2],
      [2, 2],
    ]);
    expect(queue.stats.maxDepth).toBe(2);
    expect(queue.stats.meanDepth).toBeCloseTo((0.5 + 2 + 1) / 2.5, 12);
    expect(queue.recordedSeries().map((r) => r.name)).toEqual([
      "depth (mean)",
      "depth (max)",
      "age of oldest (max)",
      "unacked backlog (mean)",
    ]);
  });

  it("keeps at most 1,024 windows: past that, neighbours merge and the width doubles", () => {
    const { sim, queue } = setup({ seriesWindow: 0.01 });
    queue.publish(1); // ready from 0 to the end: depth 1, age growing 1 s per second
    sim.run({ until: 25 });
    const s = queue.depthSeries();
    // 2,500 windows of 10 ms do not fit: merged twice, to 40 ms (625 windows).
    expect(s.depth).toHaveLength(625);
    expect(s.depth[1]![0]).toBeCloseTo(0.04, 12);
    expect(s.depth.every(([, depth]) => depth === 1)).toBe(true);
    expect(s.maxDepth.every(([, depth]) => depth === 1)).toBe(true);
    // The oldest's age peaks at each window's end.
    for (const [start, age] of s.ageOfOldest) expect(age).toBeCloseTo(start + 0.04, 9);
    expect(queue.stats.meanDepth).toBe(1);
    expect(queue.stats.ageOfOldest).toBe(25);
  });

  it("refuses bad options with a ConfigError naming the option", () => {
    const sim = new Simulation({ seed: 1 });
    const cases: [Record<string, unknown>, string][] = [
      [{ visibilityTimeout: 0 }, "visibilityTimeout"],
      [{ redeliveryDelay: -1 }, "redeliveryDelay"],
      [{ maxRedeliveries: 1.5 }, "maxRedeliveries"],
      [{ deadLetterQueue: {} }, "deadLetterQueue"],
      [{ messageTtl: 0 }, "messageTtl"],
      [{ capacity: 0 }, "capacity"],
      [{ overflow: "block" }, "overflow"],
      [{ queuePolicy: "random" }, "queuePolicy"],
      [{ flowKey: "tenant" }, "flowKey"],
      [{ durable: "yes" }, "durable"],
      [{ seriesWindow: 0 }, "seriesWindow"],
      [{ seriesWindow: 1e-10 }, "seriesWindow"], // rounds to 0 ns
    ];
    for (const [options, option] of cases) {
      expect(() => new MessageQueue(sim, "q", options as MessageQueueOptions<unknown>)).toThrow(
        new RegExp(`MessageQueue "q": option "${option}"`),
      );
    }
    expect(sim.entities).toHaveLength(0);
    const policy = fifo<never>();
    new MessageQueue(sim, "a", { queuePolicy: policy });
    expect(() => new MessageQueue(sim, "b", { queuePolicy: policy })).toThrow(ConfigError);
  });

  it("fails runtime misuse with the queue's name and the time", () => {
    const { sim, queue } = setup();
    const other = new MessageQueue<number>(sim, "other");
    const worker = new Worker(sim, "worker");
    queue.addConsumer(worker);
    expect(() => queue.addConsumer(worker)).toThrow(SimulationError);
    expect(() => queue.addConsumer(new Worker(sim, "w2"), { prefetch: 0 })).toThrow(
      /option "prefetch"/,
    );
    queue.removeConsumer(worker);
    const consumer = new Entity(sim, "consumer");
    const errors: string[] = [];
    consumer.start(function* () {
      yield 1;
      const d = yield* queue.receive();
      d.ack();
      try {
        d.ack();
      } catch (error) {
        errors.push((error as Error).message);
      }
      other.publish(5);
      const o = yield* other.receive();
      try {
        queue.ack(o as unknown as Delivery<number>);
      } catch (error) {
        errors.push((error as Error).message);
      }
    });
    queue.publish(1);
    sim.run();
    expect(errors).toHaveLength(2);
    expect(errors[0]).toMatch(/at t=1s.*already settled/s);
    expect(errors[1]).toMatch(/not a delivery of this queue/);
  });
});

componentLaws<MessageQueue<number>>({
  type: MessageQueue,
  options: (sim) => ({
    visibilityTimeout: 2,
    redeliveryDelay: 0.1,
    maxRedeliveries: 3,
    deadLetterQueue: new DeadLetterQueue(sim, "dlq"),
    messageTtl: 30,
    capacity: 50,
    overflow: "reject",
    queuePolicy: fifo(),
    flowKey: (body: number) => body % 3,
    durable: true,
    seriesWindow: 0.5,
  }),
  construct: (sim, name, options) =>
    new MessageQueue<number>(sim, name, options as MessageQueueOptions<number>),
  invalid: [
    { visibilityTimeout: 0 },
    { redeliveryDelay: Number.NaN },
    { maxRedeliveries: -1 },
    { deadLetterQueue: "dlq" },
    { messageTtl: -1 },
    { capacity: 1.5 },
    { overflow: "drop" },
    { queuePolicy: {} },
    { flowKey: 1 },
    { durable: 1 },
    { seriesWindow: Number.POSITIVE_INFINITY },
  ],
  scenario: (sim) => {
    const dlq = new DeadLetterQueue<number>(sim, "dlq");
    const queue = new MessageQueue<number>(sim, "subject", {
      visibilityTimeout: 0.5,
      redeliveryDelay: 0.05,
      maxRedeliveries: 2,
      deadLetterQueue: dlq,
      capacity: 40,
    });
    const random = queue.random("decisions");
    for (let i = 0; i < 3; i++) {
      const worker = new Worker(
        sim,
        `worker${i}`,
        () => random.exponential(0.03),
        0.01,
        (d) => (d.body % 17 === 0 ? "requeue" : d.body % 23 === 0 ? "reject" : "ack"),
      );
      queue.addConsumer(worker, { prefetch: 2 });
    }
    // A worker that never settles: its deliveries time out and come back.
    queue.addConsumer(new Worker(sim, "sink", 0, 0, () => "ignore"));
    new Source<number>(sim, "source", {
      target: queue,
      arrivals: arrivals.poisson(60),
      payload: (i) => i,
      stopAfter: { time: 3 },
    });
    return queue;
  },
  crashAt: 1.5,
  recoverAt: 2,
  identities: (queue) => {
    const { messages, deliveries } = identities(queue);
    return [
      [
        "published = acked + depth + delayed + inFlight + deadLettered + dropped + lostToCrash",
        messages[0]!,
        messages[1]!,
      ],
      [
        "delivered = acked + nacked + timedOut + inFlight + interrupted",
        deliveries[0]!,
        deliveries[1]!,
      ],
    ];
  },
});
