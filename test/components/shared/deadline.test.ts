/**
 * Goal: every forwarding component carries its caller's deadline on to what it calls, the
 * earlier of it and its own timeout: TimeoutWrapper, CircuitBreaker, Bulkhead (also for work
 * that waited in its line), Hedge (copies sent later, with `causedBy`), Fallback (the second
 * target), LoadBalancer, RateLimiter (work that waited for a token), Client (its attempts,
 * when it works for a request), and Server / ThreadPool pipelines (the next stage, handed on
 * from a timer with `causedBy`).
 * Method: a caller calls the component at t = 1 with a 0.5 s timeout; a recording target
 * behind it keeps the deadline of each message it receives (1.5 s unless the component's own
 * timeout is earlier).
 */
import { describe, expect, it } from "vitest";
import {
  Bulkhead,
  CircuitBreaker,
  Client,
  dist,
  Entity,
  Fallback,
  Hedge,
  LoadBalancer,
  type Message,
  RateLimiter,
  Server,
  Simulation,
  ThreadPool,
  TimeoutWrapper,
} from "../../../src/index.js";

/** Records the deadline of each request and answers after `takes` seconds (or refuses). */
class Recorder extends Entity<number, number> {
  readonly deadlines: number[] = [];
  constructor(
    sim: Simulation,
    name: string,
    private readonly takes = 0.01,
    private readonly refuses = false,
  ) {
    super(sim, name);
  }
  override *handle(request: Message<number>) {
    this.deadlines.push(request.deadline);
    yield this.takes;
    if (this.refuses) this.fail(request, "no");
    else this.reply(request, request.payload);
  }
}

/** Calls `front` `count` times at t = 1 with a 0.5 s timeout; returns the deadlines seen. */
function seenBehind(
  build: (sim: Simulation, target: Recorder) => Entity<number, number>,
  count = 1,
  recorder?: (sim: Simulation) => Recorder,
): number[] {
  const sim = new Simulation({ seed: 1 });
  const target = recorder?.(sim) ?? new Recorder(sim, "target");
  const front = build(sim, target);
  const caller = new Entity(sim, "caller");
  sim.at(1, () => {
    for (let i = 0; i < count; i++) caller.request(front, "job", i, { timeout: 0.5 }).defuse();
  });
  sim.run();
  return target.deadlines;
}

describe("forwarding components carry the caller's deadline", () => {
  it("TimeoutWrapper: the earlier of the caller's and its own", () => {
    expect(
      seenBehind((sim, target) => new TimeoutWrapper(sim, "w", { target, timeout: 2 })),
    ).toEqual([1.5]);
    expect(
      seenBehind((sim, target) => new TimeoutWrapper(sim, "w", { target, timeout: 0.2 })),
    ).toEqual([1.2]);
  });

  it("CircuitBreaker and LoadBalancer", () => {
    expect(seenBehind((sim, target) => new CircuitBreaker(sim, "cb", { target }))).toEqual([1.5]);
    expect(
      seenBehind((sim, target) => new LoadBalancer(sim, "lb", { backends: [target], timeout: 3 })),
    ).toEqual([1.5]);
  });

  it("Bulkhead, also for work that waited in its line", () => {
    const deadlines = seenBehind(
      (sim, target) => new Bulkhead(sim, "b", { target, maxConcurrent: 1, maxWaiting: 5 }),
      3,
      (sim) => new Recorder(sim, "target", 0.1),
    );
    expect(deadlines).toEqual([1.5, 1.5, 1.5]);
  });

  it("RateLimiter, also for work that waited for a token", () => {
    const deadlines = seenBehind(
      (sim, target) =>
        new RateLimiter(sim, "rl", { target, rate: 10, burst: 1, maxQueued: 5, maxWait: 1 }),
      3,
    );
    expect(deadlines).toEqual([1.5, 1.5, 1.5]);
  });

  it("Hedge: the first call and the copies sent later", () => {
    const deadlines = seenBehind(
      (sim, target) => new Hedge(sim, "h", { target, hedgeAfter: 0.05, maxHedges: 2 }),
      1,
      (sim) => new Recorder(sim, "target", 0.2),
    );
    expect(deadlines).toEqual([1.5, 1.5, 1.5]);
  });

  it("Fallback: the primary and the fallback", () => {
    const sim = new Simulation({ seed: 1 });
    const primary = new Recorder(sim, "primary", 0.1, true);
    const backup = new Recorder(sim, "backup");
    const fallback = new Fallback(sim, "f", { primary, fallback: backup });
    const caller = new Entity(sim, "caller");
    sim.at(1, () => caller.request(fallback, "job", 1, { timeout: 0.5 }).defuse());
    sim.run();
    expect([...primary.deadlines, ...backup.deadlines]).toEqual([1.5, 1.5]);
  });

  it("Client: attempts made for a request carry its deadline; its own timeout applies when earlier", () => {
    const sim = new Simulation({ seed: 1 });
    const target = new Recorder(sim, "target");
    const client = new Client<number, number>(sim, "client", { target, timeout: 0.2 });
    class Service extends Entity<number, number> {
      override *handle(request: Message<number>) {
        yield 0.4; // only 0.1 s left for the client's call: less than its own 0.2 s
        const answer = yield* client.issue(request.payload);
        this.reply(request, answer);
      }
    }
    const service = new Service(sim, "service");
    const caller = new Entity(sim, "caller");
    sim.at(1, () => {
      caller.request(service, "job", 1, { timeout: 0.5 }).defuse();
      // Straight to the client (a Source would do the same): its own timeout only.
      caller.send(client, "job", 2);
    });
    sim.run();
    expect(target.deadlines).toEqual([1.2, 1.5]);
  });

  it("Server and ThreadPool pipelines hand it on to the next stage", () => {
    expect(
      seenBehind(
        (sim, target) =>
          new Server<number, number>(sim, "s", { serviceTime: dist.constant(0.1), next: target }),
      ),
    ).toEqual([1.5]);
    expect(
      seenBehind(
        (sim, target) =>
          new ThreadPool<number, number>(sim, "p", {
            workers: 1,
            taskTime: dist.constant(0.1),
            next: target,
          }),
      ),
    ).toEqual([1.5]);
  });
});
