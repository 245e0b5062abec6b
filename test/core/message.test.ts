/**
 * Goal: every message carries the documented fields: an id unique and increasing in send order,
 * kind, payload, source and target, size in bytes, send time (exact ns and seconds), the
 * correlation id of a reply and the causal parent (the message being handled when it was
 * sent). Bad sizes, delays and targets are refused at the send.
 * Method: a recorder entity keeps what it receives; sends from set-up code, from plain handlers
 * and from processes.
 */
import { describe, expect, it } from "vitest";
import { Entity } from "../../src/core/entity.js";
import { Message } from "../../src/core/message.js";
import { Simulation } from "../../src/core/simulation.js";
import { ConfigError, SimulationError } from "../../src/errors/errors.js";

class Recorder extends Entity<unknown> {
  readonly seen: Message<unknown>[] = [];
  override handle(message: Message<unknown>) {
    this.seen.push(message);
  }
}

function setup() {
  const sim = new Simulation({ seed: 1 });
  const sink = new Recorder(sim, "sink");
  return { sim, sink };
}

describe("Message fields", () => {
  it("arrive after the delay with every field set", () => {
    const { sim, sink } = setup();
    const source = new Entity(sim, "source");
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
      sentAtNs: 1_000_000_000,
      correlationId: 0,
      parentId: 0,
      isReply: false,
    });
    expect(message!.sentAt).toBe(1);
    expect(sim.now).toBe(1.5);
  });

  it("send returns the message it sent", () => {
    const { sim, sink } = setup();
    const sent = sim.send(sink, "m", 7);
    sim.run();
    expect(sink.seen[0]).toBe(sent);
  });

  it("ids increase in send order, across senders", () => {
    const { sim, sink } = setup();
    const a = new Entity(sim, "a");
    const ids = [
      sim.send(sink, "x", 0).id,
      a.send(sink, "x", 0).id,
      sim.send(sink, "x", 0).id,
      a.send(sink, "x", 0, { delay: 1 }).id,
    ];
    expect(ids).toEqual([1, 2, 3, 4]);
  });

  it("size defaults to 0 bytes and delay to 0 s", () => {
    const { sim, sink } = setup();
    const message = sim.send(sink, "m", null);
    sim.run();
    expect(message.sizeBytes).toBe(0);
    expect(sim.now).toBe(0);
  });

  it("sentAt is exact in ns and seconds at a time that is inexact in binary", () => {
    const { sim, sink } = setup();
    let message: Message<unknown> | null = null;
    sim.at(0.1 + 0.2, () => {
      message = sim.send(sink, "m", null);
    });
    sim.run();
    expect(message!.sentAtNs).toBe(300_000_000);
    expect(message!.sentAt).toBe(0.3);
  });

  it("a message sent from set-up code has a null source", () => {
    const { sim, sink } = setup();
    expect(sim.send(sink, "m", null).source).toBeNull();
  });

  it("the causal parent is the message whose handling sent it", () => {
    const { sim, sink } = setup();
    class Relay extends Entity<string> {
      override handle(message: Message<string>) {
        this.send(sink, "relayed", message.payload);
      }
    }
    const relay = new Relay(sim, "relay");
    const first = sim.send(relay, "in", "a");
    const second = sim.send(relay, "in", "b");
    sim.run();
    expect(sink.seen.map((m) => [m.id, m.parentId])).toEqual([
      [3, first.id],
      [4, second.id],
    ]);
  });

  it("a process started by a generator handler keeps its message as causal parent across sleeps", () => {
    const { sim, sink } = setup();
    class Slow extends Entity<string> {
      override *handle(message: Message<string>) {
        yield 1;
        yield 0.5;
        this.send(sink, "later", message.payload);
      }
    }
    const slow = new Slow(sim, "slow");
    const request = sim.send(slow, "in", "a");
    sim.run();
    expect(sink.seen[0]!.parentId).toBe(request.id);
    expect(sink.seen[0]!.sentAt).toBe(1.5);
  });

  it("a message sent outside any handling has parent 0", () => {
    const { sim, sink } = setup();
    const a = new Entity(sim, "a");
    a.start(function* () {
      yield 1;
      a.send(sink, "m", null);
    });
    sim.run();
    expect(sink.seen[0]!.parentId).toBe(0);
  });

  it("isReply is true exactly when there is a correlation id", () => {
    const { sink } = setup();
    const plain = new Message(1, "k", null, null, sink, 0, 0, 0, 0);
    const reply = new Message(2, "reply", null, null, sink, 0, 0, 1, 1);
    expect([plain.isReply, reply.isReply]).toEqual([false, true]);
  });
});

describe("Message validation at the send", () => {
  it.each([
    ["a negative", -1],
    ["a non-integer", 1.5],
    ["a NaN", Number.NaN],
    ["an infinite", Number.POSITIVE_INFINITY],
  ])("refuses %s size with a ConfigError naming sizeBytes", (_label, bad) => {
    const { sim, sink } = setup();
    const a = new Entity(sim, "a");
    expect(() => a.send(sink, "x", 1, { sizeBytes: bad })).toThrow(ConfigError);
    expect(() => a.send(sink, "x", 1, { sizeBytes: bad })).toThrow(
      /^a: option "sizeBytes" must be an integer >= 0; given /,
    );
  });

  it("refuses a negative delay, naming the sender and the parameter", () => {
    const { sim, sink } = setup();
    const a = new Entity(sim, "a");
    expect(() => a.send(sink, "x", 1, { delay: -2 })).toThrow(
      'a: option "delay" must be a finite duration in seconds >= 0; given -2',
    );
  });

  it("refuses a delay that ends past the exact range of integer nanoseconds", () => {
    const { sim, sink } = setup();
    sim.run({ until: 9_000_000 });
    expect(() => sim.send(sink, "x", 1, { delay: 9_000_000 })).toThrow(SimulationError);
  });

  it("refuses a target that is not an entity, naming the kind", () => {
    const { sim } = setup();
    const a = new Entity(sim, "a");
    expect(() => a.send(null as never, "x", 1)).toThrow(SimulationError);
    expect(() => a.send({} as never, "x", 1)).toThrow(
      'entity "a" at t=0s: send("x") to object: the target must be an entity of this simulation',
    );
    expect(() => sim.send("sink" as never, "x", 1)).toThrow(/^simulation at t=0s: send\("x"\)/);
  });

  it("refuses an entity of another simulation", () => {
    const { sim } = setup();
    const elsewhere = new Recorder(new Simulation({ seed: 2 }), "elsewhere");
    expect(() => sim.send(elsewhere, "x", 1)).toThrow(/must be an entity of this simulation/);
  });

  it("a refused send sends nothing", () => {
    const { sim, sink } = setup();
    expect(() => sim.send(sink, "x", 1, { sizeBytes: -1 })).toThrow(ConfigError);
    expect(sim.send(sink, "y", 2).id).toBe(1);
  });
});
