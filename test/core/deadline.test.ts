/**
 * Goal: a call's timeout travels with its request as an absolute deadline (gRPC's rule), and
 * the messages a handler sends while working on a request inherit it: the earlier of the
 * inherited deadline and the call's own, so time spent upstream is subtracted by itself.
 * Sends inherit but never start one; replies carry their request's; `propagateDeadline: false`
 * detaches a message; timers start no chain. A message without one reads Infinity.
 * Method: a chain of entities records what each receives (deadline and remaining seconds at
 * arrival), with sleeps between hops so the subtraction is visible in exact nanoseconds.
 */
import { describe, expect, it } from "vitest";
import { type CallOptions, Entity } from "../../src/core/entity.js";
import { type Message, NO_DEADLINE } from "../../src/core/message.js";
import { Simulation } from "../../src/core/simulation.js";
import { ConfigError } from "../../src/errors/errors.js";

interface Seen {
  kind: string;
  deadlineNs: number;
  deadline: number;
  remaining: number;
}

/** Records each message and answers at once. */
class Leaf extends Entity<string, string> {
  readonly seen: Seen[] = [];
  override handle(message: Message<string>): void {
    this.seen.push({
      kind: message.kind,
      deadlineNs: message.deadlineNs,
      deadline: message.deadline,
      remaining: message.remaining,
    });
    this.reply(message, "ok");
  }
}

/** Works `work` seconds on each request, then calls `next` with `options`, then answers. */
class Hop extends Entity<string, string> {
  readonly seen: Seen[] = [];
  constructor(
    sim: Simulation,
    name: string,
    private readonly next: Entity<string, string>,
    private readonly work: number,
    private readonly options: CallOptions,
  ) {
    super(sim, name);
  }
  override *handle(message: Message<string>) {
    this.seen.push({
      kind: message.kind,
      deadlineNs: message.deadlineNs,
      deadline: message.deadline,
      remaining: message.remaining,
    });
    yield this.work;
    const answer = yield* this.call(this.next, "inner", message.payload, this.options);
    this.reply(message, answer);
  }
}

describe("deadlines on messages", () => {
  it("a call with a timeout carries now + timeout; a message without one reads Infinity", () => {
    const sim = new Simulation({ seed: 1 });
    const leaf = new Leaf(sim, "leaf");
    const caller = new Entity(sim, "caller");
    sim.at(2, () => {
      caller.start(function* () {
        yield* this.call(leaf, "timed", "x", { timeout: 0.25, delay: 0.05 });
        yield* this.call(leaf, "untimed", "x");
      });
    });
    sim.send(leaf, "from-setup", "x");
    sim.run();
    expect(leaf.seen[0]).toEqual({
      kind: "from-setup",
      deadlineNs: NO_DEADLINE,
      deadline: Number.POSITIVE_INFINITY,
      remaining: Number.POSITIVE_INFINITY,
    });
    expect(leaf.seen[1]).toEqual({
      kind: "timed",
      deadlineNs: 2_250_000_000,
      deadline: 2.25,
      remaining: 0.2,
    });
    expect(leaf.seen[2]!.deadlineNs).toBe(NO_DEADLINE);
  });

  it("is inherited through two hops, minus the time each spent", () => {
    const sim = new Simulation({ seed: 1 });
    const leaf = new Leaf(sim, "leaf");
    // The second hop's own timeout (5 s) is later than what is left: the inherited one wins.
    const second = new Hop(sim, "second", leaf, 0.3, { timeout: 5 });
    // The first hop's call has no timeout of its own: it passes the deadline on unchanged.
    const first = new Hop(sim, "first", second, 0.2, {});
    const client = new Entity(sim, "client");
    client.start(function* () {
      yield* this.call(first, "outer", "x", { timeout: 1 });
    });
    sim.run();
    expect(first.seen[0]!.remaining).toBe(1);
    expect(second.seen[0]).toMatchObject({ deadlineNs: 1e9, remaining: 0.8 });
    expect(leaf.seen[0]).toMatchObject({ deadlineNs: 1e9, remaining: 0.5 });
  });

  it("a call's own timeout wins when it is the earlier one", () => {
    const sim = new Simulation({ seed: 1 });
    const leaf = new Leaf(sim, "leaf");
    const hop = new Hop(sim, "hop", leaf, 0.1, { timeout: 0.2 });
    const client = new Entity(sim, "client");
    client.start(function* () {
      yield* this.call(hop, "outer", "x", { timeout: 1 });
    });
    sim.run();
    expect(leaf.seen[0]).toMatchObject({ deadlineNs: 300_000_000, remaining: 0.2 });
  });

  it("propagateDeadline: false detaches a call (own timeout only) and a send (none)", () => {
    const sim = new Simulation({ seed: 1 });
    const leaf = new Leaf(sim, "leaf");
    const detachedCall = new Hop(sim, "detached-call", leaf, 0.1, {
      timeout: 5,
      propagateDeadline: false,
    });
    const bareCall = new Hop(sim, "bare-call", leaf, 0.1, { propagateDeadline: false });
    class Notifier extends Entity<string, string> {
      override handle(message: Message<string>): void {
        this.send(leaf, "inherited-send", "x");
        this.send(leaf, "detached-send", "x", { propagateDeadline: false });
        this.reply(message, "ok");
      }
    }
    const notifier = new Notifier(sim, "notifier");
    const client = new Entity(sim, "client");
    client.start(function* () {
      yield* this.call(detachedCall, "a", "x", { timeout: 1 });
      yield* this.call(bareCall, "b", "x", { timeout: 1 });
      yield* this.call(notifier, "c", "x", { timeout: 1 });
    });
    sim.run();
    const byKind = (kind: string) => leaf.seen.filter((s) => s.kind === kind);
    const [own, bare] = byKind("inner");
    expect(own!.deadlineNs).toBe(5_100_000_000);
    expect(bare!.deadlineNs).toBe(NO_DEADLINE);
    // The notifier handled "c" sent at 0.2 s with a 1 s timeout.
    expect(byKind("inherited-send")[0]!.deadlineNs).toBe(1_200_000_000);
    expect(byKind("detached-send")[0]!.deadlineNs).toBe(NO_DEADLINE);
  });

  it("sends inherit from the request being handled but never start a deadline", () => {
    const sim = new Simulation({ seed: 1 });
    const leaf = new Leaf(sim, "leaf");
    const relay = new (class extends Entity<string, string> {
      override handle(message: Message<string>): void {
        this.send(leaf, "relayed", message.payload);
      }
    })(sim, "relay");
    const client = new Entity(sim, "client");
    sim.at(0, () => {
      client.send(relay, "fire-and-forget", "x");
      client.request(relay, "called", "x", { timeout: 0.5 }).defuse();
    });
    sim.run();
    const deadlines = leaf.seen.map((s) => s.deadlineNs);
    expect(deadlines).toEqual([NO_DEADLINE, 500_000_000]);
  });

  it("a reply and a failure carry their request's deadline, even when sent from a timer", () => {
    const sim = new Simulation({ seed: 1 });
    const sent: Message<unknown>[] = [];
    class Answering extends Entity<string, string> {
      override handle(message: Message<string>): void {
        this.after(0.1, () => {
          const reply = this.reply(message, "late");
          if (reply !== null) sent.push(reply);
          const failure = this.fail(message, "no");
          if (failure !== null) sent.push(failure);
        });
      }
    }
    const answering = new Answering(sim, "answering");
    const caller = new Entity(sim, "caller");
    caller.request(answering, "q", "x", { timeout: 0.4 });
    sim.run();
    expect(sent.map((m) => m.deadlineNs)).toEqual([400_000_000, 400_000_000]);
  });

  it("timers start no chain; causedBy hands a queued request's deadline on", () => {
    const sim = new Simulation({ seed: 1 });
    const leaf = new Leaf(sim, "leaf");
    class Batcher extends Entity<string, string> {
      private readonly held: Message<string>[] = [];
      override handle(message: Message<string>): void {
        this.held.push(message);
        if (this.held.length === 1) this.after(0.1, this.flush);
      }
      private readonly flush = (): void => {
        this.send(leaf, "from-timer", "x");
        for (const message of this.held) this.send(leaf, "caused", "x", { causedBy: message });
      };
    }
    const batcher = new Batcher(sim, "batcher");
    const client = new Entity(sim, "client");
    client.request(batcher, "q", "x", { timeout: 0.3 }).defuse();
    sim.run();
    expect(leaf.seen.map((s) => [s.kind, s.deadlineNs])).toEqual([
      ["from-timer", NO_DEADLINE],
      ["caused", 300_000_000],
    ]);
  });

  it("processes started while handling a request keep its deadline across their sleeps", () => {
    const sim = new Simulation({ seed: 1 });
    const leaf = new Leaf(sim, "leaf");
    class Spawner extends Entity<string, string> {
      override handle(message: Message<string>): void {
        this.start(function* (this: Spawner) {
          yield 0.05;
          yield 0.05;
          this.send(leaf, "spawned", "x");
        });
        this.reply(message, "ok");
      }
    }
    const spawner = new Spawner(sim, "spawner");
    const client = new Entity(sim, "client");
    client.request(spawner, "q", "x", { timeout: 0.7 });
    sim.run();
    expect(leaf.seen[0]).toMatchObject({ deadlineNs: 700_000_000, remaining: 0.6 });
  });

  it("an inherited deadline is carried, not enforced: only a call's own timeout times it out", () => {
    const sim = new Simulation({ seed: 1 });
    class Slow extends Entity<string, string> {
      override *handle(message: Message<string>) {
        yield 1;
        this.reply(message, "slow");
      }
    }
    const slow = new Slow(sim, "slow");
    let outcome = "";
    const hop = new (class extends Entity<string, string> {
      override *handle(message: Message<string>) {
        outcome = yield* this.call(slow, "inner", "x");
        this.reply(message, outcome);
      }
    })(sim, "hop");
    const client = new Entity(sim, "client");
    client.request(hop, "q", "x", { timeout: 0.2 }).defuse();
    sim.run();
    expect(outcome).toBe("slow");
    expect(client.counters.lateReplies).toBe(1);
  });

  it("refuses a propagateDeadline that is not a boolean", () => {
    const sim = new Simulation({ seed: 1 });
    const leaf = new Leaf(sim, "leaf");
    const client = new Entity(sim, "client");
    const bad = { propagateDeadline: "no" } as unknown as CallOptions;
    expect(() => client.send(leaf, "x", "x", bad)).toThrow(ConfigError);
    expect(() => client.request(leaf, "x", "x", bad)).toThrow(/propagateDeadline.*true or false/);
  });
});
