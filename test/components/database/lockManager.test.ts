/**
 * Goal: the lock manager grants shared locks together and exclusive ones alone, queues waiters
 * FIFO (an arrival never overtakes a waiter; upgrades go ahead of other waiters), ends waits
 * with the lock, a lock wait timeout (the owner keeps its locks) or a deadlock abort (the
 * victim, chosen by the stated rule, loses every lock at once), finds cycles on every block or
 * on a periodic grid (recording the delay from a cycle closing to its detection), frees
 * everything in a crash, and refuses bad options and misuse with typed errors.
 * Method: scripted transactions in processes with exact times; the component laws on a random
 * transactional load.
 */
import { describe, expect, it } from "vitest";
import {
  ConfigError,
  DeadlockError,
  Entity,
  LockManager,
  type LockManagerOptions,
  type LockMode,
  type LockOwner,
  LockWaitTimeoutError,
  RemoteError,
  Simulation,
  SimulationError,
} from "../../../src/index.js";
import { componentLaws, SUBJECT } from "../../support/laws.js";

type Step = readonly [key: string, mode: LockMode];

/** Runs scripted transactions: each locks its steps in order, holding each step's lock `hold` s. */
class Transactions extends Entity {
  readonly log: string[] = [];

  run(
    locks: LockManager,
    label: string,
    at: number,
    steps: readonly Step[],
    options: { hold?: number; holdAtEnd?: number } = {},
  ): void {
    this.sim.at(at, () =>
      this.start(function* (this: Transactions) {
        const owner = locks.begin(label);
        try {
          for (const [key, mode] of steps) {
            const waited = yield* locks.acquire(owner, key, mode);
            this.log.push(`${this.now} ${label} ${mode} ${key}${waited ? " after wait" : ""}`);
            if ((options.hold ?? 0) > 0) yield options.hold!;
          }
          if ((options.holdAtEnd ?? 0) > 0) yield options.holdAtEnd!;
          this.log.push(`${this.now} ${label} done`);
        } catch (error) {
          const name = error instanceof Error ? error.name : String(error);
          this.log.push(`${this.now} ${label} ${name}`);
        } finally {
          locks.releaseAll(owner);
        }
      }, this),
    );
  }
}

function setup(options: LockManagerOptions = {}) {
  const sim = new Simulation({ seed: 1 });
  const locks = new LockManager(sim, "locks", options);
  const txs = new Transactions(sim, "txs");
  return { sim, locks, txs, log: txs.log };
}

/** A random transactional load: transactions lock 1-3 of 4 keys in random order and modes. */
class RandomTransactions extends Entity {
  constructor(sim: Simulation, name: string, locks: LockManager, count: number, rate: number) {
    super(sim, name);
    const draws = this.random("load");
    let time = 0;
    for (let i = 0; i < count; i++) {
      time += draws.exponential(1 / rate);
      const steps: Step[] = [];
      const n = 1 + draws.integer(3);
      for (let s = 0; s < n; s++) {
        steps.push([`k${draws.integer(4)}`, draws.bernoulli(0.5) ? "shared" : "exclusive"]);
      }
      const hold = draws.exponential(0.01);
      this.at(time, () =>
        this.start(function* () {
          let owner: LockOwner;
          try {
            owner = locks.begin();
          } catch {
            return; // the manager is down
          }
          try {
            for (const [key, mode] of steps) {
              yield* locks.acquire(owner, key, mode);
              yield hold;
            }
          } catch (error) {
            if (!(error instanceof RemoteError) && !(error instanceof LockWaitTimeoutError)) {
              throw error;
            }
          } finally {
            locks.releaseAll(owner);
          }
        }),
      );
    }
  }
}

componentLaws({
  type: LockManager,
  options: () => ({ lockWaitTimeout: 1, deadlockDetection: "onBlock", deadlockVictim: "youngest" }),
  construct: (sim, name, options) => new LockManager(sim, name, options as LockManagerOptions),
  invalid: [
    { lockWaitTimeout: 0 },
    { lockWaitTimeout: "1s" },
    { deadlockDetection: "always" },
    { deadlockDetection: { interval: 0 } },
    { deadlockDetection: { interval: 1e-10 } }, // rounds to 0 ns: detection would be off
    { deadlockDetection: null },
    { deadlockVictim: "oldest" },
  ],
  scenario: (sim) => {
    const locks = new LockManager(sim, SUBJECT, { lockWaitTimeout: 0.05 });
    new RandomTransactions(sim, "load", locks, 400, 400);
    return locks;
  },
  crashAt: 0.4,
  recoverAt: 0.5,
  identities: (m) => {
    const s = m.stats;
    return [
      [
        "requests = granted + rejected + timedOut + deadlocks + aborted + lostToCrash + queued",
        s.requests,
        s.granted + s.rejected + s.timedOut + s.deadlocks + s.aborted + s.lostToCrash + s.queued,
      ],
    ];
  },
});

describe("LockManager", () => {
  it("shares shared locks, keeps exclusive ones alone, and queues FIFO: an arrival never overtakes a waiter", () => {
    const { sim, locks, txs, log } = setup();
    txs.run(locks, "r1", 0, [["a", "shared"]], { holdAtEnd: 1 });
    txs.run(locks, "r2", 0.1, [["a", "shared"]], { holdAtEnd: 1 });
    txs.run(locks, "w", 0.2, [["a", "exclusive"]], { holdAtEnd: 1 });
    // Compatible with the readers, but a writer waits ahead of it.
    txs.run(locks, "r3", 0.3, [["a", "shared"]], { holdAtEnd: 1 });
    sim.at(0.5, () => {
      expect([...locks.holders("a").keys()].map((o) => o.label)).toEqual(["r1", "r2"]);
      expect(locks.waiters("a").map((o) => o.label)).toEqual(["w", "r3"]);
    });
    sim.run();
    expect(log).toEqual([
      "0 r1 shared a",
      "0.1 r2 shared a",
      "1 r1 done",
      "1.1 r2 done",
      "1.1 w exclusive a after wait",
      "2.1 w done",
      "2.1 r3 shared a after wait",
      "3.1 r3 done",
    ]);
    expect(locks.stats).toMatchObject({
      requests: 4,
      granted: 4,
      lockWaits: 2,
      held: 0,
      queued: 0,
    });
  });

  it("grants a run of shared waiters together when the writer leaves", () => {
    const { sim, locks, txs, log } = setup();
    txs.run(locks, "w", 0, [["a", "exclusive"]], { holdAtEnd: 1 });
    txs.run(locks, "r1", 0.1, [["a", "shared"]], { holdAtEnd: 1 });
    txs.run(locks, "r2", 0.2, [["a", "shared"]], { holdAtEnd: 1 });
    sim.run();
    expect(log.filter((l) => l.includes("after wait"))).toEqual([
      "1 r1 shared a after wait",
      "1 r2 shared a after wait",
    ]);
    expect(locks.stats.meanLockWait).toBeCloseTo(0.85, 9);
  });

  it("upgrades shared to exclusive: at once when alone, else ahead of other waiters", () => {
    const { sim, locks, txs, log } = setup();
    txs.run(locks, "solo", 0, [
      ["x", "shared"],
      ["x", "exclusive"],
    ]);
    txs.run(
      locks,
      "u",
      1,
      [
        ["a", "shared"],
        ["a", "exclusive"],
      ],
      { hold: 0.5 },
    );
    txs.run(locks, "r", 1, [["a", "shared"]], { holdAtEnd: 1 });
    txs.run(locks, "w", 1.2, [["a", "exclusive"]]);
    sim.at(1.7, () => {
      expect(locks.waiters("a").map((o) => o.label)).toEqual(["u", "w"]);
      expect(locks.waitsFor(locks.waiters("a")[1]!).map((o) => o.label)).toEqual(["u", "r"]);
    });
    sim.run();
    expect(log).toEqual([
      "0 solo shared x",
      "0 solo exclusive x",
      "0 solo done",
      "1 u shared a",
      "1 r shared a",
      "2 r done",
      "2 u exclusive a after wait",
      "2.5 u done",
      "2.5 w exclusive a after wait",
      "2.5 w done",
    ]);
  });

  it("finds an A-then-B / B-then-A deadlock the instant it closes and aborts the youngest", () => {
    const { sim, locks, txs, log } = setup();
    txs.run(
      locks,
      "T1",
      0,
      [
        ["A", "exclusive"],
        ["B", "exclusive"],
      ],
      { hold: 1 },
    );
    txs.run(
      locks,
      "T2",
      0.5,
      [
        ["B", "exclusive"],
        ["A", "exclusive"],
      ],
      { hold: 1 },
    );
    sim.run();
    expect(log).toEqual([
      "0 T1 exclusive A",
      "0.5 T2 exclusive B",
      // T1 has waited for B since 1; T2's request for A closes the cycle. (Both wake at 1.5; T1,
      // which began to wait first, resumes first.)
      "1.5 T1 exclusive B after wait",
      "1.5 T2 DeadlockError",
      "2.5 T1 done",
    ]);
    expect(locks.stats).toMatchObject({ deadlocks: 1, meanDetectionDelay: 0, held: 0, owners: 0 });
  });

  it("two upgraders of one key deadlock; the victim rule decides who goes", () => {
    for (const [rule, victim] of [
      ["youngest", "U2"],
      ["fewestLocks", "U1"],
    ] as const) {
      const { sim, locks, txs, log } = setup({ deadlockVictim: rule });
      txs.run(
        locks,
        "U1",
        0,
        [
          ["k", "shared"],
          ["k", "exclusive"],
        ],
        { hold: 1 },
      );
      // U2 holds one more lock, so under fewestLocks the older U1 is the victim.
      txs.run(
        locks,
        "U2",
        0.5,
        [
          ["other", "shared"],
          ["k", "shared"],
          ["k", "exclusive"],
        ],
        { hold: 0.25 },
      );
      sim.run();
      expect(log.filter((l) => l.includes("DeadlockError"))).toEqual([`1 ${victim} DeadlockError`]);
    }
  });

  it("a DeadlockError names the cycle, victim first", () => {
    const { sim, locks } = setup();
    const errors: string[] = [];
    const worker = new Entity(sim, "worker");
    const order = (label: string, first: string, second: string, at: number) =>
      sim.at(at, () =>
        worker.start(function* () {
          const owner = locks.begin(label);
          try {
            yield* locks.acquire(owner, first, "exclusive");
            yield 1;
            yield* locks.acquire(owner, second, "exclusive");
          } catch (error) {
            if (error instanceof DeadlockError) errors.push(...error.cycle, error.message);
          } finally {
            locks.releaseAll(owner);
          }
        }),
      );
    order("T1", "A", "B", 0);
    order("T2", "B", "C", 0.1);
    order("T3", "C", "A", 0.2);
    sim.run();
    expect(errors.slice(0, 3)).toEqual(["T3", "T1", "T2"]);
    expect(errors[3]).toContain("deadlock victim (cycle T3 -> T1 -> T2)");
  });

  it("periodic detection finds the cycle at the next multiple of the interval", () => {
    const { sim, locks, txs, log } = setup({ deadlockDetection: { interval: 2 } });
    txs.run(
      locks,
      "T1",
      0,
      [
        ["A", "exclusive"],
        ["B", "exclusive"],
      ],
      { hold: 1 },
    );
    txs.run(
      locks,
      "T2",
      0.5,
      [
        ["B", "exclusive"],
        ["A", "exclusive"],
      ],
      { hold: 1 },
    );
    const summary = sim.run();
    // The cycle closes at 1.5 (T2 asks for A); the detector runs at 2, the next multiple of 2.
    expect(log).toContain("2 T2 DeadlockError");
    expect(locks.stats.deadlocks).toBe(1);
    expect(locks.stats.maxDetectionDelay).toBeCloseTo(0.5, 9);
    expect(summary.pendingEvents).toBe(0);
  });

  it("with detection off, the lock wait timeout ends the deadlock; the owner keeps its locks", () => {
    const { sim, locks, txs, log } = setup({ deadlockDetection: "off", lockWaitTimeout: 3 });
    txs.run(
      locks,
      "T1",
      0,
      [
        ["A", "exclusive"],
        ["B", "exclusive"],
      ],
      { hold: 1 },
    );
    txs.run(
      locks,
      "T2",
      0.5,
      [
        ["B", "exclusive"],
        ["A", "exclusive"],
      ],
      { hold: 1 },
    );
    sim.run();
    expect(log).toEqual([
      "0 T1 exclusive A",
      "0.5 T2 exclusive B",
      "4 T1 LockWaitTimeoutError", // waited for B since 1
      "4 T2 exclusive A after wait", // T1's finally released A
      "5 T2 done",
    ]);
    expect(locks.stats).toMatchObject({ deadlocks: 0, timedOut: 1, meanAbortedWait: 3 });
  });

  it("detectDeadlocks() finds a standing cycle on demand when detection is off", () => {
    const { sim, locks, txs, log } = setup({ deadlockDetection: "off", lockWaitTimeout: 10 });
    txs.run(
      locks,
      "T1",
      0,
      [
        ["A", "exclusive"],
        ["B", "exclusive"],
      ],
      { hold: 1 },
    );
    txs.run(
      locks,
      "T2",
      0.5,
      [
        ["B", "exclusive"],
        ["A", "exclusive"],
      ],
      { hold: 1 },
    );
    sim.at(1.2, () => expect(locks.detectDeadlocks()).toBe(0)); // T2 has not asked for A yet
    sim.at(3, () => expect(locks.detectDeadlocks()).toBe(1));
    sim.run();
    expect(log).toContain("3 T2 DeadlockError");
    expect(locks.stats.maxDetectionDelay).toBeCloseTo(1.5, 9);
  });

  it("a timed-out owner keeps its locks until it releases them", () => {
    const { sim, locks } = setup({ lockWaitTimeout: 1 });
    const worker = new Entity(sim, "worker");
    const holder = locks.begin("holder");
    locks.tryAcquire(holder, "b", "exclusive");
    let kept: string | null = null;
    worker.start(function* () {
      const owner = locks.begin("t");
      yield* locks.acquire(owner, "a", "exclusive");
      try {
        yield* locks.acquire(owner, "b", "shared");
      } catch (error) {
        expect(error).toBeInstanceOf(LockWaitTimeoutError);
        kept = owner.modeOf("a");
      }
      locks.releaseAll(owner);
    });
    sim.run();
    expect(kept).toBe("exclusive");
  });

  it("a crash frees every lock, fails the waiters and finishes the owners", () => {
    const { sim, locks, txs, log } = setup();
    txs.run(locks, "T1", 0, [["A", "exclusive"]], { holdAtEnd: 5 });
    txs.run(locks, "T2", 0.5, [["A", "shared"]]);
    sim.at(1, () => locks.crash());
    sim.at(1, () => expect(locks.stats).toMatchObject({ held: 0, queued: 0, lostToCrash: 1 }));
    sim.at(2, () => locks.recover());
    txs.run(locks, "T3", 2, [["A", "exclusive"]]);
    sim.run();
    expect(log).toEqual([
      "0 T1 exclusive A",
      "1 T2 RemoteError",
      "2 T3 exclusive A",
      "2 T3 done",
      "5 T1 done",
    ]);
  });

  it("a cancelled waiter leaves the queue", () => {
    const { sim, locks } = setup();
    const holder = locks.begin("holder");
    locks.tryAcquire(holder, "a", "shared");
    const worker = new Entity(sim, "worker");
    const waiting = worker.start(function* () {
      const owner = locks.begin("w");
      yield* locks.acquire(owner, "a", "exclusive");
    });
    const reader = locks.begin("reader");
    sim.at(1, () => {
      expect(locks.tryAcquire(reader, "a", "shared")).toBe(false); // FIFO: the writer waits
      waiting.cancel();
      expect(locks.tryAcquire(reader, "a", "shared")).toBe(true);
    });
    sim.run();
    expect(locks.stats).toMatchObject({ aborted: 1, queued: 0 });
  });

  it("refuses misuse with SimulationError and bad modes or keys with ConfigError", () => {
    const { sim, locks } = setup();
    const other = new LockManager(sim, "other");
    const owner = locks.begin("o");
    expect(() => locks.tryAcquire(owner, "a", "read" as LockMode)).toThrow(ConfigError);
    expect(() => locks.tryAcquire(owner, Number.NaN, "shared")).toThrow(ConfigError);
    expect(() => other.tryAcquire(owner, "a", "shared")).toThrow(SimulationError);
    locks.releaseAll(owner);
    expect(() => locks.tryAcquire(owner, "a", "shared")).toThrow(/is finished/);
    locks.releaseAll(owner); // a second end is harmless
    expect(() => new LockManager(sim, "bad", { deadlockDetection: { interval: -1 } })).toThrow(
      ConfigError,
    );
  });
});
