/**
 * Goal: `Store` and `Container` move items and amounts between processes without losing or
 * creating any: puts wait while full, gets wait while empty, filtered gets take only what they
 * accept, waiters are served in arrival order, maxWait gives up with TimeoutError, the owner's
 * crash fails the waiters and keeps the contents, and bad input is a ConfigError.
 * Method: scripted processes with exact times, and a fast-check property over random
 * schedules of puts and gets (with deadlines) checking conservation at the end.
 */
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { Container } from "../../../src/components/resource/container.js";
import { Store } from "../../../src/components/resource/store.js";
import { Entity } from "../../../src/core/entity.js";
import { Simulation } from "../../../src/core/simulation.js";
import { ConfigError, RemoteError, TimeoutError } from "../../../src/errors/errors.js";

function world() {
  const sim = new Simulation({ seed: 1 });
  const owner = new Entity(sim, "shop");
  const users = new Entity(sim, "users");
  const log: string[] = [];
  const at = (time: number, body: () => Generator<unknown, void, unknown>) =>
    sim.at(time, () => users.start(body as () => Generator<never, void, unknown>));
  return { sim, owner, users, log, at };
}

describe("Store", () => {
  it("a get waits for a put; a put waits for room; both in arrival order", () => {
    const { sim, owner, log, at } = world();
    const shelf = new Store<string>(owner, { capacity: 1 });
    at(0, function* () {
      log.push(`g1 ${yield* shelf.get()}@${sim.now}`);
    });
    at(0.1, function* () {
      log.push(`g2 ${yield* shelf.get()}@${sim.now}`);
    });
    at(1, function* () {
      yield* shelf.put("a");
      yield* shelf.put("b");
      yield* shelf.put("c");
      log.push(`p done@${sim.now}`);
    });
    at(2, function* () {
      log.push(`g3 ${yield* shelf.get()}@${sim.now}`);
    });
    sim.run();
    // The putter never waited (each item went straight to a getter): it logs first.
    expect(log).toEqual(["p done@1", "g1 a@1", "g2 b@1", "g3 c@2"]);
    expect(shelf.stats).toMatchObject({ items: 0, puts: 3, gets: 3 });
  });

  it("a full store makes the putter wait until a get makes room", () => {
    const { sim, owner, log, at } = world();
    const shelf = new Store<number>(owner, { capacity: 2 });
    at(0, function* () {
      for (let i = 1; i <= 3; i++) yield* shelf.put(i);
      log.push(`put 3 items@${sim.now}`);
    });
    at(5, function* () {
      log.push(`got ${yield* shelf.get()}@${sim.now}`);
    });
    sim.run();
    expect(log).toEqual(["got 1@5", "put 3 items@5"]);
    expect(shelf.contents).toEqual([2, 3]);
  });

  it("filtered gets take only what they accept, and do not block later getters", () => {
    const { sim, owner, log, at } = world();
    const shelf = new Store<number>(owner);
    at(0, function* () {
      log.push(`even ${yield* shelf.get({ filter: (n) => n % 2 === 0 })}@${sim.now}`);
    });
    at(0, function* () {
      log.push(`any ${yield* shelf.get()}@${sim.now}`);
    });
    at(1, function* () {
      yield* shelf.put(3);
      yield* shelf.put(4);
    });
    sim.run();
    expect(log).toEqual(["any 3@1", "even 4@1"]);
  });

  it("maxWait gives up with TimeoutError; the owner's crash fails waiters and keeps items", () => {
    const { sim, owner, log, at } = world();
    const shelf = new Store<string>(owner, { capacity: 1 });
    shelf.tryPut("kept");
    const attempt = (name: string, body: () => Generator<unknown, unknown, unknown>) =>
      function* () {
        try {
          yield* body();
          log.push(`${name} ok@${sim.now}`);
        } catch (error) {
          log.push(`${name} ${(error as Error).name}@${sim.now}`);
        }
      };
    at(
      0,
      attempt("put", () => shelf.put("x", { maxWait: 1 })),
    );
    at(
      0,
      attempt("get-even", () => shelf.get({ filter: (s) => s === "y", maxWait: 5 })),
    );
    at(
      0,
      attempt("put2", () => shelf.put("z")),
    );
    sim.at(2, () => owner.crash());
    sim.run();
    expect(log).toEqual(["put TimeoutError@1", "put2 RemoteError@2", "get-even RemoteError@2"]);
    expect(shelf.contents).toEqual(["kept"]);
    expect(shelf.stats.timedOut).toBe(1);
    expect(shelf.stats.lostToCrash).toBe(2);
    shelf.owner.resetStats();
    expect(shelf.stats.lostToCrash).toBe(0);
    expect(new TimeoutError(1)).not.toBeInstanceOf(RemoteError);
  });

  it("bad options and arguments are ConfigErrors", () => {
    const { owner } = world();
    expect(() => new Store(owner, { capacity: 0 })).toThrow(ConfigError);
    expect(() => new Store(owner, { capacity: 2.5 })).toThrow(ConfigError);
    expect(() => new Store({} as Entity)).toThrow(ConfigError);
    const shelf = new Store<number>(owner);
    expect(() => shelf.get({ filter: 3 as unknown as () => boolean }).next()).toThrow(ConfigError);
    expect(() => shelf.put(1, { maxWait: Number.NaN }).next()).toThrow(ConfigError);
  });
});

describe("Container", () => {
  it("gets wait for the level, in order; a large get at the head is not overtaken", () => {
    const { sim, owner, log, at } = world();
    const tank = new Container(owner, { capacity: 100, initial: 10 });
    at(0, function* () {
      yield* tank.get(50);
      log.push(`big@${sim.now}`);
    });
    at(0.1, function* () {
      yield* tank.get(5);
      log.push(`small@${sim.now}`);
    });
    at(1, function* () {
      yield* tank.put(40);
    });
    at(2, function* () {
      yield* tank.put(5);
    });
    sim.run();
    expect(log).toEqual(["big@1", "small@2"]);
    expect(tank.level).toBe(0);
    expect(tank.stats).toMatchObject({ amountPut: 45, amountTaken: 55 });
  });

  it("puts wait for room; maxWait gives up; the crash fails waiters and keeps the level", () => {
    const { sim, owner, log, at } = world();
    const tank = new Container(owner, { capacity: 10, initial: 8 });
    const attempt = (name: string, body: () => Generator<unknown, unknown, unknown>) =>
      function* () {
        try {
          yield* body();
          log.push(`${name} ok@${sim.now}`);
        } catch (error) {
          log.push(`${name} ${(error as Error).name}@${sim.now}`);
        }
      };
    at(
      0,
      attempt("put5", () => tank.put(5, { maxWait: 1 })),
    );
    at(
      0,
      attempt("put3", () => tank.put(3)),
    );
    at(
      2,
      attempt("get1", () => tank.get(1)),
    );
    at(
      3,
      attempt("get10", () => tank.get(10)),
    );
    at(
      3,
      attempt("get-more", () => tank.get(1)),
    );
    sim.at(4, () => owner.crash());
    sim.run();
    // put3 waits behind put5, then (alone) for room: get1 makes it, at 2.
    expect(log).toEqual([
      "put5 TimeoutError@1",
      "get1 ok@2",
      "put3 ok@2",
      "get10 ok@3",
      "get-more RemoteError@4",
    ]);
    expect(tank.level).toBe(0);
    expect(tank.stats.lostToCrash).toBe(1);
    expect(tank.stats.timedOut).toBe(1);
  });

  it("a head waiter that gives up lets the next one in", () => {
    const { sim, owner, log, at } = world();
    const tank = new Container(owner, { capacity: 10, initial: 3 });
    at(0, function* () {
      try {
        yield* tank.get(5, { maxWait: 1 });
      } catch {
        log.push(`big gave up@${sim.now}`);
      }
    });
    at(0.5, function* () {
      yield* tank.get(2);
      log.push(`small@${sim.now}`);
    });
    sim.run();
    expect(log).toEqual(["big gave up@1", "small@1"]);
  });

  it("bad options and amounts are ConfigErrors", () => {
    const { owner } = world();
    expect(() => new Container(owner, { capacity: 0 })).toThrow(ConfigError);
    expect(() => new Container(owner, { capacity: 5, initial: 6 })).toThrow(ConfigError);
    expect(() => new Container(owner, { initial: -1 })).toThrow(ConfigError);
    const tank = new Container(owner, { capacity: 5 });
    expect(() => tank.get(6).next()).toThrow(ConfigError);
    expect(() => tank.put(0).next()).toThrow(ConfigError);
    expect(() => tank.tryPut(Number.NaN)).toThrow(ConfigError);
  });
});

describe("conservation (property)", () => {
  const op = fc.record({
    at: fc.integer({ min: 0, max: 20 }),
    put: fc.boolean(),
    amount: fc.integer({ min: 1, max: 5 }),
    maxWait: fc.option(fc.integer({ min: 0, max: 5 }), { nil: undefined }),
  });

  it("Container: level = initial + put - taken, within [0, capacity], whatever the schedule", () => {
    fc.assert(
      fc.property(
        fc.array(op, { maxLength: 40 }),
        fc.integer({ min: 0, max: 10 }),
        (ops, initial) => {
          const { sim, owner, at } = world();
          const tank = new Container(owner, { capacity: 10, initial });
          let put = 0;
          let taken = 0;
          for (const o of ops) {
            at(o.at, function* () {
              try {
                if (o.put) yield* tank.put(o.amount, { maxWait: o.maxWait });
                else yield* tank.get(o.amount, { maxWait: o.maxWait });
                if (o.put) put += o.amount;
                else taken += o.amount;
              } catch (error) {
                if (!(error instanceof TimeoutError)) throw error;
              }
              expect(tank.level).toBeGreaterThanOrEqual(0);
              expect(tank.level).toBeLessThanOrEqual(10);
            });
          }
          sim.run({ until: 100 });
          expect(tank.level).toBe(initial + put - taken);
          const s = tank.stats;
          expect(s.amountPut - s.amountTaken).toBe(put - taken + waitingPutsServedLate(s));
        },
      ),
    );
  });

  it("Store: every item put is held, taken once, or still waiting to go in", () => {
    fc.assert(
      fc.property(fc.array(op, { maxLength: 40 }), (ops) => {
        const { sim, owner, at } = world();
        const shelf = new Store<number>(owner, { capacity: 3 });
        const putIn: number[] = [];
        const takenOut: number[] = [];
        let next = 0;
        for (const o of ops) {
          at(o.at, function* () {
            try {
              if (o.put) {
                const item = next++;
                yield* shelf.put(item, { maxWait: o.maxWait });
                putIn.push(item);
              } else {
                takenOut.push(yield* shelf.get({ maxWait: o.maxWait }));
              }
            } catch (error) {
              if (!(error instanceof TimeoutError)) throw error;
            }
            expect(shelf.size).toBeLessThanOrEqual(3);
          });
        }
        sim.run({ until: 100 });
        const held = shelf.contents;
        expect([...takenOut, ...held].sort((a, b) => a - b)).toEqual(
          [...putIn].sort((a, b) => a - b),
        );
        expect(new Set(takenOut).size).toBe(takenOut.length);
      }),
    );
  });
});

/** Every wait settles before the horizon here (deadlines <= 5 s, the run goes to 100 s). */
function waitingPutsServedLate(_stats: { putsWaiting: number; getsWaiting: number }): number {
  return 0;
}
