/**
 * Goal: the thread pool runs `workers` tasks at once for their own run times (a distribution or
 * a function of the task), queues the rest in FIFO or LIFO order, refuses beyond its capacity
 * (RemoteError both by call and by submit), gives each task's result back as a reply or a
 * resolved future, reports consistent statistics, loses its tasks on a crash, refuses bad
 * options and bad run times, and matches queueing theory (M/M/3 mean wait against Erlang C).
 * Method: run times taken from the task payload, so every start and finish is exact; seeded
 * replications with a 99% Student t interval (9 degrees of freedom) for theory.
 */
import { describe, expect, it } from "vitest";
import { checkDeterminism } from "../../../src/check/determinism.js";
import { Source } from "../../../src/components/load/source.js";
import { Server } from "../../../src/components/server/server.js";
import { ThreadPool, type ThreadPoolOptions } from "../../../src/components/server/threadPool.js";
import { Entity } from "../../../src/core/entity.js";
import { wait } from "../../../src/core/future.js";
import type { Message } from "../../../src/core/message.js";
import { Simulation } from "../../../src/core/simulation.js";
import { ConfigError, RemoteError, TimeoutError } from "../../../src/errors/errors.js";
import { poisson } from "../../../src/load/arrivals.js";
import { constant, exponential } from "../../../src/random/distributions/closedForm.js";
import { componentLaws, SUBJECT } from "../../support/laws.js";
import { confidenceInterval99, erlangC } from "../../support/statistics.js";
import { EchoTarget } from "../../support/targets.js";

function setup() {
  const sim = new Simulation({ seed: 1 });
  const model = new Entity(sim, "model");
  const log: string[] = [];
  return { sim, model, log };
}

/** A pool whose tasks are their own run time in seconds. */
function secondsPool(
  sim: Simulation,
  options: Partial<ConstructorParameters<typeof ThreadPool<number, number>>[2]> = {},
) {
  return new ThreadPool<number, number>(sim, "pool", {
    workers: 2,
    taskTime: (seconds) => seconds,
    ...options,
  });
}

/** Submits each task from model code at the current time; logs "task@time" or "refused task@time: reason". */
function submitAll(
  model: Entity,
  pool: ThreadPool<number, number>,
  tasks: readonly number[],
  log: string[],
) {
  for (const task of tasks) {
    model.start(function* () {
      try {
        const result = yield* wait(pool.submit(task));
        log.push(`${result}@${model.now}`);
      } catch (error) {
        if (!(error instanceof RemoteError)) throw error;
        log.push(`refused ${task}@${model.now}: ${error.reason}`);
      }
    });
  }
}

componentLaws<ThreadPool<number, number>>({
  type: ThreadPool,
  options: (sim) => ({
    workers: 2,
    taskTime: () => 0.1,
    queuePolicy: "lifo" as const,
    queueCapacity: 5,
    result: undefined,
    next: new EchoTarget<number>(sim, "next"),
    dropExpired: false,
  }),
  construct: (sim, name, options) =>
    new ThreadPool<number, number>(
      sim,
      name,
      options as unknown as ThreadPoolOptions<number, number>,
    ),
  invalid: [
    { workers: 0 },
    { workers: undefined },
    { taskTime: 0.1 },
    { queuePolicy: "random" },
    { queueCapacity: 2.5 },
    { result: "done" },
    { result: () => 1 },
    { next: "downstream" },
    { dropExpired: 1 },
  ],
  scenario(sim) {
    // A pipeline stage: each task goes on to a small server that refuses when full.
    const last = new Server<number, number>(sim, "last", {
      concurrency: 2,
      serviceTime: exponential(0.08),
      queueCapacity: 2,
    });
    const pool = new ThreadPool<number, number>(sim, SUBJECT, {
      workers: 2,
      taskTime: exponential(0.1),
      queueCapacity: 10,
      next: last,
    });
    new Source(sim, "load", { target: pool, arrivals: poisson(25), stopAfter: { time: 4 } });
    // Model code submitting directly, beside the calls.
    const model = new Entity(sim, "model");
    for (let i = 0; i < 40; i++) {
      sim.at(i * 0.1, () => {
        model.start(function* () {
          try {
            yield* wait(pool.submit(i));
          } catch (error) {
            if (!(error instanceof RemoteError)) throw error;
          }
        });
      });
    }
    return pool;
  },
  crashAt: 2,
  recoverAt: 2.5,
});

describe("ThreadPool", () => {
  describe("with next (a pipeline stage)", () => {
    /** A pool of 1 worker (tasks run their own seconds) handing on to a server of 1 worker. */
    function pipeline(queueCapacity?: number, lastServiceTime = 1) {
      const { sim, model, log } = setup();
      const last = new Server<number, number>(sim, "last", {
        serviceTime: constant(lastServiceTime),
        respond: (request) => request.payload * 10,
        ...(queueCapacity === undefined ? {} : { queueCapacity }),
      });
      const pool = secondsPool(sim, { workers: 1, next: last });
      return { sim, model, log, pool, last };
    }

    it("frees its worker when a task goes on; the submitter gets the next stage's answer", () => {
      const { sim, model, log, pool } = pipeline();
      submitAll(model, pool, [2, 2], log);
      sim.run({ until: 2 });
      // The first task went on at 2 and the worker took the second at once.
      expect(pool.stats).toMatchObject({ completed: 1, active: 1, queued: 0 });
      sim.run();
      expect(log).toEqual(["20@3", "20@5"]);
    });

    it("answers a call with the next stage's answer, and fails it with the stage's refusal", () => {
      const { sim, log, pool } = pipeline(0, 3);
      const client = new Entity(sim, "client");
      for (const task of [1, 1]) {
        client.start(function* () {
          try {
            log.push(`${yield* client.call(pool, "job", task)}@${client.now}`);
          } catch (error) {
            if (!(error instanceof RemoteError)) throw error;
            log.push(`failed@${client.now}: ${error.reason}`);
          }
        });
      }
      sim.run();
      // The second reaches `last` at 2 while the first is in service there: refused at once.
      expect(log).toEqual(["failed@2: queue full (0 waiting)", "10@4"]);
    });

    it("keeps the books of its hand-ons: forwarded = succeeded + failed + lostInFlight + inFlight", () => {
      const { sim, log, pool, last } = pipeline(0, 3);
      const client = new Entity(sim, "client");
      for (const task of [1, 1]) {
        client.start(function* () {
          try {
            log.push(`${yield* client.call(pool, "job", task)}@${client.now}`);
          } catch (error) {
            if (!(error instanceof RemoteError)) throw error;
            log.push(`failed@${client.now}`);
          }
        });
      }
      const seen: object[] = [];
      const snapshot = () => {
        const { forwarded, succeeded, failed, lostInFlight, inFlight } = pool.stats;
        seen.push({ at: sim.now, forwarded, succeeded, failed, lostInFlight, inFlight });
      };
      sim.at(1.5, snapshot);
      sim.at(2.5, snapshot);
      sim.run();
      snapshot();
      expect(seen).toEqual([
        { at: 1.5, forwarded: 1, succeeded: 0, failed: 0, lostInFlight: 0, inFlight: 1 },
        { at: 2.5, forwarded: 2, succeeded: 0, failed: 1, lostInFlight: 0, inFlight: 1 },
        { at: 4, forwarded: 2, succeeded: 1, failed: 1, lostInFlight: 0, inFlight: 0 },
      ]);
      expect(log).toEqual(["failed@2", "10@4"]);
      // The last stage hands nothing on: it keeps the summary of a server without next.
      expect(last.stats).not.toHaveProperty("forwarded");
    });

    it("a crash loses the tasks in flight to the next stage (lostInFlight), apart from lostToCrash", () => {
      const { sim, model, log, pool } = pipeline();
      submitAll(model, pool, [1], log);
      sim.at(1.5, () => pool.crash());
      sim.at(1.6, () => pool.recover());
      sim.run();
      expect(pool.stats).toMatchObject({
        completed: 1,
        lostToCrash: 0,
        forwarded: 1,
        succeeded: 0,
        failed: 0,
        lostInFlight: 1,
        inFlight: 0,
      });
    });

    it("a task submitted while handling a request keeps that request's deadline when handed on", () => {
      const { sim, log } = setup();
      const deadlines: number[] = [];
      class Last extends Entity<number, number> {
        override handle(request: Message<number>): void {
          deadlines.push(request.deadline);
          this.reply(request, request.payload);
        }
      }
      const pool = secondsPool(sim, { workers: 1, next: new Last(sim, "last") });
      // A front end that submits the work of each request it handles (no call, so no deadline
      // of its own): the task runs in a timer, where nothing is being handled any more.
      class Front extends Entity<number, number> {
        override *handle(request: Message<number>) {
          const answer = yield* wait(pool.submit(request.payload));
          this.reply(request, answer);
        }
      }
      const front = new Front(sim, "front");
      const client = new Entity(sim, "client");
      client.start(function* () {
        log.push(`${yield* client.call(front, "job", 1, { timeout: 5 })}@${client.now}`);
      });
      sim.run();
      expect(log).toEqual(["1@1"]);
      expect(deadlines).toEqual([5]);
    });

    it("a crash while tasks are handed on tells their submitters", () => {
      const { sim, model, log, pool } = pipeline();
      submitAll(model, pool, [1], log);
      sim.at(1.5, () => pool.crash());
      sim.run();
      expect(log).toEqual(["refused 1@1.5: thread pool crashed"]);
    });
  });

  it("runs `workers` tasks at once, each for its own time, the rest in FIFO order", () => {
    const { sim, model, log } = setup();
    const pool = secondsPool(sim);
    submitAll(model, pool, [3, 1, 1, 2], log);
    const seen: number[] = [];
    sim.at(0.5, () => {
      const s = pool.stats;
      seen.push(s.active, s.idle, s.queued);
    });
    sim.run();
    // Workers: 3 (0-3); 1 (0-1), then 1 (1-2), then 2 (2-4).
    expect(log).toEqual(["1@1", "1@2", "3@3", "2@4"]);
    expect(seen).toEqual([2, 0, 2]);
    const stats = pool.stats;
    expect(stats).toMatchObject({
      completed: 4,
      rejected: 0,
      active: 0,
      idle: 2,
    });
    // Busy: 3 + 1 + 1 + 2 = 7 worker-seconds of 2 x 4.
    expect(stats.utilization).toBeCloseTo(7 / 8, 12);
    // Waits: 0, 0, 1, 2.
    expect(stats.meanWait).toBeCloseTo(0.75, 12);
    // Queued: 2 for 1 s, 1 for 1 s, over 4 s.
    expect(stats.meanQueued).toBeCloseTo(3 / 4, 12);
  });

  it("runs the newest waiting task first with LIFO", () => {
    const { sim, model, log } = setup();
    const pool = secondsPool(sim, { workers: 1, queuePolicy: "lifo" });
    submitAll(model, pool, [1, 1.5, 2, 3], log);
    sim.run();
    expect(log).toEqual(["1@1", "3@4", "2@6", "1.5@7.5"]);
  });

  it("answers calls with result(task), and refuses beyond the queue capacity at once", () => {
    const { sim, model, log } = setup();
    const pool = secondsPool(sim, { workers: 1, queueCapacity: 1, result: (s) => s * 10 });
    for (const task of [1, 2, 3]) {
      model.start(function* () {
        try {
          log.push(`${yield* model.call(pool, "run", task)}@${model.now}`);
        } catch (error) {
          if (!(error instanceof RemoteError)) throw error;
          log.push(`refused ${task}@${model.now}: ${error.reason}`);
        }
      });
    }
    submitAll(model, pool, [4], log);
    sim.run();
    // submit acts at once, while the calls are messages delivered a step later: task 4 takes
    // the worker, call 1 the one queue place, and calls 2 and 3 are refused.
    expect(log).toEqual([
      "refused 2@0: queue full (1 waiting)",
      "refused 3@0: queue full (1 waiting)",
      "40@4",
      "10@5",
    ]);
    expect(pool.stats).toMatchObject({ completed: 2, rejected: 2 });
  });

  it("draws run times from a distribution when given one", () => {
    const { sim, model, log } = setup();
    const pool = new ThreadPool<number, number>(sim, "pool", {
      workers: 4,
      taskTime: exponential(0.2),
    });
    submitAll(model, pool, [0, 1, 2, 3, 4, 5, 6, 7], log);
    sim.run();
    expect(pool.stats.completed).toBe(8);
    expect(new Set(log.map((l) => l.split("@")[1])).size).toBe(8);
  });

  it("a crash loses waiting and running tasks: calls time out, submits reject", () => {
    const { sim, model, log } = setup();
    const pool = secondsPool(sim, { workers: 1 });
    model.start(function* () {
      try {
        yield* model.call(pool, "run", 1, { timeout: 5 });
      } catch (error) {
        if (!(error instanceof TimeoutError)) throw error;
        log.push(`call timed out@${model.now}`);
      }
    });
    submitAll(model, pool, [2], log);
    sim.at(0.5, () => pool.crash());
    sim.at(0.6, () => submitAll(model, pool, [3], log));
    sim.at(1, () => pool.recover());
    sim.at(2, () => submitAll(model, pool, [1], log));
    sim.run();
    expect(log).toEqual([
      "refused 2@0.5: thread pool crashed",
      "refused 3@0.6: thread pool is down",
      "1@3",
      "call timed out@5",
    ]);
    expect(pool.stats).toMatchObject({
      lostToCrash: 2,
      rejected: 1,
      completed: 1,
      active: 0,
      queued: 0,
    });
  });

  it("a taskTime function returning a bad time fails the run with a SimulationError", () => {
    const { sim, model, log } = setup();
    const pool = secondsPool(sim);
    submitAll(model, pool, [-1], log);
    expect(() => sim.run()).toThrow(
      /entity "pool" at t=0s: taskTime\(task\) returned -1; expected a finite number of seconds >= 0/,
    );
  });

  it("refuses bad options, naming the pool and the option", () => {
    const { sim } = setup();
    expect(() => new ThreadPool(sim, "a", { workers: 0 })).toThrow(
      /ThreadPool "a": option "workers" must be an integer >= 1; given 0/,
    );
    expect(() => new ThreadPool(sim, "b", {} as never)).toThrow(/"workers"/);
    expect(() => new ThreadPool(sim, "c", { workers: 1, taskTime: 0.1 as never })).toThrow(
      /option "taskTime" must be a Distribution of seconds or a function/,
    );
    expect(() => new ThreadPool(sim, "d", { workers: 1, queuePolicy: "random" as never })).toThrow(
      /"queuePolicy"/,
    );
    expect(() => new ThreadPool(sim, "e", { workers: 1, queueCapacity: 1.5 })).toThrow(ConfigError);
    expect(() => new ThreadPool(sim, "f", { workers: 1, result: 1 as never })).toThrow(/"result"/);
  });

  it("reports its stats as metrics for the run summary", () => {
    const { sim, model, log } = setup();
    const pool = secondsPool(sim);
    submitAll(model, pool, [1, 1, 1], log);
    const summary = sim.run();
    const entry = summary.entities.find((e) => e.name === "pool")!;
    expect(entry.type).toBe("ThreadPool");
    expect(entry.metrics).toEqual({
      ...pool.stats,
      p50Wait: pool.waitTime.p50,
      p90Wait: pool.waitTime.p90,
      p99Wait: pool.waitTime.p99,
      p999Wait: pool.waitTime.p999,
      p50Sojourn: pool.sojournTime.p50,
      p90Sojourn: pool.sojournTime.p90,
      p99Sojourn: pool.sojournTime.p99,
      p999Sojourn: pool.sojournTime.p999,
    });
    expect(entry.metrics).toMatchObject({ completed: 3 });
  });

  it("is deterministic under a seed", () => {
    const build = (seed: number) => {
      const sim = new Simulation({ seed });
      const pool = new ThreadPool(sim, "pool", {
        workers: 3,
        taskTime: exponential(0.1),
        queueCapacity: 10,
      });
      new Source(sim, "load", { target: pool, arrivals: poisson(28), stopAfter: { time: 50 } });
      return sim;
    };
    expect(checkDeterminism(build, 8).deterministic).toBe(true);
  });

  it("M/M/3 mean wait matches Erlang C: Wq = C(c, a) / (c mu - lambda)", () => {
    // lambda = 24/s, mu = 10/s, c = 3: a = 2.4, C(3, 2.4) = 0.6472, Wq = 0.6472 / 6 = 0.1079 s.
    const offered = 2.4;
    const theoryWait = erlangC(3, offered) / (30 - 24);
    const runs = Array.from({ length: 10 }, (_, r) => {
      const sim = new Simulation({ seed: 500 + r });
      const pool = new ThreadPool(sim, "pool", { workers: 3, taskTime: exponential(0.1) });
      new Source(sim, "load", { target: pool, arrivals: poisson(24) });
      sim.run({ until: 2000 });
      return pool.stats;
    });
    const waitInterval = confidenceInterval99(runs.map((s) => s.meanWait));
    expect(waitInterval.low).toBeLessThan(theoryWait);
    expect(waitInterval.high).toBeGreaterThan(theoryWait);
    const utilization = confidenceInterval99(runs.map((s) => s.utilization));
    expect(utilization.low).toBeLessThan(0.8);
    expect(utilization.high).toBeGreaterThan(0.8);
  });
});
