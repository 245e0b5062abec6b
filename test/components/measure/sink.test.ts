/**
 * Goal: a message's origin is the start of its causal chain (kept across hops, processes and
 * replies, fresh from timers); a Sink measures end-to-end latency from it, windowed and whole-
 * run; run summaries carry every entity's metrics.
 * Method: constant delays through hand-written stages, so every latency is exact.
 */
import { describe, expect, it } from "vitest";
import { Sink } from "../../../src/components/measure/sink.js";
import { Entity } from "../../../src/core/entity.js";
import type { Message } from "../../../src/core/message.js";
import { Simulation } from "../../../src/core/simulation.js";
import { ConfigError } from "../../../src/errors/errors.js";
import { arrivals, dist, Network, NetworkLink, Source } from "../../../src/index.js";

const { exponential } = dist;

import { componentLaws, SUBJECT } from "../../support/laws.js";
import { RecordingCaller } from "../../support/targets.js";

/** Forwards every message to `next` after `delay` seconds, from a process. */
class Stage extends Entity<number, number> {
  constructor(
    sim: Simulation,
    name: string,
    private readonly next: Entity<number, unknown>,
    private readonly delay: number,
  ) {
    super(sim, name);
  }
  override *handle(message: Message<number>) {
    yield this.delay;
    this.send(this.next, "work", message.payload);
  }
}

componentLaws({
  type: Sink,
  options: () => ({
    createdAt: (message: Message<unknown>) => message.originAt,
    window: 0.5,
    relativeAccuracy: 0.02,
  }),
  construct: (sim, name, options) => new Sink(sim, name, options as never),
  invalid: [
    { createdAt: 3 },
    { window: 0 },
    { window: -1 },
    { relativeAccuracy: 2 },
    { relativeAccuracy: 0 },
  ],
  scenario(sim) {
    const sink = new Sink(sim, SUBJECT, { window: 0.1 });
    // Work reaches it over a link with random latency, sent and called.
    new Network(sim, "net", {
      defaultLink: new NetworkLink(sim, "lan", { latency: exponential(0.01) }),
    });
    new Source(sim, "load", {
      target: sink,
      arrivals: arrivals.poisson(200),
      stopAfter: { time: 1 },
    });
    const caller = new RecordingCaller<unknown, unknown>(sim, "caller");
    for (let k = 0; k < 20; k++) caller.callAt(k * 0.05, sink, k, { id: `c${k}`, timeout: 0.05 });
    return sink;
  },
  crashAt: 0.4,
  recoverAt: 0.6,
  identities: (sink) => [
    ["received = messages handled", sink.stats.received, sink.counters.received],
    [
      "received = the series' counts",
      sink.stats.received,
      sink.series.series("count").reduce((sum, [, count]) => sum + count, 0),
    ],
  ],
});

describe("message origin", () => {
  it("is kept across hops, through processes, and by replies; timers start new chains", () => {
    const sim = new Simulation({ seed: 1 });
    const seen: [string, number, number][] = [];
    const end = new (class extends Entity<number, number> {
      override handle(m: Message<number>) {
        seen.push([m.kind, m.sentAt, m.originAt]);
        if (m.kind === "ask") this.reply(m, 1);
      }
    })(sim, "end");
    const middle = new Stage(sim, "middle", end, 0.5);
    const caller = new (class extends Entity {
      *go() {
        yield 1;
        yield* this.call(end, "ask", 0, { delay: 0.25 });
        seen.push(["after reply", this.now, Number.NaN]);
        this.send(end, "then", 0);
      }
    })(sim, "caller");
    sim.send(middle, "work", 1, { delay: 2 });
    sim.at(3, () => sim.send(end, "timer", 0));
    caller.start(caller.go());
    sim.run();
    expect(seen).toEqual([
      ["ask", 1, 1],
      ["after reply", 1.25, Number.NaN],
      ["then", 1.25, 1.25], // a process outside any chain starts a new one with each send
      ["work", 2.5, 0],
      ["timer", 3, 3],
    ]);
  });
});

describe("causedBy", () => {
  it("attributes a forward from a timer or a queue-draining process to the message it continues", () => {
    const sim = new Simulation({ seed: 1 });
    const sink = new Sink<number>(sim, "done");
    const seen: [number, number][] = [];
    const end = new (class extends Entity<number> {
      override handle(m: Message<number>) {
        seen.push([m.payload, m.originAt]);
        sink.handle(m);
      }
    })(sim, "end");
    const batcher = new (class extends Entity<number> {
      queued: Message<number>[] = [];
      override handle(m: Message<number>) {
        this.queued.push(m);
        // One timer forwards everything queued so far, each as the message it continues.
        if (this.queued.length === 1) {
          this.after(1, () => {
            for (const q of this.queued.splice(0))
              this.send(end, "work", q.payload, { causedBy: q });
          });
        }
      }
    })(sim, "batcher");
    sim.at(0, () => sim.send(batcher, "job", 1));
    sim.at(0.25, () => sim.send(batcher, "job", 2));
    sim.run();
    expect(seen).toEqual([
      [1, 0],
      [2, 0.25],
    ]);
    expect(sink.stats.maxLatency).toBe(1);
    expect(() => batcher.send(end, "x", 0, { causedBy: {} as never })).toThrow(/causedBy/);
  });
});

describe("Sink", () => {
  it("measures latency from the start of the chain, whole-run and per window", () => {
    const sim = new Simulation({ seed: 1 });
    const sink = new Sink(sim, "done", { window: 1 });
    const stage2 = new Stage(sim, "stage2", sink, 0.25);
    const stage1 = new Stage(sim, "stage1", stage2, 0.5);
    for (let k = 0; k < 4; k++) sim.at(k * 0.5, () => sim.send(stage1, "job", k));
    sim.run();
    const s = sink.stats;
    expect(s.received).toBe(4);
    expect(s.meanLatency).toBeCloseTo(0.75, 12);
    expect(s.minLatency).toBeCloseTo(0.75, 12);
    expect(s.maxLatency).toBeCloseTo(0.75, 12);
    expect(Math.abs(s.p99Latency - 0.75) / 0.75).toBeLessThanOrEqual(0.01);
    expect(s.throughput).toBeCloseTo(2, 12); // arrivals at 0.75, 1.25, 1.75, 2.25
    expect(sink.series.series("count")).toEqual([
      [0, 1],
      [1, 2],
      [2, 1],
    ]);
    expect(sink.metrics()).toMatchObject({ received: 4, throughput: 2 });
  });

  it("charts a window with no arrival as NaN latency (no data), to now", () => {
    // Issue 12: a chart drew a line across a silence between two arrivals.
    const sim = new Simulation({ seed: 1 });
    const sink = new Sink(sim, "done", { window: 1 });
    sim.at(0.5, () => sim.send(sink, "job", 0));
    sim.at(3.5, () => sim.send(sink, "job", 1));
    sim.run({ until: 5 });
    const series = Object.fromEntries(sink.recordedSeries().map((s) => [s.name, s.points]));
    const nan = (points: readonly (readonly [number, number])[]) =>
      points.map(([t, v]) => [t, Number.isNaN(v)]);
    const expected = [
      [0, false],
      [1, true],
      [2, true],
      [3, false],
      [4, true],
    ];
    expect(nan(series["done p50"]!)).toEqual(expected);
    expect(nan(series["done p99"]!)).toEqual(expected);
    expect(series["done throughput"]!.map(([, v]) => v)).toEqual([1, 0, 0, 1, 0]);
  });

  it("uses a creation time from the payload when the model names one", () => {
    const sim = new Simulation({ seed: 1 });
    const sink = new Sink<{ born: number }>(sim, "done", { createdAt: (m) => m.payload.born });
    sim.at(5, () => sim.send(sink, "job", { born: 2 }));
    sim.run();
    expect(sink.stats.maxLatency).toBe(3);
  });

  it("replies to a caller that awaits and stays silent to a sender", () => {
    const sim = new Simulation({ seed: 1 });
    const sink = new Sink(sim, "done");
    const caller = new (class extends Entity {
      answer: unknown;
      *go() {
        this.send(sink, "fire", 1);
        this.answer = yield* this.call(sink, "ask", 2, { timeout: 1 });
      }
    })(sim, "caller");
    caller.start(caller.go());
    sim.run();
    expect(caller.answer).toBe(2);
    expect(caller.counters.lateReplies).toBe(0);
    expect(sink.stats.received).toBe(2);
  });

  it("fails with its name when a creation time is after the arrival", () => {
    const sim = new Simulation({ seed: 1 });
    const sink = new Sink<number>(sim, "done", { createdAt: () => 10 });
    sim.at(1, () => sim.send(sink, "job", 0));
    expect(() => sim.run()).toThrow(/Sink "done"/);
  });

  it("rejects bad options naming the sink", () => {
    const sim = new Simulation({ seed: 1 });
    expect(() => new Sink(sim, "a", { createdAt: 3 as never })).toThrow(ConfigError);
    expect(() => new Sink(sim, "b", { window: -1 })).toThrow(/Sink "b": option "window"/);
    expect(() => new Sink(sim, "c", { relativeAccuracy: 2 })).toThrow(/Sink "c"/);
  });

  it("a refused sink leaves its name free", () => {
    const sim = new Simulation({ seed: 1 });
    expect(() => new Sink(sim, "done", { window: 0 })).toThrow(ConfigError);
    expect(sim.entity("done")).toBeUndefined();
    expect(new Sink(sim, "done").name).toBe("done");
  });

  it("reports empty statistics as NaN, not zero", () => {
    const sim = new Simulation({ seed: 1 });
    const sink = new Sink(sim, "done");
    expect(sink.stats.received).toBe(0);
    expect(sink.stats.meanLatency).toBeNaN();
    expect(sink.stats.throughput).toBe(0);
  });
});

describe("run summary entities", () => {
  it("lists every entity with its type, counters and metrics at the end of the call", () => {
    const sim = new Simulation({ seed: 1 });
    const sink = new Sink(sim, "done");
    new Entity(sim, "plain");
    sim.at(1, () => sim.send(sink, "job", 0));
    const summary = sim.run();
    expect(summary.entities.map((e) => [e.name, e.type])).toEqual([
      ["done", "Sink"],
      ["plain", "Entity"],
    ]);
    expect(summary.entities[0]).toMatchObject({
      status: "up",
      counters: { received: 1, crashes: 0 },
      liveProcesses: 0,
      metrics: { received: 1, meanLatency: 0 },
    });
    expect(summary.entities[1]!.metrics).toEqual({});
    // A snapshot: later activity does not change an earlier summary.
    sim.at(2, () => sim.send(sink, "job", 0));
    sim.run();
    expect(summary.entities[0]!.counters.received).toBe(1);
  });
});
