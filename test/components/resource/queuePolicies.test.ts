/**
 * Goal: the queue policies beyond FIFO and LIFO order and drop exactly as documented:
 * `priority` (smallest key first, FIFO among equals), `codel` (RFC 8289's control law: the
 * same drops at the same times as the RFC's pseudocode), `adaptiveLifo` (FIFO below the
 * threshold, LIFO from it), `deadlineQueue` (earliest deadline first, expired items dropped
 * with reason "deadline" and never served); each keeps arrival times, honours remove() and
 * returns what waited in arrival order from clear(); each refuses bad options with a
 * ConfigError naming the policy and the option; and each works as the `queuePolicy` of a
 * Server and a Resource, whose callers see the drop reason.
 * Method: fast-check operation sequences against plain-array models; CoDel against a direct
 * transcription of RFC 8289 section 5 on scripted and random arrival/dequeue traces; scripted
 * simulations with exact times.
 */
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { adaptiveLifo } from "../../../src/components/resource/adaptiveLifo.js";
import { codel } from "../../../src/components/resource/codel.js";
import { deadlineQueue } from "../../../src/components/resource/deadlineQueue.js";
import { fairQueue } from "../../../src/components/resource/fairQueue.js";
import { priority } from "../../../src/components/resource/priorityQueue.js";
import type {
  DropSink,
  QueueDiscipline,
} from "../../../src/components/resource/queueDiscipline.js";
import { Resource } from "../../../src/components/resource/resource.js";
import { Server } from "../../../src/components/server/server.js";
import { ThreadPool } from "../../../src/components/server/threadPool.js";
import { Entity } from "../../../src/core/entity.js";
import { wait } from "../../../src/core/future.js";
import type { Message } from "../../../src/core/message.js";
import { Simulation } from "../../../src/core/simulation.js";
import { ConfigError, RemoteError, SimulationError } from "../../../src/errors/errors.js";
import { constant } from "../../../src/random/distributions/closedForm.js";
import { ramp, step } from "../../../src/random/profile.js";

/** Records drops as "item:reason". */
function recorder<T>(): DropSink<T> & { log: string[] } {
  const log: string[] = [];
  return {
    log,
    dropped(item, reason) {
      log.push(`${String(item)}:${reason}`);
    },
  };
}

const noDrops: DropSink<unknown> = {
  dropped(item, reason) {
    throw new Error(`unexpected drop of ${String(item)} (${reason})`);
  },
};

describe("priority", () => {
  it("matches a stable sort by key through any enqueues, dequeues and removals", () => {
    fc.assert(
      fc.property(
        fc.array(fc.integer({ min: 0, max: 5 }), { maxLength: 300 }),
        fc.boolean(),
        (ops, descending) => {
          const key = (item: number) => item % 4;
          const line = priority(key, { order: descending ? "descending" : "ascending" });
          // The model: waiting items in arrival order; the next is the first with the best key.
          const model: number[] = [];
          const better = (a: number, b: number) => (descending ? key(a) > key(b) : key(a) < key(b));
          const best = () => model.reduce((b, x) => (better(x, b) ? x : b), model[0]!);
          let next = 0;
          for (const op of ops) {
            if (op === 5 && model.length > 0) {
              const victim = model[Math.floor(model.length / 2)]!;
              expect(line.remove(victim, 0)).toBe(true);
              model.splice(model.indexOf(victim), 1);
              expect(line.remove(victim, 0)).toBe(false);
            } else if (op >= 3 || model.length === 0) {
              for (let i = 0; i < op; i++) {
                expect(line.enqueue(next, next * 10, undefined)).toBeNull();
                model.push(next++);
              }
            } else {
              const expected = best();
              expect(line.peek(0, noDrops)).toBe(expected);
              expect(line.dequeue(0, noDrops)).toBe(expected);
              expect(line.lastArrivalNs).toBe(expected * 10);
              model.splice(model.indexOf(expected), 1);
            }
            expect(line.length).toBe(model.length);
          }
          expect(line.clear(0)).toEqual(model);
          expect(line.length).toBe(0);
          expect(line.dequeue(0, noDrops)).toBeUndefined();
        },
      ),
    );
  });

  it("serves -Infinity first and Infinity last, FIFO among equals", () => {
    const keys = [Infinity, 2, -Infinity, 2, Infinity, -1];
    const line = priority<number>((index) => keys[index]!);
    for (let i = 0; i < keys.length; i++) line.enqueue(i, i, undefined);
    const order: number[] = [];
    for (let item = line.dequeue(0, noDrops); item !== undefined; item = line.dequeue(0, noDrops)) {
      order.push(item);
    }
    expect(order).toEqual([2, 5, 1, 3, 0, 4]);
  });

  it("refuses bad options and a key that is not a number", () => {
    expect(() => priority(42 as never)).toThrow(ConfigError);
    expect(() => priority(42 as never)).toThrow(/priority: option "key" must be a function/);
    expect(() => priority((x: number) => x, { order: "up" as never })).toThrow(
      /priority: option "order" must be "ascending" or "descending"; given "up"/,
    );
    expect(() => priority((x: number) => x, null as never)).toThrow(ConfigError);
    const line = priority<number>(() => Number.NaN);
    expect(() => line.enqueue(1, 2e9, undefined)).toThrow(SimulationError);
    expect(() => line.enqueue(1, 2e9, undefined)).toThrow(/t=2s: priority: the key function/);
  });
});

describe("adaptiveLifo", () => {
  it("matches a model: oldest first below the threshold, newest first from it", () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 1, max: 6 }),
        fc.array(fc.integer({ min: 0, max: 4 }), { maxLength: 400 }),
        (threshold, ops) => {
          const line = adaptiveLifo<number>({ threshold });
          const model: number[] = [];
          let next = 0;
          for (const op of ops) {
            if (op === 4 && model.length > 0) {
              const victim = model[Math.floor(model.length / 2)]!;
              expect(line.remove(victim, 0)).toBe(true);
              model.splice(model.indexOf(victim), 1);
            } else if (op > 1 || model.length === 0) {
              for (let i = 0; i < op * 2 + 1; i++) {
                line.enqueue(next, next * 10, undefined);
                model.push(next++);
              }
            } else {
              const expected = model.length >= threshold ? model.pop()! : model.shift()!;
              expect(line.peek(0, noDrops)).toBe(expected);
              expect(line.dequeue(0, noDrops)).toBe(expected);
              expect(line.lastArrivalNs).toBe(expected * 10);
            }
            expect(line.length).toBe(model.length);
          }
          expect(line.clear(0)).toEqual(model);
          expect(line.dequeue(0, noDrops)).toBeUndefined();
        },
      ),
    );
  });

  it("switches at the threshold and back once the queue drains below it", () => {
    const line = adaptiveLifo<number>({ threshold: 3 });
    for (let i = 0; i < 5; i++) line.enqueue(i, i, undefined);
    const order = [];
    for (let i = 0; i < 5; i++) order.push(line.dequeue(0, noDrops));
    // 5 and 4 and 3 waiting: newest; then 2 waiting: oldest.
    expect(order).toEqual([4, 3, 2, 0, 1]);
    expect(line.name).toBe("adaptiveLifo(3)");
  });

  it("stays correct across compaction of a long line", () => {
    const line = adaptiveLifo<number>({ threshold: 4000 });
    for (let i = 0; i < 3000; i++) line.enqueue(i, i, undefined);
    for (let i = 0; i < 2000; i++) expect(line.dequeue(0, noDrops)).toBe(i);
    for (let i = 3000; i < 6000; i++) line.enqueue(i, i, undefined);
    expect(line.dequeue(0, noDrops)).toBe(5999);
    expect(line.clear(0)).toEqual(Array.from({ length: 3999 }, (_, i) => 2000 + i));
  });

  it("refuses a threshold that is not an integer >= 1", () => {
    for (const threshold of [0, -1, 1.5, Number.NaN, "3", undefined]) {
      expect(() => adaptiveLifo({ threshold: threshold as number })).toThrow(
        /adaptiveLifo: option "threshold" must be an integer >= 1/,
      );
    }
    expect(() => adaptiveLifo(undefined as never)).toThrow(ConfigError);
  });
});

describe("deadlineQueue", () => {
  const deadlines = [5, 2, 9, 2, Infinity, 3];
  const make = () => {
    const line = deadlineQueue<number>((index) => deadlines[index]!);
    for (let i = 0; i < deadlines.length; i++) line.enqueue(i, i, undefined);
    return line;
  };

  it("serves earliest deadline first, FIFO among equal deadlines, Infinity last", () => {
    const line = make();
    const order: number[] = [];
    for (let item = line.dequeue(0, noDrops); item !== undefined; item = line.dequeue(0, noDrops)) {
      order.push(item);
    }
    expect(order).toEqual([1, 3, 5, 0, 2, 4]);
  });

  it("drops every item whose deadline has come (deadline <= now) at peek or dequeue, never serving it", () => {
    const line = make();
    const drops = recorder<number>();
    expect(line.peek(2.5e9, drops)).toBe(5);
    expect(drops.log).toEqual(["1:deadline", "3:deadline"]);
    expect(line.length).toBe(4);
    // Exactly at its deadline, no time is left: dropped.
    expect(line.dequeue(5e9, drops)).toBe(2);
    expect(line.lastArrivalNs).toBe(2);
    expect(drops.log).toEqual(["1:deadline", "3:deadline", "5:deadline", "0:deadline"]);
    expect(line.dequeue(1e12, drops)).toBe(4);
    expect(line.dequeue(1e12, drops)).toBeUndefined();
  });

  it("removes and clears (arrival order) like any discipline", () => {
    const line = make();
    expect(line.remove(3, 0)).toBe(true);
    expect(line.remove(3, 0)).toBe(false);
    expect(line.dequeue(0, noDrops)).toBe(1);
    expect(line.clear(0)).toEqual([0, 2, 4, 5]);
    expect(line.length).toBe(0);
  });

  it("refuses a deadlineOf that is not a function, or that returns NaN", () => {
    expect(() => deadlineQueue("soon" as never)).toThrow(
      /deadlineQueue: option "deadlineOf" must be a function/,
    );
    const line = deadlineQueue<number>(() => Number.NaN);
    expect(() => line.enqueue(0, 0, undefined)).toThrow(SimulationError);
  });
});

// --- CoDel against RFC 8289 --------------------------------------------------------------

/**
 * RFC 8289, section 5 (the pseudocode), transcribed as directly as TypeScript allows: times
 * in ns, packets of size 1 and maxpacket 1 (so "bytes() <= maxpacket" is "at most one packet
 * left"). Kept apart from the implementation on purpose: it is the oracle.
 */
class RfcCodel {
  TARGET: number;
  INTERVAL: number;
  maxpacket = 1;
  queue: { id: number; timestamp: number }[] = [];
  first_above_time_ = 0;
  drop_next_ = 0;
  count_ = 0;
  lastcount_ = 0;
  dropping_ = false;
  dropped: string[] = [];
  episodeCounts: number[] = [];
  now = 0;

  constructor(target: number, interval: number) {
    this.TARGET = target;
    this.INTERVAL = interval;
  }
  clock() {
    return this.now;
  }
  bytes() {
    return this.queue.length;
  }
  drop(p: { id: number }) {
    this.dropped.push(`${p.id}@${this.now}`);
  }
  enqueue(id: number) {
    this.queue.push({ id, timestamp: this.clock() });
  }
  dodequeue(now: number) {
    const r = { p: this.queue.shift() ?? null, ok_to_drop: false };
    if (r.p === null) {
      this.first_above_time_ = 0;
      return r;
    }
    const sojourn_time = now - r.p.timestamp;
    if (sojourn_time < this.TARGET || this.bytes() <= this.maxpacket) {
      this.first_above_time_ = 0;
    } else {
      if (this.first_above_time_ === 0) {
        this.first_above_time_ = now + this.INTERVAL;
      } else if (now >= this.first_above_time_) {
        r.ok_to_drop = true;
      }
    }
    return r;
  }
  dequeue() {
    const now = this.clock();
    let r = this.dodequeue(now);
    if (r.p === null) {
      this.dropping_ = false;
      return null;
    }
    if (this.dropping_) {
      if (!r.ok_to_drop) {
        this.dropping_ = false;
      }
      while (now >= this.drop_next_ && this.dropping_) {
        this.drop(r.p!);
        ++this.count_;
        r = this.dodequeue(now);
        if (!r.ok_to_drop) {
          this.dropping_ = false;
        } else {
          this.drop_next_ = this.control_law(this.drop_next_, this.count_);
        }
      }
    } else if (r.ok_to_drop) {
      this.drop(r.p);
      r = this.dodequeue(now);
      this.dropping_ = true;
      const delta = this.count_ - this.lastcount_;
      this.count_ = 1;
      if (delta > 1 && now - this.drop_next_ < 16 * this.INTERVAL) {
        this.count_ = delta;
      }
      this.drop_next_ = this.control_law(now, this.count_);
      this.lastcount_ = this.count_;
      this.episodeCounts.push(this.count_);
    }
    return r.p === null ? null : r.p.id;
  }
  control_law(t: number, count: number) {
    return t + this.INTERVAL / Math.sqrt(count);
  }
}

type Step = { gapNs: number; arrive: boolean };

/** Replays a trace on both; returns what each served and dropped, with times. */
function replay(steps: readonly Step[], targetS = 0.005, intervalS = 0.1) {
  const rfc = new RfcCodel(targetS * 1e9, intervalS * 1e9);
  const line = codel<number>({ target: targetS, interval: intervalS });
  const drops: string[] = [];
  const sink: DropSink<number> = {
    dropped: (id, reason) => {
      expect(reason).toBe("codel");
      drops.push(`${id}@${now}`);
    },
  };
  let now = 0;
  let next = 0;
  const rfcServed: string[] = [];
  const served: string[] = [];
  for (const step of steps) {
    now += step.gapNs;
    rfc.now = now;
    if (step.arrive) {
      rfc.enqueue(next);
      expect(line.enqueue(next, now, undefined)).toBeNull();
      next++;
    } else {
      rfcServed.push(`${rfc.dequeue()}@${now}`);
      const item = line.dequeue(now, sink);
      served.push(`${item ?? null}@${now}`);
      if (item !== undefined) expect(line.lastArrivalNs).toBeLessThanOrEqual(now);
    }
    expect(line.length).toBe(rfc.queue.length);
  }
  return { rfc, rfcServed, served, drops };
}

/** Arrivals every `arrivalGapNs`, services every `serviceGapNs`, for `durationNs`. */
function periodic(arrivalGapNs: number, serviceGapNs: number, durationNs: number): Step[] {
  const steps: Step[] = [];
  let now = 0;
  let nextArrival = 0;
  let nextService = serviceGapNs;
  while (Math.min(nextArrival, nextService) < durationNs) {
    const arrive = nextArrival <= nextService;
    const at = arrive ? nextArrival : nextService;
    steps.push({ gapNs: at - now, arrive });
    now = at;
    if (arrive) nextArrival += arrivalGapNs;
    else nextService += serviceGapNs;
  }
  return steps;
}

describe("codel", () => {
  it("drops the same items at the same times as RFC 8289's pseudocode, across dropping episodes", () => {
    // 120% overload for 5 s (one served every 10 ms), a lull that drains the queue, overload
    // again: episodes end and restart, some within 16 intervals of the last (count carried).
    const overload = periodic(8_333_333, 10_000_000, 5e9);
    const drain = periodic(1e12, 10_000_000, 1e9);
    const steps = [...overload, ...drain, ...overload, ...drain];
    const { rfc, rfcServed, served, drops } = replay(steps);
    expect(drops).toEqual(rfc.dropped);
    expect(served).toEqual(rfcServed);
    expect(drops.length).toBeGreaterThan(100);
    expect(rfc.episodeCounts.some((count) => count > 1)).toBe(true);
    expect(rfc.episodeCounts.some((count) => count === 1)).toBe(true);
  });

  it("matches RFC 8289's pseudocode on random traces (bursts, lulls, any target and interval)", () => {
    const step = fc.record({
      gapNs: fc.oneof(
        fc.integer({ min: 0, max: 3_000_000 }),
        fc.constant(0),
        fc.integer({ min: 0, max: 400e6 }),
      ),
      arrive: fc.boolean(),
    });
    fc.assert(
      fc.property(
        fc.array(step, { minLength: 1, maxLength: 1500 }),
        fc.integer({ min: 1, max: 20 }),
        fc.integer({ min: 20, max: 200 }),
        (steps, targetMs, intervalMs) => {
          const { rfc, rfcServed, served, drops } = replay(
            steps,
            targetMs / 1000,
            intervalMs / 1000,
          );
          expect(drops).toEqual(rfc.dropped);
          expect(served).toEqual(rfcServed);
        },
      ),
      { numRuns: 200 },
    );
  });

  it("holds the served items' sojourn within a few service times under a sustained 120% overload", () => {
    // One item served every 10 ms, 1.2 arriving: FIFO's wait would grow by 2 s every 10 s.
    // CoDel needs a drop every 60 ms (count ~3) to match the excess, which it reaches at once.
    const line = codel<number>();
    const sojournsMs: number[] = [];
    let dropped = 0;
    const sink: DropSink<number> = {
      dropped: (_, reason) => {
        expect(reason).toBe("codel");
        dropped++;
      },
    };
    let now = 0;
    let next = 0;
    for (const step of periodic(8_333_333, 10_000_000, 60e9)) {
      now += step.gapNs;
      if (step.arrive) line.enqueue(next++, now, undefined);
      else if (line.dequeue(now, sink) !== undefined && now > 10e9) {
        sojournsMs.push((now - line.lastArrivalNs) / 1e6);
      }
    }
    sojournsMs.sort((a, b) => a - b);
    // It sheds the excess, 1 in 6, and no more.
    expect(dropped / next).toBeGreaterThan(0.16);
    expect(dropped / next).toBeLessThan(0.17);
    expect(sojournsMs[Math.floor(sojournsMs.length * 0.99)]).toBeLessThan(35);
  });

  it("peek judges once: dequeue at the same time returns the peeked item, and clear keeps arrival order", () => {
    const line = codel<number>({ target: 0.001, interval: 0.01 });
    for (let i = 0; i < 10; i++) line.enqueue(i, 0, undefined);
    const drops = recorder<number>();
    expect(line.peek(5e6, drops)).toBe(0);
    expect(line.length).toBe(10);
    expect(line.peek(5e6, drops)).toBe(0);
    expect(line.dequeue(5e6, drops)).toBe(0);
    expect(line.lastArrivalNs).toBe(0);
    expect(line.length).toBe(9);
    expect(line.peek(6e6, drops)).toBe(1);
    expect(line.remove(1, 0)).toBe(true);
    expect(line.remove(1, 0)).toBe(false);
    expect(line.peek(7e6, drops)).toBe(2);
    expect(line.clear(0)).toEqual([2, 3, 4, 5, 6, 7, 8, 9]);
    expect(line.length).toBe(0);
    expect(drops.log).toEqual([]);
  });

  it("reads target and interval as Params, at each dequeue", () => {
    // The target jumps from 5 ms to 10 s at t = 1 s: no standing delay is "too much" after.
    const target = step(0.005, [{ at: 1, value: 10 }]);
    const line = codel<number>({ target });
    expect(line.name).toBe(`codel(${target.description}, 100ms)`);
    expect(codel().name).toBe("codel(5ms, 100ms)");
    let dropsBefore = 0;
    let dropsAfter = 0;
    let now = 0;
    let next = 0;
    const sink: DropSink<number> = {
      dropped: () => (now < 1.5e9 ? dropsBefore++ : dropsAfter++),
    };
    for (const step of periodic(833_333, 1_000_000, 4e9)) {
      now += step.gapNs;
      if (step.arrive) line.enqueue(next++, now, undefined);
      else line.dequeue(now, sink);
    }
    expect(dropsBefore).toBeGreaterThan(0);
    expect(dropsAfter).toBe(0);
  });

  it("refuses bad options, naming codel and the option", () => {
    expect(() => codel({ target: 0 })).toThrow(
      /codel: option "target" must be a duration in seconds > 0; given 0/,
    );
    expect(() => codel({ interval: -1 })).toThrow(
      /codel: option "interval" must be a duration in seconds > 0/,
    );
    expect(() => codel({ target: "5ms" as never })).toThrow(ConfigError);
    expect(() => codel({ interval: Number.POSITIVE_INFINITY })).toThrow(ConfigError);
    expect(() => codel({ target: ramp({ from: 0.005, to: 0, start: 0, end: 1 }) })).toThrow(
      /codel: option "target" must be a duration in seconds > 0 at all times/,
    );
    expect(() => codel(7 as never)).toThrow(ConfigError);
  });
});

// --- As the queue policy of components ----------------------------------------------------

describe("queue policies in components", () => {
  function overloadedServer(queuePolicy: QueueDiscipline<never>) {
    const sim = new Simulation({ seed: 3 });
    const server = new Server<number, number>(sim, "api", {
      concurrency: 1,
      serviceTime: constant(0.01),
      queuePolicy: queuePolicy as never,
    });
    const client = new Entity<never, unknown>(sim, "client");
    const outcomes: string[] = [];
    return { sim, server, client, outcomes };
  }

  it("a Server fails the requests CoDel drops with reason codel, and serves the rest", () => {
    const { sim, server, client, outcomes } = overloadedServer(codel() as never);
    // 120/s offered to a server of 100/s for 25 s.
    for (let i = 0; i < 3000; i++) {
      sim.at(i / 120, () =>
        client.start(function* () {
          try {
            yield* client.call(server, "get", i);
            outcomes.push("ok");
          } catch (error) {
            expect(error).toBeInstanceOf(RemoteError);
            outcomes.push((error as Error).message.includes("codel") ? "codel" : "other");
          }
        }),
      );
    }
    sim.run();
    const count = (what: string) => outcomes.filter((o) => o === what).length;
    expect(count("other")).toBe(0);
    expect(count("codel") / 3000).toBeGreaterThan(0.15);
    expect(count("codel") / 3000).toBeLessThan(0.18);
    expect(count("ok") + count("codel")).toBe(3000);
    expect(server.stats.rejected).toBe(count("codel"));
    expect(server.drops).toEqual({ codel: count("codel") });
    expect(server.metrics()["dropped.codel"]).toBe(count("codel"));
    expect(server.sojournTime.p99).toBeLessThan(0.06);
  });

  it("counts drops under any reason a discipline gives, names of Object.prototype included", () => {
    // A discipline of one's own that refuses every other arrival at the door, with reasons
    // that are also names every plain object inherits.
    const reasons = ["constructor", "__proto__", "toString"];
    let arrivals = 0;
    const line: Message<number>[] = [];
    const refusing: QueueDiscipline<Message<number>> = {
      name: "refusing",
      lastArrivalNs: 0,
      get length() {
        return line.length;
      },
      enqueue(item) {
        const reason = arrivals % 2 === 0 ? reasons[(arrivals / 2) % 3]! : null;
        arrivals++;
        if (reason === null) line.push(item);
        return reason;
      },
      peek: () => line[0],
      dequeue: () => line.shift(),
      remove: (item) => line.splice(line.indexOf(item), 1).length === 1,
      clear: () => line.splice(0),
    };
    const { sim, server, client } = overloadedServer(refusing as never);
    for (let i = 0; i < 13; i++) {
      client.start(function* () {
        try {
          yield* client.call(server, "get", i);
        } catch (error) {
          expect(error).toBeInstanceOf(RemoteError);
        }
      } as never);
    }
    sim.run();
    expect(server.drops).toEqual({ constructor: 2, ["__proto__"]: 2, toString: 2 });
    expect(server.metrics()["dropped.constructor"]).toBe(2);
    expect(server.stats.rejected).toBe(6);
  });

  it("a Server never serves a request whose deadline has passed", () => {
    const sim = new Simulation({ seed: 3 });
    const server = new Server<{ deadline: number }, number>(sim, "api", {
      concurrency: 1,
      serviceTime: constant(1),
      queuePolicy: deadlineQueue((request) => request.payload.deadline),
      respond: () => 1,
    });
    const client = new Entity<never, unknown>(sim, "client");
    const log: string[] = [];
    // At t=0 four requests: deadlines 10, 1.5, 3, 2. The first starts at once (queue empty);
    // at t=1 the earliest deadline (1.5) goes; at t=2 the one due at 2 has expired; 3 goes.
    for (const [id, deadline] of [
      [0, 10],
      [1, 1.5],
      [2, 3],
      [3, 2],
    ] as const) {
      client.start(function* () {
        try {
          yield* client.call(server, "get", { deadline });
          log.push(`${id}:ok@${sim.now}`);
        } catch (error) {
          log.push(`${id}:${(error as Error).message.replace(/.*: /, "")}@${sim.now}`);
        }
      });
    }
    sim.run();
    expect(log).toEqual(["0:ok@1", "1:ok@2", "3:deadline@2", "2:ok@3"]);
  });

  it("a Resource grants by priority, and a waiter CoDel or a deadline drops fails instead of hanging", () => {
    const sim = new Simulation({ seed: 1 });
    const owner = new Entity(sim, "owner");
    const users = new Entity(sim, "users");
    const byAmount = new Resource(owner, {
      name: "cpu",
      capacity: 3,
      queuePolicy: priority((request) => -request.amount),
    });
    const log: string[] = [];
    const user = (resource: Resource, id: string, at: number, amount: number, hold: number) =>
      sim.at(at, () =>
        users.start(function* () {
          try {
            const grant = yield* resource.acquire({ amount });
            log.push(`${id}:in@${sim.now}`);
            yield hold;
            resource.release(grant);
          } catch (error) {
            log.push(`${id}:${(error as Error).message.replace(/.*: /, "")}@${sim.now}`);
          }
        }),
      );
    user(byAmount, "a", 0, 3, 1);
    user(byAmount, "b", 0.1, 1, 1);
    user(byAmount, "c", 0.2, 2, 1);
    user(byAmount, "d", 0.3, 1, 1);
    sim.run();
    // At t=1 the largest ask (c, 2 units) goes first, then b fits beside it; d after.
    expect(log).toEqual(["a:in@0", "c:in@1", "b:in@1", "d:in@2"]);

    const sim2 = new Simulation({ seed: 1 });
    const owner2 = new Entity(sim2, "owner");
    const users2 = new Entity(sim2, "users");
    const disk = new Resource(owner2, {
      name: "disk",
      capacity: 1,
      queuePolicy: deadlineQueue(() => 0.5),
    });
    const log2: string[] = [];
    sim2.at(0, () =>
      users2.start(function* () {
        const grant = yield* disk.acquire();
        yield 1;
        disk.release(grant);
      }),
    );
    sim2.at(0.1, () =>
      users2.start(function* () {
        try {
          yield* disk.acquire();
          log2.push(`in@${sim2.now}`);
        } catch (error) {
          log2.push(`${(error as Error).name}: ${(error as Error).message}@${sim2.now}`);
        }
      }),
    );
    sim2.run();
    expect(log2).toEqual(['RemoteError: owner failed the request: resource "disk": deadline@1']);
    expect(disk.stats.rejected).toBe(1);
    expect(disk.drops).toEqual({ deadline: 1 });
  });
});

describe("a ThreadPool's queue policy", () => {
  it("fails a call and rejects a submitted task that the policy drops, with the reason", () => {
    const sim = new Simulation({ seed: 1 });
    const pool = new ThreadPool<number, number>(sim, "pool", {
      workers: 1,
      taskTime: constant(1),
      // Task n is due at n seconds.
      queuePolicy: deadlineQueue((entry) => entry.task),
    });
    const client = new Entity<never, unknown>(sim, "client");
    const log: string[] = [];
    const first = pool.submit(100);
    const late = pool.submit(0.5);
    const outcome = (name: string, future: typeof first) =>
      client.start(function* () {
        try {
          yield* wait(future);
          log.push(`${name}:ok@${sim.now}`);
        } catch (error) {
          log.push(`${name}:${(error as RemoteError).reason}@${sim.now}`);
        }
      });
    outcome("late", late);
    outcome("first", first);
    client.start(function* () {
      try {
        yield* client.call(pool, "run", 0.7);
        log.push(`call:ok@${sim.now}`);
      } catch (error) {
        log.push(`call:${(error as RemoteError).reason}@${sim.now}`);
      }
    });
    sim.run();
    expect(log.sort()).toEqual(["call:deadline@1", "first:ok@1", "late:deadline@1"]);
    expect(pool.stats.rejected).toBe(2);
    expect(pool.drops).toEqual({ deadline: 2 });
    expect(pool.metrics()["dropped.deadline"]).toBe(2);
    expect(pool.stats.completed).toBe(1);
  });
});

describe("fairQueue", () => {
  /** Items are "flow:n". */
  const flowOf = (item: string) => item.split(":")[0]!;

  it("serves waiting flows round robin, a new flow joining after those already waiting", () => {
    const line = fairQueue<string>({ flowOf });
    for (const item of ["a:1", "a:2", "a:3", "a:4", "b:1", "c:1", "c:2"]) {
      expect(line.enqueue(item, 0, undefined)).toBeNull();
    }
    const order = [line.dequeue(0, noDrops), line.dequeue(0, noDrops)];
    line.enqueue("d:1", 0, undefined);
    line.enqueue("b:2", 0, undefined);
    for (let item = line.dequeue(0, noDrops); item !== undefined; item = line.dequeue(0, noDrops)) {
      order.push(item);
    }
    // b emptied and left after b:1; d, then b again, join after c and a, which still wait.
    expect(order).toEqual(["a:1", "b:1", "c:1", "a:2", "d:1", "b:2", "c:2", "a:3", "a:4"]);
  });

  it('takes 1 and "1" as one flow, as weightedFairQueue does', () => {
    const line = fairQueue<[string | number, string]>({
      flowOf: ([flow]) => flow,
      perFlowCapacity: 2,
    });
    expect(line.enqueue([1, "a"], 0, undefined)).toBeNull();
    expect(line.enqueue(["1", "b"], 0, undefined)).toBeNull();
    expect(line.enqueue([1, "c"], 0, undefined)).toBe("flow full");
    expect(line.enqueue(["01", "d"], 0, undefined)).toBeNull(); // "01" is not what 1 prints as
  });

  it("matches a round-robin model through any enqueues, dequeues and removals", () => {
    fc.assert(
      fc.property(
        fc.array(fc.tuple(fc.integer({ min: 0, max: 5 }), fc.integer({ min: 0, max: 3 })), {
          maxLength: 300,
        }),
        (ops) => {
          const line = fairQueue<number>({ flowOf: (item) => item % 4 });
          // The model: [flow, items] in rotation order; the turn is always at index 0.
          let rotation: [number, number[]][] = [];
          let next = 0;
          const all = () => rotation.flatMap(([, items]) => items);
          for (const [op, flow] of ops) {
            if (op === 5 && all().length > 0) {
              const items = all();
              const victim = items[Math.floor(items.length / 2)]!;
              expect(line.remove(victim, 0)).toBe(true);
              const at = rotation.findIndex(([f]) => f === victim % 4);
              const items2 = rotation[at]![1];
              items2.splice(items2.indexOf(victim), 1);
              if (items2.length === 0) rotation.splice(at, 1);
              expect(line.remove(victim, 0)).toBe(false);
            } else if (op >= 2 || all().length === 0) {
              const item = next - (next % 4) + flow;
              next += 4;
              line.enqueue(item, item, undefined);
              const entry = rotation.find(([f]) => f === flow);
              if (entry === undefined) rotation.push([flow, [item]]);
              else entry[1].push(item);
            } else {
              const [f, items] = rotation[0]!;
              const expected = items.shift()!;
              rotation = rotation.slice(1);
              if (items.length > 0) rotation.push([f, items]);
              expect(line.peek(0, noDrops)).toBe(expected);
              expect(line.dequeue(0, noDrops)).toBe(expected);
              expect(line.lastArrivalNs).toBe(expected);
            }
            expect(line.length).toBe(all().length);
          }
          expect(line.clear(0)).toEqual(all().sort((a, b) => a - b));
          expect(line.length).toBe(0);
        },
      ),
      // A new flow joining mid-round is the case that matters; more runs find it reliably.
      { numRuns: 500 },
    );
  });

  it("refuses at the door beyond maxFlows flows or perFlowCapacity items, by reason", () => {
    const line = fairQueue<string>({ flowOf, maxFlows: 2, perFlowCapacity: 2 });
    expect(line.name).toBe("fairQueue(maxFlows 2, perFlowCapacity 2)");
    expect(line.enqueue("a:1", 0, undefined)).toBeNull();
    expect(line.enqueue("a:2", 0, undefined)).toBeNull();
    expect(line.enqueue("a:3", 0, undefined)).toBe("flow full");
    expect(line.enqueue("b:1", 0, undefined)).toBeNull();
    expect(line.enqueue("c:1", 0, undefined)).toBe("too many flows");
    expect(line.dequeue(0, noDrops)).toBe("a:1");
    expect(line.dequeue(0, noDrops)).toBe("b:1");
    // b left: room for c.
    expect(line.enqueue("c:1", 0, undefined)).toBeNull();
    expect(line.clear(0)).toEqual(["a:2", "c:1"]);
  });

  it("uses the resource's flow key when flowOf is not given", () => {
    const line = fairQueue<number>();
    for (let i = 0; i < 4; i++) line.enqueue(i, i, i < 3 ? "heavy" : "light");
    expect([line.dequeue(0, noDrops), line.dequeue(0, noDrops)]).toEqual([0, 3]);
  });

  it("refuses bad options, and a flowOf that returns neither a string nor a number", () => {
    expect(() => fairQueue({ maxFlows: 0 })).toThrow(
      /fairQueue: option "maxFlows" must be an integer >= 1, or Infinity; given 0/,
    );
    expect(() => fairQueue({ perFlowCapacity: 1.5 })).toThrow(/option "perFlowCapacity"/);
    expect(() => fairQueue({ flowOf: "tenant" as never })).toThrow(/option "flowOf"/);
    expect(() => fairQueue(3 as never)).toThrow(ConfigError);
    const line = fairQueue<number>({ flowOf: () => ({}) as never });
    expect(() => line.enqueue(1, 0, undefined)).toThrow(SimulationError);
  });

  it("keeps a light flow's latency low beside a heavy flow that overloads the server", () => {
    function run(queuePolicy: "fifo" | QueueDiscipline<Message<string>>) {
      const sim = new Simulation({ seed: 1 });
      const server = new Server<string, number>(sim, "api", {
        concurrency: 1,
        serviceTime: constant(0.01),
        queuePolicy,
      });
      const client = new Entity<never, unknown>(sim, "client");
      const light: number[] = [];
      // heavy: 150/s for 10 s (1.5x capacity); light: 10/s.
      for (let i = 0; i < 1500; i++) {
        sim.at(i / 150, () => client.start(client.call(server, "get", "heavy") as never));
      }
      for (let i = 0; i < 100; i++) {
        sim.at(i / 10 + 0.001, () =>
          client.start(function* () {
            const at = sim.now;
            yield* client.call(server, "get", "light");
            light.push(sim.now - at);
          }),
        );
      }
      sim.run();
      return Math.max(...light);
    }
    expect(run("fifo")).toBeGreaterThan(3);
    expect(run(fairQueue({ flowOf: (request) => request.payload }))).toBeLessThan(0.03);
  });

  it("fails the run, instead of queuing FIFO, when an item has no flow: Server, ThreadPool and Resource pass no flow key", () => {
    const sim = new Simulation({ seed: 1 });
    const server = new Server<string, number>(sim, "api", {
      serviceTime: constant(0.01),
      queuePolicy: fairQueue(),
    });
    const client = new Entity<never, unknown>(sim, "client");
    for (let i = 0; i < 2; i++) client.start(client.call(server, "get", "x") as never);
    expect(() => sim.run()).toThrow(/fairQueue: .*no flow key.*flowOf/);
  });
});
