/**
 * Goal: entities handle messages, answer calls and keep timers as documented, and crash and
 * recover take exactly what they should. A call returns the reply's payload (the reply is
 * correlated with the request and caused by it), times out with TimeoutError, and a late reply
 * is counted, never handed to `handle`. A crash cancels the entity's processes (finally runs),
 * timers and pending calls, drops what arrives while it is down, and leaves messages it already
 * sent on the wire; recover brings it back.
 * Method: small client/server models on a fresh simulation per test, checking logs stamped with
 * simulated time, counters, and the live non-daemon event count for stray timers.
 */
import { describe, expect, it } from "vitest";
import { Entity } from "../../src/core/entity.js";
import type { Message } from "../../src/core/message.js";
import { Simulation } from "../../src/core/simulation.js";
import {
  CancelledError,
  ConfigError,
  RemoteError,
  SimulationError,
  TimeoutError,
} from "../../src/errors/errors.js";

/** Answers "echo <payload>" after `delay` seconds, and keeps the requests and its replies. */
class Echo extends Entity<string, string> {
  delay = 1;
  readonly requests: Message<string>[] = [];
  readonly replies: Message<string>[] = [];
  override *handle(request: Message<string>) {
    this.requests.push(request);
    yield this.delay;
    const reply = this.reply(request, `echo ${request.payload}`);
    if (reply !== null) this.replies.push(reply);
  }
}

/** Keeps every message handed to handle. */
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

/** Runs `sim` and returns the SimulationError it threw (failing the test if it did not throw). */
function failure(sim: Simulation): SimulationError {
  try {
    sim.run();
  } catch (error) {
    expect(error).toBeInstanceOf(SimulationError);
    return error as SimulationError;
  }
  throw new Error("expected the run to fail");
}

describe("Entity: identity", () => {
  it("has a unique name and a small id in creation order", () => {
    const { sim } = setup();
    const a = new Entity(sim, "a");
    const b = new Entity(sim, "b");
    expect([a.name, a.id, b.name, b.id]).toEqual(["a", 1, "b", 2]);
    expect(() => new Entity(sim, "a")).toThrow(
      'Entity: option "name" must be a name unique in the simulation; given "a"',
    );
  });

  it("refuses an empty or non-string name", () => {
    const { sim } = setup();
    expect(() => new Entity(sim, "")).toThrow(ConfigError);
    expect(() => new Entity(sim, 3 as never)).toThrow(/option "name" must be a non-empty string/);
  });

  it("sees the simulation clock in seconds and exact nanoseconds", () => {
    const { sim } = setup();
    const e = new Entity(sim, "e");
    sim.run({ until: 0.1 + 0.2 });
    expect([e.now, e.nowNs]).toEqual([0.3, 300_000_000]);
  });
});

describe("Entity: handle", () => {
  it("counts the messages it handles", () => {
    const { sim } = setup();
    const sink = new Recorder(sim, "sink");
    sim.send(sink, "a", 1);
    sim.send(sink, "b", 2, { delay: 1 });
    sim.run();
    expect(sink.seen.map((m) => m.kind)).toEqual(["a", "b"]);
    expect(sink.counters.received).toBe(2);
  });

  it("a generator handle runs as a process named after the kind, its first step at once", () => {
    const { sim, note, log } = setup();
    class Worker extends Entity<string> {
      override *handle(message: Message<string>) {
        note(`start ${message.payload}`);
        yield 2;
        note(`end ${message.payload}`);
      }
    }
    const worker = new Worker(sim, "worker");
    sim.send(worker, "job", "a", { delay: 1 });
    sim.send(worker, "job", "b", { delay: 1 });
    sim.runUntil(() => worker.liveProcessCount === 2);
    expect(log).toEqual(["1:start a", "1:start b"]);
    sim.run();
    expect(log).toEqual(["1:start a", "1:start b", "3:end a", "3:end b"]);
  });

  it("the default handle fails the run, naming the entity, the kind and the time", () => {
    const { sim } = setup();
    const mute = new Entity(sim, "mute");
    sim.send(mute, "hello", null, { delay: 1 });
    const error = failure(sim);
    expect(error.message).toBe(
      'entity "mute" at t=1s: received a "hello" message but does not implement handle()',
    );
    expect(error.entity).toBe("mute");
  });

  it("an async handle fails the run saying why, instead of running outside simulated time", () => {
    const { sim } = setup();
    const target = new Entity(sim, "asyncish");
    // The compiler refuses an async handle; a JavaScript model can still write one.
    (target as unknown as { handle: () => Promise<void> }).handle = async () => {};
    sim.send(target, "ping", 0, { delay: 1 });
    const error = failure(sim);
    expect(error.message).toMatch(/returned a Promise \(an async method\)/);
    expect(error.entity).toBe("asyncish");
  });

  it("a throwing handle fails the run with the entity, the time and the original error", () => {
    const { sim } = setup();
    const cause = new Error("bad input");
    class Broken extends Entity<unknown> {
      override handle() {
        throw cause;
      }
    }
    sim.send(new Broken(sim, "broken"), "m", null, { delay: 2 });
    const error = failure(sim);
    expect(error.message).toBe('entity "broken" at t=2s: handler threw: bad input');
    expect(error.cause).toBe(cause);
  });
});

describe("Entity: call and reply", () => {
  it("call returns the reply's payload", () => {
    const { sim, note, log } = setup();
    const server = new Echo(sim, "server");
    const client = new Entity(sim, "client");
    client.start(function* () {
      note(yield* client.call(server, "get", "hi"));
    });
    sim.run();
    expect(log).toEqual(["1:echo hi"]);
  });

  it("the reply is correlated with the request, and caused by it", () => {
    const { sim } = setup();
    const server = new Echo(sim, "server");
    const client = new Entity(sim, "client");
    client.start(function* () {
      yield* client.call(server, "get", "hi");
    });
    sim.run();
    const [request] = server.requests;
    const [reply] = server.replies;
    expect(reply).toMatchObject({
      kind: "reply",
      correlationId: request!.id,
      parentId: request!.id, // sent by the process handling the request, after a sleep
      source: server,
      target: client,
      isReply: true,
      sentAtNs: 1_000_000_000,
    });
  });

  it("reply takes a kind, a delay and a size", () => {
    const { sim } = setup();
    class Custom extends Entity<string, string> {
      override handle(request: Message<string>) {
        this.reply(request, "ok", { kind: "ack", delay: 0.5, sizeBytes: 10 });
      }
    }
    const server = new Custom(sim, "server");
    const client = new Entity(sim, "client");
    client.start(function* () {
      yield* client.call(server, "get", "x");
    });
    let reply: Message<unknown> | undefined;
    const transmit = sim.transport.transmit;
    sim.transport = {
      transmit(message, delayNs) {
        if (message.isReply) reply = message;
        transmit(message, delayNs);
      },
    };
    expect(sim.run().time).toBe(0.5);
    expect(reply).toMatchObject({ kind: "ack", sizeBytes: 10, payload: "ok" });
  });

  it("a reply on time cancels the timeout timer, so the run ends at the reply", () => {
    const { sim } = setup();
    const server = new Echo(sim, "server");
    const client = new Entity(sim, "client");
    client.start(function* () {
      yield* client.call(server, "get", "hi", { timeout: 5 });
    });
    const summary = sim.run();
    expect(summary.time).toBe(1);
    expect(sim.queue.liveNonDaemon).toBe(0);
    expect(client.pendingCallCount).toBe(0);
  });

  it("replies settle calls and are not counted as received", () => {
    const { sim } = setup();
    const server = new Echo(sim, "server");
    const client = new Recorder(sim, "client");
    client.start(function* () {
      yield* client.call(server, "get", "hi");
    });
    sim.run();
    expect(client.seen).toEqual([]);
    expect(client.counters.received).toBe(0);
    expect(server.counters.received).toBe(1);
  });

  it("call times out with TimeoutError at the timeout", () => {
    const { sim, note, log } = setup();
    const server = new Echo(sim, "server");
    server.delay = 3;
    const client = new Entity(sim, "client");
    client.start(function* () {
      try {
        yield* client.call(server, "get", "hi", { timeout: 2 });
      } catch (error) {
        expect(error).toBeInstanceOf(TimeoutError);
        note(`${(error as TimeoutError).name} after ${(error as TimeoutError).seconds}s`);
      }
    });
    sim.run();
    expect(log).toEqual(["2:TimeoutError after 2s"]);
    expect(client.pendingCallCount).toBe(0);
  });

  it("a late reply is counted in lateReplies; an entity without handle does not fail on it", () => {
    const { sim } = setup();
    const server = new Echo(sim, "server");
    server.delay = 3;
    const client = new Entity(sim, "client"); // the default handle would fail the run
    client.start(function* () {
      try {
        yield* client.call(server, "get", "hi", { timeout: 2 });
      } catch {}
    });
    const summary = sim.run();
    expect(summary.time).toBe(3); // the reply did arrive
    expect(client.counters.lateReplies).toBe(1);
    expect(client.counters.received).toBe(0);
  });

  it("a reply to a plain send is dropped, neither delivered nor counted as late", () => {
    // A Source drives a Server with send(): the server's replies have nobody waiting.
    const { sim } = setup();
    const server = new Echo(sim, "server");
    server.delay = 1;
    const sender = new Recorder(sim, "sender");
    sender.send(server, "get", "fire and forget");
    const failing = new (class extends Entity<string, string> {
      override handle(request: Message<string>) {
        this.fail(request, "no");
      }
    })(sim, "failing");
    sender.send(failing, "get", "x");
    expect(sim.run().time).toBe(1); // the reply did travel back
    expect(sender.seen).toEqual([]);
    expect(sender.counters.lateReplies).toBe(0);
  });

  it("a late reply never reaches an overridden handle", () => {
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
  });

  it("cancelling a request abandons it; its reply is then late", () => {
    const { sim } = setup();
    const server = new Echo(sim, "server");
    const client = new Entity(sim, "client");
    const pending = client.request(server, "get", "x", { timeout: 10 });
    expect(client.pendingCallCount).toBe(1);
    expect(pending.cancel()).toBe(true);
    expect(client.pendingCallCount).toBe(0);
    expect(sim.run().time).toBe(1); // the timeout timer went with it
    expect(client.counters.lateReplies).toBe(1);
  });

  it("a process cancelled or interrupted inside yield* call() abandons the call and its timer", () => {
    const { sim } = setup();
    const server = new Echo(sim, "server");
    const client = new Entity(sim, "client");
    const waiting = client.start(function* () {
      yield* client.call(server, "get", "x", { timeout: 10 });
    });
    const interrupted = client.start(function* () {
      try {
        yield* client.call(server, "get", "y", { timeout: 10 });
      } catch {
        // The interrupt is caught; the call it was waiting on is gone all the same.
      }
    });
    sim.at(0.5, () => {
      waiting.cancel();
      interrupted.interrupt();
    });
    sim.at(0.6, () => expect(client.pendingCallCount).toBe(0));
    expect(sim.run().time).toBe(1); // no timeout timers left at 10 s
    expect(client.counters.lateReplies).toBe(2);
  });

  it("a shared future is not cancelled when one of its waiters is", () => {
    const { sim } = setup();
    const client = new Entity(sim, "client");
    const shared = sim.future<number>();
    const first = client.start(function* () {
      yield shared;
    });
    let second = 0;
    client.start(function* () {
      second = (yield shared) as number;
    });
    sim.at(1, () => first.cancel());
    sim.at(2, () => shared.resolve(7));
    sim.run();
    expect(second).toBe(7);
  });

  it("fail() makes the caller's call throw RemoteError, with the reason and the entity", () => {
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
        expect(error).toBeInstanceOf(RemoteError);
        const remote = error as RemoteError;
        note(`${remote.entity}: ${remote.reason}`);
      }
      note(`ok ${yield* client.call(server, "sqrt", 9)}`);
    });
    sim.run();
    expect(log).toEqual(["0.5:picky: negative input", "0.5:ok 9"]);
  });

  it("drops a reply or failure to a message that has no source (sent from outside any entity)", () => {
    // Nobody waits for an answer to sim.send, as nobody waits for one to a plain send: the
    // answer has no one to go to and is dropped, and the run goes on.
    const { sim } = setup();
    const server = new Echo(sim, "server");
    sim.send(server, "get", "anonymous");
    class Failing extends Entity<string> {
      answered: Message<unknown> | null | undefined;
      override handle(request: Message<string>) {
        this.answered = this.fail(request, "no");
      }
    }
    const failing = new Failing(sim, "failing");
    sim.send(failing, "get", "x");
    const summary = sim.run();
    expect(summary.reason).toBe("drained");
    expect(server.requests).toHaveLength(1);
    expect(server.replies).toHaveLength(0);
    expect(failing.answered).toBeNull();
    expect(server.counters.lateReplies + failing.counters.lateReplies).toBe(0);
  });

  it("refuses a bad timeout before sending anything", () => {
    const { sim } = setup();
    const server = new Echo(sim, "server");
    const client = new Entity(sim, "client");
    expect(() => client.request(server, "get", "x", { timeout: -1 })).toThrow(
      'client: option "timeout" must be a finite duration in seconds >= 0; given -1',
    );
    expect(sim.run().eventsProcessed).toBe(0);
  });
});

describe("Entity: timers", () => {
  it("after() calls back with its argument after the delay", () => {
    const { sim, note, log } = setup();
    const e = new Entity(sim, "e");
    e.after(1.5, (what: string) => note(what), "one");
    sim.run();
    expect(log).toEqual(["1.5:one"]);
  });

  it("at() calls back at an absolute time", () => {
    const { sim, note, log } = setup();
    const e = new Entity(sim, "e");
    sim.at(1, () => e.at(4, () => note("at 4")));
    sim.run();
    expect(log).toEqual(["4:at 4"]);
  });

  it("cancelTimer stops a timer, and returns false the second time", () => {
    const { sim, note, log } = setup();
    const e = new Entity(sim, "e");
    const token = e.after(2, () => note("cancelled"));
    e.after(1, () => note("kept"));
    expect(e.cancelTimer(token)).toBe(true);
    expect(e.cancelTimer(token)).toBe(false);
    sim.run();
    expect(log).toEqual(["1:kept"]);
  });

  it("a fired timer's token does not cancel a newer timer", () => {
    const { sim, note, log } = setup();
    const e = new Entity(sim, "e");
    const old = e.after(1, () => {});
    sim.run();
    e.after(1, () => note("newer"));
    expect(e.cancelTimer(old)).toBe(false);
    sim.run();
    expect(log).toEqual(["2:newer"]);
  });

  it("a daemon timer does not keep a run alive", () => {
    const { sim } = setup();
    const e = new Entity(sim, "e");
    e.after(5, () => {}, undefined, { daemon: true });
    e.after(1, () => {});
    expect(sim.run().time).toBe(1);
  });

  it("sleep() is a future that resolves after the delay", () => {
    const { sim, note, log } = setup();
    const e = new Entity(sim, "e");
    e.start(function* () {
      yield e.sleep(2);
      note("woke");
    });
    sim.run();
    expect(log).toEqual(["2:woke"]);
  });

  it.each([
    ["negative", -1],
    ["NaN", Number.NaN],
    ["infinite", Number.POSITIVE_INFINITY],
  ])("refuses a %s delay, naming the entity and the parameter", (_label, bad) => {
    const { sim } = setup();
    const e = new Entity(sim, "e");
    expect(() => e.after(bad, () => {})).toThrow(ConfigError);
    expect(() => e.after(bad, () => {})).toThrow(/^e: option "delay" must be /);
    expect(() => e.sleep(bad)).toThrow(/^e: option "seconds" must be /);
  });

  it("refuses a delay that ends past the exact range of integer nanoseconds", () => {
    const { sim } = setup();
    const e = new Entity(sim, "e");
    sim.run({ until: 9_000_000 });
    expect(() => e.after(9_000_000, () => {})).toThrow(SimulationError);
    expect(() => e.request(e, "x", null, { timeout: 9_000_000 })).toThrow(SimulationError);
  });

  it("calls at()'s argument a time, not a duration", () => {
    const { sim } = setup();
    const e = new Entity(sim, "e");
    expect(() => e.at(-1, () => {})).toThrow(
      'e: option "time" must be a finite time in seconds >= 0; given -1',
    );
  });

  it("refuses a time in the past, naming the entity", () => {
    const { sim } = setup();
    const e = new Entity(sim, "e");
    sim.run({ until: 10 });
    expect(() => e.at(5, () => {})).toThrow(SimulationError);
    expect(() => e.at(5, () => {})).toThrow('entity "e" at t=10s: at(5) is in the past');
    expect(() => e.at(-1, () => {})).toThrow(/^e: option "time" must be /);
  });
});

describe("Entity: crash", () => {
  /** A node whose hooks log, with one process, one timer and one pending call. */
  function crashable() {
    const { sim, note, log } = setup();
    const server = new Echo(sim, "server");
    server.delay = 100;
    class Node extends Entity<string> {
      override handle(message: Message<string>) {
        note(`got ${message.payload}`);
      }
      protected override onCrash() {
        note(`onCrash, ${this.liveProcessCount} processes, ${this.pendingCallCount} calls`);
      }
      protected override onRecover() {
        note("onRecover");
      }
    }
    const node = new Node(sim, "node");
    return { sim, note, log, server, node };
  }

  it("cancels the entity's processes; their finally blocks run", () => {
    const { sim, note, log, node } = crashable();
    const worker = node.start(function* () {
      try {
        yield 50;
      } finally {
        note("finally");
      }
    });
    sim.at(5, () => node.crash());
    sim.run();
    expect(log).toEqual(["5:finally", "5:onCrash, 0 processes, 0 calls"]);
    expect(worker.status).toBe("cancelled");
  });

  it("cancels the entity's timers", () => {
    const { sim, note, log, node } = crashable();
    node.after(20, () => note("after"));
    node.at(30, () => note("at"));
    const sleeping = node.sleep(40);
    sim.at(5, () => node.crash());
    const summary = sim.run();
    expect(log).toEqual(["5:onCrash, 0 processes, 0 calls"]);
    expect(summary.time).toBe(5);
    expect(sleeping.state).toBe("pending"); // its timer is gone; nothing will settle it
  });

  it("cancels pending calls and their timeout timers", () => {
    const { sim, node, server } = crashable();
    const call = node.request(server, "get", "x", { timeout: 30 });
    sim.at(5, () => node.crash());
    sim.runUntil(() => node.status === "crashed");
    expect(call.state).toBe("cancelled");
    expect(call.error).toBeInstanceOf(CancelledError);
    expect(node.pendingCallCount).toBe(0);
    // Only the server's process remains: no timeout timer of the node.
    expect(sim.queue.liveNonDaemon).toBe(1);
  });

  it("leaves no stray timers: afterwards only messages in flight remain", () => {
    const { sim, node, server } = crashable();
    node.start(function* () {
      yield 50;
    });
    node.after(20, () => {});
    node.request(server, "get", "x", { timeout: 30 });
    node.send(server, "get", "in flight", { delay: 10 });
    sim.at(5, () => node.crash());
    sim.runUntil(() => node.status === "crashed");
    // The in-flight message and the server's process for the first request.
    expect(sim.queue.liveNonDaemon).toBe(2);
  });

  it("drops and counts messages that arrive while it is down", () => {
    const { sim, node, log } = crashable();
    sim.at(1, () => node.crash());
    sim.send(node, "m", "while down", { delay: 2 });
    sim.send(node, "m", "also down", { delay: 3 });
    sim.run();
    expect(log).toEqual(["1:onCrash, 0 processes, 0 calls"]);
    expect(node.counters.droppedWhileDown).toBe(2);
    expect(node.counters.received).toBe(0);
  });

  it("messages it sent before crashing still arrive", () => {
    const { sim } = setup();
    const sink = new Recorder(sim, "sink");
    const sender = new Entity(sim, "sender");
    sender.send(sink, "m", 1, { delay: 5 });
    sim.at(1, () => sender.crash());
    sim.run();
    expect(sink.seen).toHaveLength(1);
    expect(sink.seen[0]!.source).toBe(sender);
  });

  it("a reply to a call made before the crash is late after recovery", () => {
    const { sim, node, server } = crashable();
    node.request(server, "get", "x");
    sim.at(5, () => node.crash());
    sim.at(10, () => node.recover());
    sim.run();
    expect(sim.now).toBe(100);
    expect(node.counters.lateReplies).toBe(1);
  });

  it("counts crashes", () => {
    const { node } = crashable();
    node.crash();
    node.recover();
    node.crash();
    expect(node.counters.crashes).toBe(2);
  });

  it("crashing a crashed entity throws", () => {
    const { node } = crashable();
    node.crash();
    expect(node.status).toBe("crashed");
    expect(node.isUp).toBe(false);
    expect(() => node.crash()).toThrow(SimulationError);
    expect(() => node.crash()).toThrow(/already crashed/);
  });

  it("a process cannot crash its own entity", () => {
    const { sim, node } = crashable();
    node.start(function* () {
      yield 1;
      node.crash();
    });
    expect(failure(sim).message).toMatch(
      /entity "node" at t=1s: a process cannot crash its own entity/,
    );
  });

  it("a process of another entity can crash it", () => {
    const { sim, node, log } = crashable();
    const killer = new Entity(sim, "killer");
    killer.start(function* () {
      yield 1;
      node.crash();
    });
    sim.run();
    expect(log).toEqual(["1:onCrash, 0 processes, 0 calls"]);
  });
});

describe("Entity: recover", () => {
  it("calls onRecover and receives messages again", () => {
    const { sim, note, log } = setup();
    class Node extends Entity<string> {
      override handle(message: Message<string>) {
        note(`got ${message.payload}`);
      }
      protected override onRecover() {
        note("onRecover");
      }
    }
    const node = new Node(sim, "node");
    sim.at(1, () => node.crash());
    sim.at(10, () => node.recover());
    sim.send(node, "m", "down", { delay: 5 });
    sim.send(node, "m", "up", { delay: 11 });
    sim.run();
    expect(log).toEqual(["10:onRecover", "11:got up"]);
    expect(node.isUp).toBe(true);
    expect(node.counters).toMatchObject({ received: 1, droppedWhileDown: 1, crashes: 1 });
  });

  it("can run processes and timers again", () => {
    const { sim, note, log } = setup();
    const node = new Entity(sim, "node");
    node.crash();
    node.recover();
    node.start(function* () {
      yield 1;
      note("process");
    });
    node.after(2, () => note("timer"));
    sim.run();
    expect(log).toEqual(["1:process", "2:timer"]);
  });

  it("recovering an entity that is up throws", () => {
    const { sim } = setup();
    const node = new Entity(sim, "node");
    expect(() => node.recover()).toThrow(
      'entity "node" at t=0s: recover() called on an entity that is not crashed',
    );
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

  it("an entity's stream is not the simulation's stream of the same name", () => {
    const { sim } = setup();
    const e = new Entity(sim, "e");
    expect(e.random("x").next()).not.toBe(sim.random("x").next());
  });
});

describe("Entity: lifecycle hooks", () => {
  it("a removed hook hears no more crashes; one removed while the hooks run skips no other", () => {
    const sim = new Simulation({ seed: 1 });
    const entity = new Entity(sim, "e");
    const heard: string[] = [];
    const late = { onCrash: () => heard.push("late") };
    const first = entity.addLifecycleHook({
      onCrash: () => {
        heard.push("first");
        // Removing itself while the hooks run must not shift the next one out of this crash.
        entity.removeLifecycleHook(first);
      },
    });
    entity.addLifecycleHook({ onCrash: () => heard.push("second") });
    entity.addLifecycleHook(late);
    entity.crash();
    expect(heard).toEqual(["first", "second", "late"]);
    entity.recover();
    expect(entity.removeLifecycleHook(late)).toBe(true);
    expect(entity.removeLifecycleHook(late)).toBe(false);
    heard.length = 0;
    entity.crash();
    expect(heard).toEqual(["second"]);
  });
});
