/**
 * Goal: the pool opens its minimum at start, reuses idle connections for free, opens new ones
 * (paying the connect latency) up to its maximum, serves waiters FIFO, fails a waiter after
 * acquireTimeout, closes idle connections above the minimum after idleTimeout, loses
 * everything in a crash, and refuses bad options and misuse. Either timeout may be a profile:
 * acquireTimeout is read when a caller starts waiting, idleTimeout when a connection goes idle.
 * Method: callers that acquire at chosen times and hold for chosen durations, with a constant
 * connect latency, so every acquisition time is exact; stats read at chosen instants.
 */
import { describe, expect, it } from "vitest";
import { assertDeterministic } from "../../../src/check/determinism.js";
import {
  AcquireTimeoutError,
  type Connection,
  ConnectionPool,
  type ConnectionPoolOptions,
} from "../../../src/components/client/connectionPool.js";
import { Entity } from "../../../src/core/entity.js";
import { Simulation } from "../../../src/core/simulation.js";
import {
  ConfigError,
  RemoteError,
  SimulationError,
  TimeoutError,
} from "../../../src/errors/errors.js";
import { constant, exponential } from "../../../src/random/distributions/closedForm.js";
import { ramp, step } from "../../../src/random/profile.js";
import { componentLaws, SUBJECT } from "../../support/laws.js";

const CONNECT_S = 0.03;

function setup(options: Partial<ConnectionPoolOptions<unknown, unknown>> = {}) {
  const sim = new Simulation({ seed: 1 });
  const target = new Entity(sim, "db");
  const pool = new ConnectionPool(sim, "pool", {
    target,
    connectLatency: constant(CONNECT_S),
    ...options,
  });
  const log: string[] = [];
  /** A caller named `name` acquires at `at`, holds for `hold` seconds, then releases. */
  const caller = (name: string, at: number, hold: number) => {
    const entity = new Entity(sim, name);
    sim.at(at, () =>
      entity.start(function* () {
        try {
          const connection = yield* pool.acquire();
          log.push(`${name} got #${connection.id} at ${round(entity.now)}`);
          yield hold;
          pool.release(connection);
        } catch (error) {
          log.push(`${name} ${(error as Error).name} at ${round(entity.now)}`);
        }
      }),
    );
    return entity;
  };
  return { sim, pool, log, caller };
}

const round = (seconds: number) => Math.round(seconds * 1e6) / 1e6;

componentLaws<ConnectionPool>({
  type: ConnectionPool,
  options: (sim) => ({
    target: new Entity(sim, "db"),
    minConnections: 1,
    maxConnections: 4,
    connectLatency: constant(0.03),
    acquireTimeout: 1,
    idleTimeout: 30,
  }),
  construct: (sim, name, options) =>
    new ConnectionPool(sim, name, options as unknown as ConnectionPoolOptions<unknown, unknown>),
  invalid: [
    { target: undefined },
    { minConnections: -1 },
    { maxConnections: 0 },
    { minConnections: 5 },
    { connectLatency: 0.03 },
    { acquireTimeout: 0 },
    { idleTimeout: -1 },
  ],
  scenario(sim) {
    const pool = new ConnectionPool(sim, SUBJECT, {
      target: new Entity(sim, "db"),
      minConnections: 1,
      maxConnections: 3,
      connectLatency: exponential(0.02),
      acquireTimeout: 0.15,
      idleTimeout: 0.5,
    });
    // Callers every 20 ms for 4 s, each holding its connection ~50 ms (some wait, some give up).
    const user = new Entity(sim, "users");
    const holds = user.random("holds");
    for (let i = 0; i < 200; i++) {
      sim.at(i * 0.02, () =>
        user.start(function* () {
          try {
            const connection = yield* pool.acquire();
            yield holds.exponential(0.05);
            if (i % 4 === 3) pool.discard(connection);
            else pool.release(connection);
          } catch (error) {
            if (!(error instanceof TimeoutError || error instanceof RemoteError)) throw error;
          }
        }),
      );
    }
    return pool;
  },
  crashAt: 2,
  recoverAt: 2.5,
  identities: (pool) => {
    const s = pool.stats;
    return [
      [
        "connectionsCreated = connectionsClosed + open",
        s.connectionsCreated,
        s.connectionsClosed + s.open,
      ],
      ["open = active + idle", s.open, s.active + s.idle],
    ];
  },
});

describe("ConnectionPool", () => {
  it("opens minConnections at start, and hands them out without a handshake", () => {
    const { sim, pool, log, caller } = setup({ minConnections: 2 });
    expect(pool.stats).toMatchObject({ opening: 2, open: 0 });
    caller("a", 1, 0.5);
    caller("b", 1, 0.5);
    sim.run({ until: 0.03 });
    expect(pool.stats).toMatchObject({ connectionsCreated: 2, open: 2, idle: 2, opening: 0 });
    sim.run({ until: 1.1 });
    expect(log).toEqual(["a got #2 at 1", "b got #1 at 1"]);
    expect(pool.stats).toMatchObject({ active: 2, idle: 0, connectionsCreated: 2 });
    expect(pool.stats.maxAcquireWait).toBe(0);
  });

  it("a cold pool makes the first caller wait the connect latency; reuse is free", () => {
    const { sim, pool, log, caller } = setup();
    caller("a", 0, 1);
    caller("b", 2, 1);
    sim.run();
    expect(log).toEqual(["a got #1 at 0.03", "b got #1 at 2"]);
    expect(pool.stats).toMatchObject({ connectionsCreated: 1, acquisitions: 2, idle: 1 });
    expect(pool.stats.maxAcquireWait).toBeCloseTo(CONNECT_S, 12);
    expect(pool.stats.p50AcquireWait).toBe(0);
  });

  it("grows up to maxConnections, then callers wait for a release", () => {
    const { sim, pool, log, caller } = setup({ maxConnections: 2 });
    caller("a", 0, 1);
    caller("b", 0, 1);
    caller("c", 0, 1);
    sim.run({ until: 0.5 });
    expect(pool.stats).toMatchObject({ open: 2, active: 2, queued: 1, opening: 0 });
    sim.run();
    expect(log).toEqual(["a got #1 at 0.03", "b got #2 at 0.03", "c got #1 at 1.03"]);
    expect(pool.stats.connectionsCreated).toBe(2);
  });

  it("serves waiters first come, first served", () => {
    const { sim, log, caller } = setup({ maxConnections: 1 });
    caller("a", 0, 1);
    caller("d", 0.3, 1);
    caller("b", 0.1, 1);
    caller("c", 0.2, 1);
    sim.run();
    expect(log).toEqual([
      "a got #1 at 0.03",
      "b got #1 at 1.03",
      "c got #1 at 2.03",
      "d got #1 at 3.03",
    ]);
  });

  it("a waiter gives up after acquireTimeout with an AcquireTimeoutError (a TimeoutError)", () => {
    const { sim, pool, log, caller } = setup({ maxConnections: 1, acquireTimeout: 2 });
    caller("a", 0, 10);
    const b = new Entity(sim, "b");
    let thrown: unknown;
    sim.at(0.5, () =>
      b.start(function* () {
        try {
          yield* pool.acquire();
        } catch (error) {
          thrown = error;
          log.push(`b gave up at ${b.now}`);
        }
      }),
    );
    sim.run();
    expect(log).toEqual(["a got #1 at 0.03", "b gave up at 2.5"]);
    expect(thrown).toBeInstanceOf(AcquireTimeoutError);
    expect(thrown).toBeInstanceOf(TimeoutError);
    expect((thrown as Error).message).toMatch(/pool "pool" within 2s/);
    expect(pool.stats).toMatchObject({ timedOut: 1, queued: 0, acquisitions: 1 });
  });

  it("a connection opened for a waiter that gave up stays, idle", () => {
    const { sim, pool, log, caller } = setup({
      connectLatency: constant(3),
      acquireTimeout: 1,
    });
    caller("a", 0, 1);
    sim.run();
    expect(log).toEqual(["a AcquireTimeoutError at 1"]);
    expect(pool.stats).toMatchObject({ connectionsCreated: 1, idle: 1, timedOut: 1 });
  });

  it("closes idle connections above the minimum after idleTimeout, oldest first", () => {
    const { sim, pool, caller } = setup({ minConnections: 1, idleTimeout: 10 });
    caller("a", 0, 1); // #1 (the warm one) at 0.03, released at 1.03
    caller("b", 0, 2); // #2 at 0.03, released at 2.03
    caller("c", 0, 3); // #3 at 0.03, released at 3.03
    sim.run({ until: 11.02 });
    expect(pool.stats).toMatchObject({ open: 3, idle: 3, connectionsClosed: 0 });
    sim.run({ until: 11.04 });
    expect(pool.stats).toMatchObject({ open: 2, connectionsClosed: 1 });
    sim.run({ until: 12.04 });
    expect(pool.stats).toMatchObject({ open: 1, idle: 1, connectionsClosed: 2 });
    sim.run({ until: 100 });
    expect(pool.stats).toMatchObject({ open: 1, connectionsClosed: 2 });
  });

  it("idle timers are daemons: they do not keep a run alive", () => {
    const { sim, caller } = setup({ idleTimeout: 60 });
    caller("a", 0, 1);
    const summary = sim.run();
    expect(summary.timeNs).toBe(1.03e9);
  });

  it("a reused connection is not closed by an idle timer armed before its reuse", () => {
    const { sim, pool, caller } = setup({ idleTimeout: 10 });
    caller("a", 0, 1); // #1 idle from 1.03
    caller("b", 5, 8); // reuses #1 from 5 to 13
    sim.run({ until: 12 });
    expect(pool.stats).toMatchObject({ active: 1, connectionsClosed: 0 });
    sim.run({ until: 22.9 });
    expect(pool.stats).toMatchObject({ idle: 1, connectionsClosed: 0 });
    sim.run({ until: 23.1 });
    expect(pool.stats).toMatchObject({ open: 0, connectionsClosed: 1 });
  });

  it("discard closes a held connection, and a waiter gets a newly opened one", () => {
    const { sim, pool, log } = setup({ maxConnections: 1 });
    const a = new Entity(sim, "a");
    let first: Connection | undefined;
    a.start(function* () {
      first = yield* pool.acquire();
      yield 1;
      pool.discard(first);
      log.push(`a discarded at ${round(a.now)}; open: ${first.isOpen}`);
    });
    const b = new Entity(sim, "b");
    b.start(function* () {
      const connection = yield* pool.acquire();
      log.push(`b got #${connection.id} at ${round(b.now)}`);
      pool.release(connection);
    });
    sim.run();
    expect(log).toEqual(["a discarded at 1.03; open: false", "b got #2 at 1.06"]);
    expect(pool.stats).toMatchObject({ connectionsCreated: 2, connectionsClosed: 1, idle: 1 });
  });

  it("a caller cancelled while waiting leaves the queue: the next release goes idle", () => {
    const { sim, pool, caller } = setup({ maxConnections: 1 });
    caller("a", 0, 2);
    const b = caller("b", 0.5, 1);
    sim.at(1, () => b.crash());
    sim.run({ until: 1.5 });
    expect(pool.stats.queued).toBe(0);
    sim.run();
    expect(pool.stats).toMatchObject({ acquisitions: 1, idle: 1, active: 0 });
  });

  it("a crash loses every connection and fails the waiters; recovery reopens the minimum", () => {
    const { sim, pool, log, caller } = setup({ minConnections: 1, maxConnections: 1 });
    caller("a", 0, 2);
    caller("b", 0.5, 1);
    sim.at(1, () => pool.crash());
    caller("c", 1.5, 1);
    sim.at(3, () => pool.recover());
    caller("d", 4, 1);
    sim.run();
    // a's release at 2 finds its connection lost in the crash: it is closed, not reused.
    expect(log).toEqual([
      "a got #1 at 0.03",
      "b RemoteError at 1",
      "c RemoteError at 1.5",
      "d got #2 at 4",
    ]);
    expect(pool.stats).toMatchObject({
      connectionsCreated: 2,
      connectionsClosed: 1,
      open: 1,
      idle: 1,
      active: 0,
    });
  });

  it("restarts its counts on sim.resetStats(), counting open connections again as created", () => {
    const { sim, pool, caller } = setup({ minConnections: 1, maxConnections: 3 });
    caller("a", 0, 1);
    caller("b", 0, 1);
    caller("c", 0, 0.5);
    sim.at(0.7, () => sim.resetStats());
    sim.run({ until: 0.6 });
    expect(pool.stats).toMatchObject({ connectionsCreated: 3, acquisitions: 3, open: 3 });
    sim.run({ until: 0.8 });
    expect(pool.stats).toMatchObject({
      connectionsCreated: 3,
      connectionsClosed: 0,
      acquisitions: 0,
      timedOut: 0,
      maxAcquireWait: 0,
    });
  });

  it("tells connections from before a crash apart after a statistics reset", () => {
    const { sim, pool } = setup({ maxConnections: 2 });
    const held: Connection[] = [];
    const user = new Entity(sim, "user");
    const hold = (at: number, seconds: number) =>
      sim.at(at, () =>
        user.start(function* () {
          const connection = yield* pool.acquire();
          held.push(connection);
          yield seconds;
          pool.release(connection);
        }),
      );
    hold(0, 3); // #1, opened before the crash, released after it
    sim.at(1, () => pool.crash());
    sim.at(1.5, () => pool.recover());
    sim.at(2, () => sim.resetStats()); // zeroes the engine's crash counter
    hold(2.5, 1); // #2, opened after the crash
    sim.run({ until: 3.2 });
    // #1 was lost in the crash: its release closes it; #2 is still held.
    expect(held.map((c) => c.isOpen)).toEqual([false, true]);
    expect(pool.stats).toMatchObject({ active: 1, idle: 0 });
    sim.run();
    expect(pool.stats).toMatchObject({ active: 0, idle: 1, open: 1 });
  });

  it("release misuse is a SimulationError naming the pool and the time", () => {
    const { sim, pool } = setup();
    const other = new ConnectionPool(sim, "other", { target: pool.target });
    const user = new Entity(sim, "user");
    const errors: string[] = [];
    user.start(function* () {
      const connection = yield* pool.acquire();
      const foreign = yield* other.acquire();
      pool.release(connection);
      for (const misuse of [
        () => pool.release(connection),
        () => pool.discard(connection),
        () => pool.release(foreign),
        () => pool.release({} as Connection),
      ]) {
        try {
          misuse();
        } catch (error) {
          expect(error).toBeInstanceOf(SimulationError);
          errors.push((error as Error).message);
        }
      }
    });
    sim.run();
    expect(errors).toEqual([
      'entity "pool" at t=0.04s: release(): connection 1 is not held (released twice?)',
      'entity "pool" at t=0.04s: discard(): connection 1 is not held (released twice?)',
      'entity "pool" at t=0.04s: release(): not a connection of this pool (given a connection of "other")',
      'entity "pool" at t=0.04s: release(): not a connection of this pool (given object)',
    ]);
  });

  it("reads an acquireTimeout profile when each caller starts waiting", () => {
    const { sim, pool, caller, log } = setup({
      maxConnections: 1,
      acquireTimeout: step(2, [{ at: 10, value: 0.5 }]),
    });
    caller("holder", 0, 100);
    caller("a", 1, 1); // waits with 2 s: gives up at 3
    caller("b", 9.9, 1); // started before the change: keeps 2 s, gives up at 11.9
    caller("c", 10, 1); // 0.5 s: gives up at 10.5
    let message = "";
    const d = new Entity(sim, "d");
    sim.at(20, () =>
      d.start(function* () {
        try {
          yield* pool.acquire();
        } catch (error) {
          message = (error as Error).message;
        }
      }),
    );
    sim.run({ until: 30 });
    expect(log).toEqual([
      "holder got #1 at 0.03",
      "a AcquireTimeoutError at 3",
      "c AcquireTimeoutError at 10.5",
      "b AcquireTimeoutError at 11.9",
    ]);
    expect(message).toBe('no connection from pool "pool" within 0.5s');
  });

  it("an idleTimeout profile is read when a connection becomes idle; each idle spell keeps its value", () => {
    const { sim, pool, caller, log } = setup({ idleTimeout: step(60, [{ at: 10, value: 5 }]) });
    caller("a", 0, 1); // #1, idle from 1.03 with 60 s: due at 61.03
    caller("b", 0, 11); // #2, idle from 11.03 with 5 s: due at 16.03
    sim.run({ until: 16.02 });
    expect(pool.stats).toMatchObject({ open: 2, idle: 2, connectionsClosed: 0 });
    sim.run({ until: 16.04 });
    // The newer connection closes first: its spell began after the drop.
    expect(pool.stats).toMatchObject({ open: 1, idle: 1, connectionsClosed: 1 });
    caller("c", 20, 1); // reuses #1; idle again from 21 with 5 s: due at 26
    sim.run({ until: 25.9 });
    expect(pool.stats).toMatchObject({ open: 1, connectionsClosed: 1 });
    sim.run({ until: 26.1 });
    expect(pool.stats).toMatchObject({ open: 0, connectionsClosed: 2 });
    expect(log).toEqual(["a got #1 at 0.03", "b got #2 at 0.03", "c got #1 at 20"]);
  });

  it("refuses bad options, naming component, option, expectation and value", () => {
    const sim = new Simulation({ seed: 1 });
    const target = new Entity(sim, "t");
    const make = (options: Partial<ConnectionPoolOptions<unknown, unknown>>) => () =>
      new ConnectionPool(sim, `p${sim.entities.length}`, { target, ...options });
    expect(make({ minConnections: 5, maxConnections: 2 })).toThrow(
      /ConnectionPool "p\d+": option "minConnections" must be an integer <= maxConnections \(2\); given 5/,
    );
    expect(make({ maxConnections: 0 })).toThrow(/"maxConnections" must be an integer >= 1/);
    expect(make({ minConnections: 1.5 })).toThrow(/"minConnections"/);
    expect(make({ connectLatency: 0.03 as never })).toThrow(
      /"connectLatency" must be a Distribution/,
    );
    expect(make({ acquireTimeout: 0 })).toThrow(/"acquireTimeout"/);
    expect(make({ idleTimeout: -1 })).toThrow(/"idleTimeout"/);
    expect(make({ idleTimeout: step(60, [{ at: 10, value: 0 }]) })).toThrow(
      /"idleTimeout" must be a duration in seconds > 0 at all times; given "step from 60 \(1 changes\) \(ranges over \[0, 60\]\)"/,
    );
    expect(make({ acquireTimeout: ramp({ from: 1, to: -1, start: 0, end: 10 }) })).toThrow(
      /"acquireTimeout" must be a duration in seconds > 0 at all times/,
    );
    expect(make({ target: undefined as never })).toThrow(ConfigError);
  });

  it("the same seed gives the same run", () => {
    const build = (seed: number) => {
      const sim = new Simulation({ seed });
      const pool = new ConnectionPool(sim, "pool", {
        target: new Entity(sim, "db"),
        minConnections: 1,
        maxConnections: 3,
        connectLatency: exponential(0.05),
        acquireTimeout: 0.2,
        idleTimeout: 1,
      });
      const users = new Entity(sim, "users");
      const hold = users.random("hold");
      for (let i = 0; i < 40; i++) {
        sim.at(i * 0.1, () =>
          users.start(function* () {
            try {
              const connection = yield* pool.acquire();
              yield hold.exponential(0.2);
              pool.release(connection);
            } catch (error) {
              if (!(error instanceof TimeoutError)) throw error;
            }
          }),
        );
      }
      return sim;
    };
    const verdict = assertDeterministic(build, 7);
    const metrics = verdict.first.entities.find((e) => e.name === "pool")!.metrics;
    expect(metrics).toEqual(verdict.second.entities.find((e) => e.name === "pool")!.metrics);
    expect(metrics.acquisitions as number).toBeGreaterThan(0);
  });
});
