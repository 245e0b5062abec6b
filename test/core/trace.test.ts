/**
 * Goal: `sim.onTrace` reports what happened, typed, in order, with simulated time, entity
 * names and message ids: messages sent, delivered and dropped (target down, late reply, reply
 * nobody waits for), calls settled (ok, refused, timed out, cancelled), processes started and
 * ended with their status, timers fired, and component state changes. Listening changes
 * nothing about the run; unsubscribing stops the records; the same seed gives the same records.
 * Method: small hand-written models whose every record is known, compared exactly; the
 * determinism test of test/core/determinism.test.ts's model, traced twice.
 */
import { describe, expect, it } from "vitest";
import { traceJsonLine } from "../../src/cli/traceFile.js";
import { CircuitBreaker } from "../../src/components/resilience/circuitBreaker.js";
import { Entity } from "../../src/core/entity.js";
import type { Message } from "../../src/core/message.js";
import { Simulation } from "../../src/core/simulation.js";
import type { TraceRecord } from "../../src/core/trace.js";

class Echo extends Entity<string, string> {
  override *handle(request: Message<string>) {
    yield 1;
    if (request.payload === "no") this.fail(request, "refused");
    else this.reply(request, `echo ${request.payload}`);
  }
}

/** Answers every message at once, whether or not anyone waits. */
class Answer extends Entity<string, string> {
  override handle(message: Message<string>) {
    this.reply(message, "noted");
  }
}

/** A client making 100 calls with random gaps and timeouts to an echo server (determinism.test.ts). */
function build(seed: number): Simulation {
  const sim = new Simulation({ seed });
  const echo = new Echo(sim, "echo");
  const client = new Entity(sim, "client");
  const gaps = client.random("gaps");
  client.start(function* () {
    for (let i = 0; i < 100; i++) {
      yield gaps.exponential(0.1);
      client
        .start(function* () {
          yield* client.call(echo, "say", String(i), { timeout: gaps.uniform(0.5, 1.5) });
        })
        .result.defuse();
    }
  });
  return sim;
}

function record(sim: Simulation): TraceRecord[] {
  const records: TraceRecord[] = [];
  sim.onTrace((r) => records.push(r));
  return records;
}

describe("trace stream", () => {
  it("reports a call that succeeds: sent, started, delivered, timer, settled, ended", () => {
    const sim = new Simulation({ seed: 1 });
    const echo = new Echo(sim, "echo");
    const client = new Entity(sim, "client");
    const records = record(sim);
    client.start(function* caller() {
      yield* client.call(echo, "say", "hi");
    });
    sim.run();
    expect(records).toEqual([
      { type: "process-started", timeNs: 0, entity: "client", process: "caller", processId: 1 },
      {
        type: "message-sent",
        timeNs: 0,
        messageId: 1,
        kind: "say",
        source: "client",
        target: "echo",
        correlationId: 0,
        parentId: 0,
        delayNs: 0,
        sizeBytes: 0,
        payload: "hi",
      },
      {
        type: "message-delivered",
        timeNs: 0,
        messageId: 1,
        kind: "say",
        source: "client",
        target: "echo",
      },
      { type: "process-started", timeNs: 0, entity: "echo", process: "say", processId: 2 },
      {
        type: "message-sent",
        timeNs: 1e9,
        messageId: 2,
        kind: "reply",
        source: "echo",
        target: "client",
        correlationId: 1,
        parentId: 1,
        delayNs: 0,
        sizeBytes: 0,
        payload: "echo hi",
      },
      {
        type: "process-ended",
        timeNs: 1e9,
        entity: "echo",
        process: "say",
        processId: 2,
        status: "done",
      },
      {
        type: "message-delivered",
        timeNs: 1e9,
        messageId: 2,
        kind: "reply",
        source: "echo",
        target: "client",
      },
      { type: "call-settled", timeNs: 1e9, entity: "client", messageId: 1, outcome: "ok" },
      {
        type: "process-ended",
        timeNs: 1e9,
        entity: "client",
        process: "caller",
        processId: 1,
        status: "done",
      },
    ]);
  });

  it("records a crash before what it ended, and the recovery", () => {
    const sim = new Simulation({ seed: 1 });
    const node = new Entity(sim, "node");
    const records = record(sim);
    node.start(function* worker() {
      yield 10;
    });
    sim.at(1, () => node.crash());
    sim.at(2, () => node.recover());
    sim.run();
    const lines = records
      .filter((r) => r.type === "state-changed" || r.type === "process-ended")
      .map((r) =>
        r.type === "state-changed"
          ? `${r.timeNs / 1e9}s ${r.entity} ${r.subject}: ${r.from} -> ${r.to} (${r.reason})`
          : `${r.timeNs / 1e9}s process ${r.process} of ${r.entity}: ${r.status}`,
      );
    expect(lines).toEqual([
      "1s node status: up -> crashed (crash)",
      "1s process worker of node: cancelled",
      "2s node status: crashed -> up (recover)",
    ]);
  });

  it("reports refused, timed-out and cancelled calls, and why messages were dropped", () => {
    const sim = new Simulation({ seed: 1 });
    const echo = new Echo(sim, "echo");
    const client = new Entity(sim, "client");
    const down = new Entity(sim, "down");
    down.crash();
    const records = record(sim);
    client
      .start(function* refused() {
        yield* client.call(echo, "say", "no");
      })
      .result.defuse();
    client
      .start(function* late() {
        yield* client.call(echo, "say", "slow", { timeout: 0.5 });
      })
      .result.defuse();
    const abandoned = client.start(function* abandoned() {
      yield* client.call(echo, "say", "never mind");
    });
    sim.at(0.25, function cancelIt() {
      abandoned.cancel();
    });
    client.send(down, "ping", 1);
    client.send(new Answer(sim, "answer"), "note", "x", { delay: 2 });
    sim.run();
    const summary = records
      .filter(
        (r) =>
          r.type !== "message-sent" &&
          r.type !== "message-delivered" &&
          r.type !== "process-started",
      )
      .map((r) => {
        switch (r.type) {
          case "message-dropped":
            return `${r.timeNs / 1e6}ms dropped ${r.kind} #${r.messageId} ${r.source}->${r.target}: ${r.reason}`;
          case "call-settled":
            return `${r.timeNs / 1e6}ms call #${r.messageId} of ${r.entity}: ${r.outcome}`;
          case "process-ended":
            return `${r.timeNs / 1e6}ms process ${r.process} of ${r.entity}: ${r.status}`;
          case "timer-fired":
            return `${r.timeNs / 1e6}ms timer ${r.callback} of ${r.entity}`;
          default:
            return r.type;
        }
      });
    expect(summary).toEqual([
      "0ms dropped ping #1 client->down: target-down",
      "250ms timer cancelIt of null",
      "250ms call #5 of client: cancelled",
      "250ms process abandoned of client: cancelled",
      "500ms timer callTimedOut of client",
      "500ms call #4 of client: timed-out",
      "500ms process late of client: failed",
      "1000ms process say of echo: done",
      "1000ms process say of echo: done",
      "1000ms process say of echo: done",
      "1000ms call #3 of client: refused",
      "1000ms dropped reply #7 echo->client: late-reply",
      "1000ms dropped reply #8 echo->client: late-reply",
      "1000ms process refused of client: failed",
      "2000ms dropped reply #9 answer->client: unawaited-reply",
    ]);
  });

  it("reports a circuit breaker's transitions as state changes", () => {
    const sim = new Simulation({ seed: 1 });
    const echo = new Echo(sim, "echo");
    const breaker = new CircuitBreaker(sim, "breaker", {
      target: echo,
      failureThreshold: 1,
      openDuration: 5,
    });
    const client = new Entity(sim, "client");
    const records = record(sim);
    client.start(function* () {
      try {
        yield* client.call(breaker, "say", "no");
      } catch {}
      yield 10;
      yield* client.call(breaker, "say", "yes");
    });
    sim.run();
    expect(records.filter((r) => r.type === "state-changed")).toEqual([
      {
        type: "state-changed",
        timeNs: 1e9,
        entity: "breaker",
        subject: "circuit",
        from: "closed",
        to: "open",
        reason: expect.any(String),
      },
      expect.objectContaining({ timeNs: 11e9, from: "open", to: "half-open" }),
      expect.objectContaining({ timeNs: 12e9, from: "half-open", to: "closed" }),
    ]);
  });

  it("listening changes nothing; unsubscribing stops the records", () => {
    const plain = build(5).run();
    const sim = build(5);
    const records: TraceRecord[] = [];
    const stop = sim.onTrace((r) => records.push(r));
    const half = sim.run({ until: 10 });
    const seen = records.length;
    expect(seen).toBeGreaterThan(100);
    expect(sim._tracing).toBe(true);
    stop();
    expect(sim._tracing).toBe(false);
    const traced = sim.run();
    expect(records).toHaveLength(seen);
    expect(half.eventsProcessed).toBeLessThan(plain.eventsProcessed);
    expect([traced.traceHash, traced.totalEvents]).toEqual([plain.traceHash, plain.totalEvents]);
  });

  it("a listener may unsubscribe itself while records are being handed out", () => {
    const sim = build(5);
    const first: TraceRecord[] = [];
    const second: TraceRecord[] = [];
    const stop = sim.onTrace((r) => {
      first.push(r);
      stop();
    });
    sim.onTrace((r) => second.push(r));
    sim.run();
    expect(first).toHaveLength(1);
    expect(second[0]).toBe(first[0]);
    expect(second.length).toBeGreaterThan(100);
  });

  it("the same seed gives the same records, byte for byte as JSONL; another seed does not", () => {
    const jsonl = (seed: number) => {
      const sim = build(seed);
      const lines: string[] = [];
      sim.onTrace((r) => lines.push(traceJsonLine(r)));
      sim.run();
      return lines.join("\n");
    };
    const a = jsonl(3);
    expect(a.length).toBeGreaterThan(10_000);
    expect(jsonl(3)).toBe(a);
    expect(jsonl(4)).not.toBe(a);
    expect(a).not.toContain("payload");
  });

  it("rejects a listener that is not a function", () => {
    const sim = new Simulation({ seed: 1 });
    expect(() => sim.onTrace(42 as never)).toThrow(/Simulation.onTrace.*listener/);
  });
});
