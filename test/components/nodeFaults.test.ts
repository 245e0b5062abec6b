/**
 * Goal: the components honour an entity's node faults with no code of their own. A
 * least-connections balancer without a timeout in front of a crashed server: after a host crash
 * its forwards to that server hang and count as in flight forever (the case); after a
 * process crash they fail at once with the reset, the balancer relays it, and the server gets its
 * share again once it is back. A slowed node's service times are multiplied (Server, ThreadPool,
 * KVStore draw through `workTime`). A capacity reduction leaves fewer slots busy, and restoring
 * it starts the waiting work at once.
 * Method: small models of the components; exact times and counts (constant service times).
 */
import { describe, expect, it } from "vitest";
import {
  Client,
  ConnectionResetError,
  dist,
  Entity,
  KVStore,
  LoadBalancer,
  retry,
  Server,
  Simulation,
  strategy,
  ThreadPool,
} from "../../src/index.js";

/** Calls `target` at the given times and logs each outcome's time and kind. */
class Caller extends Entity {
  readonly log: string[] = [];
  readonly finished: number[] = [];
  constructor(
    sim: Simulation,
    private readonly target: Entity<number, unknown>,
    times: readonly number[],
  ) {
    super(sim, "caller");
    for (const time of times) this.at(time, this.fire, time);
  }
  private readonly fire = (at: number): void => {
    this.start(this.ask(at));
  };
  private *ask(at: number) {
    try {
      yield* this.call(this.target, "job", at);
      this.finished.push(this.now - at);
      this.log.push(`${this.now}:ok`);
    } catch (error) {
      this.log.push(
        `${this.now}:${(error as Error).name} ${(error as { reason?: string }).reason}`,
      );
    }
  }
}

describe("a least-connections balancer without a timeout, one backend crashed", () => {
  function model(kind: "host" | "process") {
    const sim = new Simulation({ seed: 1 });
    const servers = ["a", "b"].map(
      (name) =>
        new Server<number, number>(sim, name, {
          concurrency: 1,
          serviceTime: dist.constant(0.5),
        }),
    );
    const lb = new LoadBalancer<number, number>(sim, "lb", {
      backends: servers,
      strategy: strategy.leastConnections(),
    });
    const times = Array.from({ length: 40 }, (_, i) => i * 0.25);
    const caller = new Caller(sim, lb, times);
    sim.at(1.1, () => servers[0]!.crash({ kind }));
    sim.at(2, () => servers[0]!.recover());
    sim.run({ until: 30 });
    return { lb, caller, a: servers[0]!, b: servers[1]! };
  }

  it("after a host crash the lost requests count as in flight forever", () => {
    const { lb, caller, a } = model("host");
    const aStats = lb.stats.backends[0]!;
    // 28 s after the crash, what a lost, or dropped while down, still counts against it, and
    // its callers wait.
    expect(a.stats.lostToCrash).toBeGreaterThan(0);
    expect(aStats.inFlight).toBe(a.stats.lostToCrash + a.counters.droppedWhileDown);
    expect(lb.stats.inFlight).toBe(aStats.inFlight);
    expect(caller.log.length).toBe(40 - aStats.inFlight);
    // Least connections holds it against a: it serves less than after a process crash.
    expect(a.stats.completed).toBeLessThan(model("process").a.stats.completed);
  });

  it("after a process crash the balancer relays the resets at once and nothing is left in flight", () => {
    const { lb, caller, a } = model("process");
    expect(lb.stats.inFlight).toBe(0);
    expect(lb.stats.backends[0]!.inFlight).toBe(0);
    expect(caller.log).toHaveLength(40);
    const resets = caller.log.filter((line) => line.includes("connection reset by a"));
    expect(resets.length).toBe(a.stats.lostToCrash);
    expect(resets.every((line) => line.startsWith("1.1:RemoteError"))).toBe(true);
    // Sent to a while it was down (nothing in flight there): refused at once, not lost.
    const refused = caller.log.filter((line) => line.includes("connection refused by a"));
    expect(refused.length).toBeGreaterThan(0);
    // The balancer counts both as its backend's failures, and relays them.
    expect(lb.stats.failed).toBe(resets.length + refused.length);
    expect(a.counters.callsReset).toBe(resets.length + refused.length);
  });

  it("a client that calls the crashed server directly gets the typed error", () => {
    const sim = new Simulation({ seed: 1 });
    const server = new Server<number, number>(sim, "s", { serviceTime: dist.constant(1) });
    const errors: unknown[] = [];
    class Direct extends Entity {
      constructor() {
        super(sim, "direct");
        this.start(this.go);
      }
      private *go() {
        try {
          yield* this.call(server, "job", 1);
        } catch (error) {
          errors.push(error);
        }
      }
    }
    new Direct();
    sim.at(0.5, () => server.crash({ kind: "process" }));
    sim.run();
    expect(errors[0]).toBeInstanceOf(ConnectionResetError);
  });

  it("a Client with retries retries a reset", () => {
    const sim = new Simulation({ seed: 1 });
    const server = new Server<number, number>(sim, "s", { serviceTime: dist.constant(1) });
    const client = new Client<number, number>(sim, "client", {
      target: server,
      timeout: 5,
      retryPolicy: retry.fixed({ maxAttempts: 3, delay: 0.2 }),
    });
    sim.send(client, "job", 7);
    sim.at(0.5, () => server.restart({ kind: "process", downtime: 0.1 }));
    sim.run();
    // The reset came at 0.5, the retry at 0.7 found the server back: served by 1.7.
    expect(client.stats).toMatchObject({ succeeded: 1, failed: 1, retries: 1, meanLatency: 1.7 });
  });
});

describe("slowDown multiplies service times", () => {
  it("Server: 0.5 s becomes 1.5 s while slowed, and 0.5 s again after", () => {
    const sim = new Simulation({ seed: 1 });
    const server = new Server<number, number>(sim, "s", { serviceTime: dist.constant(0.5) });
    const caller = new Caller(sim, server, [0, 2, 5]);
    sim.at(1, () => server.slowDown(3, 3)); // in force over [1, 4)
    sim.run();
    expect(caller.finished).toEqual([0.5, 1.5, 0.5]);
  });

  it("ThreadPool and KVStore too", () => {
    const sim = new Simulation({ seed: 1 });
    const pool = new ThreadPool<number, number>(sim, "pool", {
      workers: 1,
      taskTime: dist.constant(0.2),
    });
    const store = new KVStore<number>(sim, "store", {
      readLatency: dist.constant(0.01),
      writeLatency: dist.constant(0.02),
    });
    pool.slowDown(4);
    store.slowDown(4);
    const took: number[] = [];
    class User extends Entity {
      constructor() {
        super(sim, "user");
        this.start(this.go);
      }
      private *go() {
        let start = this.now;
        yield pool.submit(1);
        took.push(this.now - start);
        start = this.now;
        yield* store.put("k", 1);
        took.push(this.now - start);
      }
    }
    new User();
    sim.run();
    expect(took[0]).toBeCloseTo(0.8, 12);
    expect(took[1]).toBeCloseTo(0.08, 12);
  });
});

describe("reduceCapacity", () => {
  it("runs fewer at once while reduced, and restoring it starts the waiting work at once", () => {
    const sim = new Simulation({ seed: 1 });
    const server = new Server<number, number>(sim, "s", {
      concurrency: 4,
      serviceTime: dist.constant(1),
    });
    const times = Array.from({ length: 8 }, () => 0.5);
    const caller = new Caller(sim, server, times);
    const seen: string[] = [];
    sim.at(0, () => server.reduceCapacity(0.5, 2)); // 2 workers over [0, 2)
    sim.at(0.75, () => seen.push(`limit ${server.stats.limit} active ${server.stats.active}`));
    sim.at(2.25, () => seen.push(`limit ${server.stats.limit} active ${server.stats.active}`));
    sim.run();
    // 0.5: two start; 1.5: two more; 2: capacity back to 4, two waiting start at once; 2.5 and
    // 3: the rest.
    expect(seen).toEqual(["limit 2 active 2", "limit 4 active 4"]);
    expect(caller.log).toEqual([
      "1.5:ok",
      "1.5:ok",
      "2.5:ok",
      "2.5:ok",
      "3:ok",
      "3:ok",
      "3.5:ok",
      "3.5:ok",
    ]);
    expect(server.stats.utilization).toBeGreaterThan(0);
    expect(server.stats.utilization).toBeLessThanOrEqual(1);
  });

  it("utilization divides by the capacity provided, full before the first cut included", () => {
    const sim = new Simulation({ seed: 1 });
    const server = new Server<number, number>(sim, "s", {
      concurrency: 2,
      serviceTime: dist.constant(4),
    });
    new Caller(sim, server, [0]);
    sim.at(1, () => server.reduceCapacity(0.5, 1)); // 1 worker over [1, 2)
    sim.run();
    // One busy over [0, 4) against 2 + 1 + 2 x 2 = 7 worker-seconds provided.
    expect(sim.now).toBe(4);
    expect(server.stats.utilization).toBeCloseTo(4 / 7, 12);
  });

  it("to zero: nothing starts until it is restored; a crash keeps the reduction", () => {
    const sim = new Simulation({ seed: 1 });
    const server = new Server<number, number>(sim, "s", {
      concurrency: 2,
      serviceTime: dist.constant(1),
    });
    const caller = new Caller(sim, server, [1, 6]);
    const cut = server.reduceCapacity(0);
    sim.at(3, () => server.restart({ downtime: 1 }));
    sim.at(5, () => cut.heal());
    sim.run();
    // The request of t=1 was waiting when the server crashed at 3; the one of t=6 runs at once.
    expect(caller.log).toEqual(["7:ok"]);
    expect(server.stats.limit).toBe(2);
  });
});
