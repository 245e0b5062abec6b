/**
 * Goal: entities exchange messages with the documented fields (ids, correlation, causal
 * parents, sizes), calls return replies or time out, late replies are counted, and crash and
 * recover take exactly what they should: processes (finally runs), timers and pending calls,
 * but not messages already on the wire.
 * Method: small client/server models on a fresh simulation, checking counters and logs.
 */
import { describe, expect, it } from "vitest";
import { Entity } from "../../src/core/entity.js";
import {
  CancelledError,
  ConfigError,
  type RemoteError,
  SimulationError,
  type TimeoutError,
} from "../../src/core/errors.js";
import type { Message } from "../../src/core/message.js";
import { Simulation } from "../../src/core/simulation.js";

class Echo extends Entity<string, string> {
  delay = 1;
  readonly seen: Message<string>[] = [];
  override *handle(request: Message<string>) {
    this.seen.push(request);
    yield this.delay;
    this.reply(request, `echo ${request.payload}`);
  }
}

class Recorder extends Entity<unknown> {
  readonly seen: Message<unknown>[] = [];
  override handle(message: Message<unknown>) {
    this.seen.push(message);
  }
}

function setup() {
  const sim = new Simulation({ seed: 1 });
  const log: string[] = [];
  const note = (what: string) => log.push(`${sim.now}:${what}`);
  return { sim, log, note };
}

describe("Entity: messages", () => {
  it("delivers after the delay with every field set", () => {
    const { sim } = setup();
    const source = new Entity(sim, "source");
    const sink = new Recorder(sim, "sink");
    sim.at(1, () => source.send(sink, "ping", { n: 1 }, { delay: 0.5, sizeBytes: 100 }));
    sim.run();
    const [message] = sink.seen;
    expect(message).toMatchObject({
      id: 1,
      kind: "ping",
      payload: { n: 1 },
      source,
      target: sink,
      sizeBytes: 100,
      sentAtNs: 1e9,
      correlationId: 0,
      parentId: 0,
      isReply: false,
    });
    expect(message!.sentAt).toBe(1);
    expect(sim.now).toBe(1.5);
    expect(sink.counters.received).toBe(1);
  });

  it("numbers messages in send order and records the causal parent", () => {
    const { sim } = setup();
    const sink = new Recorder(sim, "sink");
    class Relay extends Entity<string> {
      override handle(message: Message<string>) {
        this.send(sink, "relayed", message.payload);
      }
    }
    const relay = new Relay(sim, "relay");
    const first = sim.send(relay, "in", "a");
    const second = sim.send(relay, "in", "b");
    sim.run();
    expect([first.id, second.id]).toEqual([1, 2]);
    expect(sink.seen.map((m) => [m.id, m.parentId])).toEqual([
      [3, 1],
      [4, 2],
    ]);
  });

  it("rejects a bad size or delay, and a target that is not an entity of this simulation", () => {
    const { sim } = setup();
    const a = new Recorder(sim, "a");
    const elsewhere = new Recorder(new Simulation({ seed: 2 }), "b");
    expect(() => a.send(a, "x", 1, { sizeBytes: -1 })).toThrow(ConfigError);
    expect(() => a.send(a, "x", 1, { sizeBytes: 1.5 })).toThrow(
      /"sizeBytes" must be an integer >= 0; given 1.5/,
    );
    expect(() => a.send(a, "x", 1, { delay: -2 })).toThrow(ConfigError);
    expect(() => a.send(elsewhere, "x", 1)).toThrow(SimulationError);
    expect(() => a.send(null as never, "x", 1)).toThrow(/must be an entity of this simulation/);
  });
});

describe("Entity: call and reply", () => {
  it("returns the reply's payload; the reply is correlated with the request", () => {
    const { sim, note, log } = setup();
    const server = new Echo(sim, "server");
    const client = new Recorder(sim, "client");
    client.start(function* () {
      const answer = yield* client.call(server, "get", "hi", { timeout: 5 });
      note(answer);
    });
    const summary = sim.run();
    expect(log).toEqual(["1:echo hi"]);
    expect(summary.time).toBe(1); // the 5 s timeout timer was cancelled
    expect(client.seen).toEqual([]); // replies to pending calls never reach handle
    expect(client.pendingCallCount).toBe(0);
  });

  it("times out with TimeoutError, and counts the late reply", () => {
    const { sim, note, log } = setup();
    const server = new Echo(sim, "server");
    server.delay = 3;
    const client = new Entity(sim, "client");
    client.start(function* () {
      try {
        yield* client.call(server, "get", "hi", { timeout: 2 });
      } catch (error) {
        note(`${(error as TimeoutError).name} after ${(error as TimeoutError).seconds}s`);
      }
    });
    sim.run();
    expect(log).toEqual(["2:TimeoutError after 2s"]);
    expect(client.counters.lateReplies).toBe(1);
    expect(client.pendingCallCount).toBe(0);
  });

  it("a late reply never reaches handle, even when handle is overridden; it is counted", () => {
    // Regression: a proxy that received its target's late replies as requests failed them back
    // to the target, which queued the failures as new work (a phantom ping-pong load).
    const { sim } = setup();
    const server = new Echo(sim, "server");
    server.delay = 3;
    const client = new Recorder(sim, "client");
    client.start(function* () {
      try {
        yield* client.call(server, "get", "hi", { timeout: 1 });
      } catch {}
    });
    sim.run();
    expect(client.seen).toEqual([]);
    expect(client.counters.lateReplies).toBe(1);
    expect(client.counters.received).toBe(0);
  });

  it("cancelling a request abandons it", () => {
    const { sim } = setup();
    const server = new Echo(sim, "server");
    const client = new Entity(sim, "client");
    const pending = client.request(server, "get", "x", { timeout: 10 });
    expect(client.pendingCallCount).toBe(1);
    pending.cancel();
    expect(client.pendingCallCount).toBe(0);
    expect(sim.run().time).toBe(1);
    expect(client.counters.lateReplies).toBe(1);
  });

  it("fail() makes the caller's call throw RemoteError, at the reply's time", () => {
    const { sim, note, log } = setup();
    class Picky extends Entity<number, number> {
      override handle(request: Message<number>) {
        if (request.payload < 0) this.fail(request, "negative input", { delay: 0.5 });
        else this.reply(request, request.payload);
      }
    }
    const server = new Picky(sim, "picky");
    const client = new Entity(sim, "client");
    client.start(function* () {
      try {
        yield* client.call(server, "sqrt", -4);
      } catch (error) {
        const remote = error as RemoteError;
        note(`${remote.name} from ${remote.entity}: ${remote.reason}`);
      }
      note(`ok ${yield* client.call(server, "sqrt", 9)}`);
    });
    sim.run();
    expect(log).toEqual(["0.5:RemoteError from picky: negative input", "0.5:ok 9"]);
    sim.send(server, "sqrt", -1);
    expect(() => sim.run()).toThrow(/cannot fail "sqrt" message \d+: it has no source/);
  });

  it("cannot reply to a message without a source", () => {
    const { sim } = setup();
    const server = new Echo(sim, "server");
    sim.send(server, "get", "anonymous");
    expect(() => sim.run()).toThrow(/cannot reply to "get" message 1: it has no source/);
  });

  it("rejects a bad timeout before sending anything", () => {
    const { sim } = setup();
    const server = new Echo(sim, "server");
    const client = new Entity(sim, "client");
    expect(() => client.request(server, "get", "x", { timeout: -1 })).toThrow(ConfigError);
    expect(sim.run().eventsProcessed).toBe(0);
  });
});

describe("Entity: timers", () => {
  it("after() calls back with its argument; cancelTimer stops it", () => {
    const { sim, note, log } = setup();
    const e = new Entity(sim, "e");
    e.after(1, (what: string) => note(what), "one");
    const token = e.after(2, (what: string) => note(what), "two");
    expect(e.cancelTimer(token)).toBe(true);
    sim.run();
    expect(log).toEqual(["1:one"]);
  });
});

describe("Entity: crash and recover", () => {
  it("cancels processes (finally runs), timers and pending calls; drops arrivals while down", () => {
    const { sim, note, log } = setup();
    const server = new Echo(sim, "server");
    server.delay = 100;
    class Node extends Entity<string> {
      crashedCalls: unknown[] = [];
      override handle(message: Message<string>) {
        note(`got ${message.payload}`);
      }
      protected override onCrash() {
        note("onCrash");
      }
      protected override onRecover() {
        note("onRecover");
      }
    }
    const node = new Node(sim, "node");
    node.start(function* () {
      try {
        yield 50;
      } finally {
        note("finally");
      }
    });
    node.after(20, () => note("timer"));
    const call = node.request(server, "get", "x", { timeout: 30 });
    sim.at(5, () => node.crash());
    sim.send(node, "m", "while down", { delay: 6 });
    sim.at(10, () => node.recover());
    sim.send(node, "m", "after recovery", { delay: 11 });
    sim.run();
    // The server still answers the abandoned call at t=100; that reply is late and dropped.
    expect(log).toEqual(["5:finally", "5:onCrash", "10:onRecover", "11:got after recovery"]);
    expect(call.state).toBe("cancelled");
    expect(call.error).toBeInstanceOf(CancelledError);
    expect(node.counters).toMatchObject({
      droppedWhileDown: 1,
      crashes: 1,
      received: 1,
      lateReplies: 1,
    });
    expect(node.liveProcessCount).toBe(0);
    expect(node.pendingCallCount).toBe(0);
  });

  it("messages sent before a crash still arrive", () => {
    const { sim } = setup();
    const sink = new Recorder(sim, "sink");
    const sender = new Entity(sim, "sender");
    sender.send(sink, "m", 1, { delay: 5 });
    sim.at(1, () => sender.crash());
    sim.run();
    expect(sink.seen).toHaveLength(1);
  });

  it("crash twice, recover while up, and a process crashing its own entity are errors", () => {
    const { sim } = setup();
    const node = new Entity(sim, "node");
    expect(() => node.recover()).toThrow(/not crashed/);
    node.crash();
    expect(node.status).toBe("crashed");
    expect(node.isUp).toBe(false);
    expect(() => node.crash()).toThrow(/already crashed/);
    node.recover();
    node.start(function* () {
      yield 1;
      node.crash();
    });
    expect(() => sim.run()).toThrow(/a process cannot crash its own entity/);
  });
});

describe("Entity: random streams", () => {
  it("returns the same stream for the same name, distinct streams for distinct names", () => {
    const { sim } = setup();
    const e = new Entity(sim, "e");
    expect(e.random("a")).toBe(e.random("a"));
    expect(e.random("a")).not.toBe(e.random("b"));
    expect(e.random().name).toBe("default");
    expect(e.random("a").owner).toBe("e");
  });
});
