/**
 * Goal: with `dropExpired`, a Server, a ThreadPool and a Resource never start work whose
 * deadline has come (the caller's timeout, carried by the request and inherited along the
 * chain): refused on arrival if already past, dropped when its turn comes otherwise, counted
 * in `expired` (the station identity becomes requests = completed + rejected + expired +
 * lostToCrash + active + queued, through crashes and resets: the law suites below run with
 * the option on). A deadline exactly equal to now counts as expired (no time is left to serve
 * it), as `deadlineQueue` has it. The caller is answered "deadline expired" (usually late). The
 * option is off by default, then nothing changes and `expired` stays out of `metrics()`;
 * a non-boolean value is a ConfigError. `deadlineQueue()` orders by the carried deadline.
 * Method: constant service times and exact deadlines, so every start and drop instant is
 * known; the law suites overload a station behind a timed client so expiries happen.
 */
import { describe, expect, it } from "vitest";
import {
  Client,
  ConfigError,
  deadlineQueue,
  dist,
  Entity,
  type Message,
  RemoteError,
  Resource,
  Server,
  Simulation,
  Source,
  ThreadPool,
  TimeoutError,
  wait,
} from "../../../src/index.js";
import { poisson } from "../../../src/load/arrivals.js";
import { componentLaws, SUBJECT } from "../../support/laws.js";

componentLaws<Server<number, number>>({
  type: Server,
  title: "Server laws, dropExpired on",
  options: (sim) => ({
    concurrency: 2,
    serviceTime: dist.exponential(0.1),
    queuePolicy: "fifo" as const,
    queueCapacity: 10,
    respond: undefined,
    next: new Entity(sim, "next"),
    dropExpired: true,
  }),
  construct: (sim, name, options) => new Server<number, number>(sim, name, options),
  invalid: [{ dropExpired: "true" }, { dropExpired: 1 }],
  scenario(sim) {
    const server = new Server<number, number>(sim, SUBJECT, {
      concurrency: 2,
      serviceTime: dist.exponential(0.1),
      queueCapacity: 20,
      dropExpired: true,
    });
    // 30/s against 20/s of capacity: waits pass the client's 0.3 s timeout.
    const client = new Client<number, number>(sim, "client", { target: server, timeout: 0.3 });
    new Source(sim, "load", { target: client, arrivals: poisson(30), stopAfter: { time: 4 } });
    return server;
  },
  crashAt: 2,
  recoverAt: 2.5,
});

/** Handles each request by submitting its payload to a pool (so submits carry deadlines). */
class Submitter extends Entity<number, number> {
  constructor(
    sim: Simulation,
    name: string,
    private readonly pool: ThreadPool<number, number>,
  ) {
    super(sim, name);
  }
  override *handle(request: Message<number>) {
    try {
      this.reply(request, yield* wait(this.pool.submit(request.payload)));
    } catch (error) {
      if (!(error instanceof RemoteError)) throw error;
      this.fail(request, error.reason);
    }
  }
}

componentLaws<ThreadPool<number, number>>({
  type: ThreadPool,
  title: "ThreadPool laws, dropExpired on",
  options: (sim) => ({
    workers: 2,
    taskTime: () => 0.1,
    queuePolicy: "fifo" as const,
    queueCapacity: 10,
    result: undefined,
    next: new Entity(sim, "next"),
    dropExpired: true,
  }),
  construct: (sim, name, options) => new ThreadPool<number, number>(sim, name, options as never),
  invalid: [{ dropExpired: "no" }],
  scenario(sim) {
    const pool = new ThreadPool<number, number>(sim, SUBJECT, {
      workers: 2,
      taskTime: dist.exponential(0.1),
      dropExpired: true,
    });
    // Calls and submits, both from behind a timed client: 30/s against 20/s of capacity.
    const direct = new Client<number, number>(sim, "direct", { target: pool, timeout: 0.3 });
    new Source(sim, "calls", { target: direct, arrivals: poisson(15), stopAfter: { time: 4 } });
    const submitter = new Submitter(sim, "submitter", pool);
    const viaSubmit = new Client<number, number>(sim, "via", { target: submitter, timeout: 0.3 });
    new Source(sim, "submits", {
      target: viaSubmit,
      arrivals: poisson(15),
      stopAfter: { time: 4 },
    });
    return pool;
  },
  crashAt: 2,
  recoverAt: 2.5,
});

/** Calls `target` at t = 0 with each timeout in turn; returns how each call ended. */
function callWithTimeouts(
  sim: Simulation,
  target: Entity<number, number>,
  timeouts: readonly number[],
): string[] {
  const outcomes: string[] = [];
  const caller = new Entity(sim, "caller");
  timeouts.forEach((timeout, i) => {
    caller.start(function* () {
      try {
        yield* caller.call(target, "job", i, { timeout });
        outcomes[i] = `ok@${caller.now}`;
      } catch (error) {
        if (error instanceof TimeoutError) outcomes[i] = `timeout@${caller.now}`;
        else if (error instanceof RemoteError) outcomes[i] = `${error.reason}@${caller.now}`;
        else throw error;
      }
    });
  });
  return outcomes;
}

describe("Server dropExpired", () => {
  function build(dropExpired?: boolean) {
    const sim = new Simulation({ seed: 1 });
    const served: number[] = [];
    const server = new Server<number, number>(sim, "s", {
      serviceTime: dist.constant(1),
      respond: (request) => {
        served.push(request.payload);
        return request.payload;
      },
      ...(dropExpired === undefined ? {} : { dropExpired }),
    });
    return { sim, server, served };
  }

  it("never serves expired work; a deadline equal to the start instant counts as expired", () => {
    const { sim, server, served } = build(true);
    // #0 served 0-1; #1's deadline is 1.0, exactly when a worker frees: expired;
    // #2's is 1.5, so it starts at 1.0 (and answers late, at 2.0).
    const outcomes = callWithTimeouts(sim, server, [5, 1, 1.5]);
    sim.run();
    expect(served).toEqual([0, 2]);
    expect(outcomes).toEqual(["ok@1", "timeout@1", "timeout@1.5"]);
    expect(server.stats).toMatchObject({ requests: 3, completed: 2, expired: 1, rejected: 0 });
    expect(server.metrics()).toMatchObject({ expired: 1 });
    // The "deadline expired" failure and #2's answer both found their call gone.
    expect(sim.entity("caller")!.counters.lateReplies).toBe(2);
  });

  it("is off by default: everything is served and expired stays out of stats and metrics()", () => {
    for (const option of [undefined, false]) {
      const { sim, server, served } = build(option);
      callWithTimeouts(sim, server, [5, 1, 1.5]);
      sim.run();
      expect(served).toEqual([0, 1, 2]);
      expect(server.dropExpired).toBe(false);
      expect("expired" in server.stats).toBe(false);
      expect("expired" in server.metrics()).toBe(false);
    }
  });

  it("refuses work that arrives already expired, and a proxy without a timeout hears why", () => {
    const { sim, server, served } = build(true);
    let proxyHeard = "";
    class SlowProxy extends Entity<number, number> {
      override *handle(request: Message<number>) {
        yield 0.6; // past the caller's 0.5 s before forwarding
        try {
          this.reply(request, yield* this.call(server, "job", request.payload));
        } catch (error) {
          if (!(error instanceof RemoteError)) throw error;
          proxyHeard = `${error.reason}@${this.now}`;
          this.fail(request, error.reason);
        }
      }
    }
    const proxy = new SlowProxy(sim, "proxy");
    const outcomes = callWithTimeouts(sim, proxy, [0.5]);
    sim.run();
    expect(served).toEqual([]);
    expect(proxyHeard).toBe("deadline expired@0.6");
    expect(outcomes).toEqual(["timeout@0.5"]);
    expect(server.stats).toMatchObject({ requests: 1, expired: 1, queued: 0, active: 0 });
  });

  it("keeps requests = completed + rejected + expired + lostToCrash + active + queued through a crash and a reset", () => {
    const { sim, server } = build(true);
    callWithTimeouts(sim, server, [5, 1, 1.5, 10, 10]);
    const identity = () => {
      const s = server.stats;
      return [
        s.requests,
        s.completed + s.rejected + s.expired! + s.lostToCrash + s.active + s.queued,
      ];
    };
    const checks: number[][] = [];
    sim.at(1.2, () => {
      checks.push(identity());
      sim.resetStats();
      checks.push(identity());
    });
    sim.at(1.5, () => {
      server.crash();
      checks.push(identity());
      server.recover();
    });
    sim.run();
    checks.push(identity());
    for (const [left, right] of checks) expect(left).toBe(right);
    // Before the reset: #1 expired at 1.0; after it, the crash took #2 (in service) and #3, #4.
    expect(server.stats).toMatchObject({ expired: 0, lostToCrash: 3, requests: 3 });
  });

  it("with deadlineQueue() the queue is ordered by the deadlines requests carry", () => {
    const sim = new Simulation({ seed: 1 });
    const served: number[] = [];
    const server = new Server<number, number>(sim, "s", {
      serviceTime: dist.constant(1),
      queuePolicy: deadlineQueue(),
      respond: (request) => {
        served.push(request.payload);
        return request.payload;
      },
    });
    callWithTimeouts(sim, server, [10, 9, 3, 2.5]);
    sim.run();
    // #0 starts at once; then earliest deadline first: #3 (2.5) runs 1-2, #2 (3) 2-3, #1 (9) 3-4.
    expect(served).toEqual([0, 3, 2, 1]);
  });
});

describe("deadlineQueue refuses late work at the door", () => {
  it("an idle server never starts a request whose deadline has come on arrival", () => {
    const sim = new Simulation({ seed: 1 });
    const served: number[] = [];
    const server = new Server<number, number>(sim, "s", {
      serviceTime: dist.constant(1),
      queuePolicy: deadlineQueue(),
      respond: (request) => {
        served.push(request.payload);
        return request.payload;
      },
    });
    const caller = new Entity(sim, "caller");
    const outcomes: string[] = [];
    // The request travels 0.5 s and its caller gives up after 0.2 s: late when it arrives, at
    // a server with nothing to do. The second is on time.
    for (const [i, timeout] of [0.2, 2].entries()) {
      caller.start(function* () {
        try {
          yield* caller.call(server, "job", i, { timeout, delay: 0.5 });
          outcomes[i] = `ok@${caller.now}`;
        } catch (error) {
          outcomes[i] = `${(error as Error).constructor.name}@${caller.now}`;
        }
      });
    }
    sim.run();
    expect(served).toEqual([1]);
    expect(outcomes).toEqual(["TimeoutError@0.2", "ok@1.5"]);
    expect(server.drops).toEqual({ deadline: 1 });
    expect(server.stats).toMatchObject({ requests: 2, completed: 1, rejected: 1 });
  });

  it("an idle resource does not grant a waiter whose deadline has come", () => {
    const sim = new Simulation({ seed: 1 });
    const owner = new Entity(sim, "db");
    const resource = new Resource(owner, {
      name: "conn",
      capacity: 1,
      queuePolicy: deadlineQueue(),
    });
    const outcomes: string[] = [];
    const worker = new Entity<number, number>(sim, "worker");
    worker.handle = function* (request: Message<number>) {
      try {
        const grant = yield* resource.acquire();
        outcomes.push(`granted ${request.payload}@${worker.now}`);
        resource.release(grant);
      } catch (error) {
        outcomes.push(`${(error as RemoteError).reason}@${worker.now}`);
      }
    };
    const caller = new Entity(sim, "caller");
    for (const [i, timeout] of [0.2, 2].entries()) {
      caller.start(function* () {
        try {
          yield* caller.call(worker, "job", i, { timeout, delay: 0.5 });
        } catch {}
      });
    }
    sim.run();
    expect(outcomes).toEqual(["deadline@0.5", "granted 1@0.5"]);
    expect(resource.stats).toMatchObject({ requests: 2, granted: 1, rejected: 1 });
  });
});

describe("ThreadPool dropExpired", () => {
  it("drops expired calls and submits, failing the caller and rejecting the submitter", () => {
    const sim = new Simulation({ seed: 1 });
    const ran: number[] = [];
    const pool = new ThreadPool<number, number>(sim, "pool", {
      workers: 1,
      taskTime: () => 1,
      result: (task) => {
        ran.push(task);
        return task;
      },
      dropExpired: true,
    });
    const submitter = new Submitter(sim, "submitter", pool);
    const outcomes = callWithTimeouts(sim, pool, [5, 1]);
    const viaSubmit: string[] = [];
    const caller = new Entity(sim, "outer");
    caller.start(function* () {
      try {
        yield* caller.call(submitter, "job", 7, { timeout: 1.5 });
      } catch (error) {
        viaSubmit.push((error as Error).constructor.name);
      }
    });
    // A submit from model code outside any request has no deadline: it always runs.
    sim.at(0.1, () => pool.submit(9).defuse());
    sim.run();
    // #0 runs 0-1; #1 (deadline 1.0) expired at 1.0; the submit for #7 (deadline 1.5) runs
    // 1-2; 9 runs 2-3.
    expect(ran).toEqual([0, 7, 9]);
    expect(outcomes).toEqual(["ok@1", "timeout@1"]);
    expect(pool.stats).toMatchObject({ requests: 4, completed: 3, expired: 1 });
    expect(viaSubmit).toEqual(["TimeoutError"]);
  });

  it("rejects a submitted task whose request's deadline has passed with 'deadline expired'", () => {
    const sim = new Simulation({ seed: 1 });
    const pool = new ThreadPool<number, number>(sim, "pool", {
      workers: 1,
      taskTime: () => 1,
      dropExpired: true,
    });
    let heard = "";
    class Late extends Entity<number, number> {
      override *handle(request: Message<number>) {
        yield 0.5;
        try {
          yield* wait(pool.submit(request.payload));
        } catch (error) {
          heard = `${(error as RemoteError).reason}@${this.now}`;
        }
        this.reply(request, 0);
      }
    }
    const late = new Late(sim, "late");
    callWithTimeouts(sim, late, [0.5]);
    sim.run();
    expect(heard).toBe("deadline expired@0.5");
    expect(pool.stats).toMatchObject({ requests: 1, expired: 1, completed: 0 });
  });
});

describe("Resource dropExpired", () => {
  it("refuses an expired waiter on arrival and drops one whose deadline passes while it waits", () => {
    const sim = new Simulation({ seed: 1 });
    const owner = new Entity(sim, "owner");
    const desk = new Resource(owner, { name: "desk", dropExpired: true });
    const log: string[] = [];
    class Worker extends Entity<number, number> {
      override *handle(request: Message<number>) {
        if (request.payload === 2) yield 1; // arrives at the desk with its deadline passed
        try {
          const grant = yield* desk.acquire();
          log.push(`${request.payload} got it@${this.now}`);
          yield 1;
          desk.release(grant);
        } catch (error) {
          if (!(error instanceof RemoteError)) throw error;
          log.push(`${request.payload} ${error.reason}@${this.now}`);
        }
        this.reply(request, request.payload);
      }
    }
    const worker = new Worker(sim, "worker");
    callWithTimeouts(sim, worker, [5, 0.5, 0.5]);
    sim.run();
    expect(log).toEqual([
      "0 got it@0",
      '2 resource "desk": deadline expired@1',
      '1 resource "desk": deadline expired@1',
    ]);
    expect(desk.stats).toMatchObject({ requests: 3, granted: 1, expired: 2 });
    expect(() => new Resource(owner, { dropExpired: "yes" as never })).toThrow(ConfigError);
  });
});
