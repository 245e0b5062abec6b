/**
 * Goal: `DistributedLock` grants leases with strictly increasing fencing tokens, expires them
 * by its own clock, serves waiters in FIFO order on release and on expiry, keeps an owner's
 * token on a repeated acquire, and keeps its table across a crash; `FencedStore` refuses a
 * write with a lower token than one accepted; both pass the component laws.
 * Method: scripted clients over a network, answers logged and compared.
 */
import { describe, expect, it } from "vitest";
import {
  DistributedLock,
  type DistributedLockOptions,
  Entity,
  FencedStore,
  type FencedStoreOptions,
  LEASE_LOST,
  type Lease,
  LeaseStateMachine,
  LOCK_BUSY,
  LockClient,
  RemoteError,
  Simulation,
  STALE_TOKEN,
  TimeoutError,
} from "../../../src/index.js";
import { componentLaws, SUBJECT } from "../../support/laws.js";

function outcome(error: unknown): string {
  if (error instanceof RemoteError) return `refused(${error.reason})`;
  if (error instanceof TimeoutError) return "timeout";
  throw error;
}

/** A client entity that runs `body` at `at`, logging what it saw. */
function client(
  sim: Simulation,
  name: string,
  at: number,
  body: (self: Entity, lock: LockClient) => Generator<unknown, void, unknown>,
  lock: DistributedLock,
) {
  const self = new Entity(sim, name);
  const handle = new LockClient(lock, self, { timeout: 1 });
  sim.at(at, () => {
    self.start(function* () {
      // biome-ignore lint/suspicious/noExplicitAny: a test body yields whatever its calls yield
      yield* body(self, handle) as Generator<any, void, unknown>;
    });
  });
  return self;
}

describe("DistributedLock", () => {
  it("grants, refuses while held, and hands over on release with a larger token", () => {
    const sim = new Simulation({ seed: 1 });
    const lock = new DistributedLock(sim, "locks", { ttl: 5 });
    const log: string[] = [];
    client(
      sim,
      "a",
      0,
      function* (self, handle) {
        const lease = yield* handle.acquire("job");
        log.push(`a token ${lease.token} until ${lease.expiresAt}`);
        const again = yield* handle.acquire("job");
        log.push(`a again ${again.token}`);
        yield 1;
        log.push(`a released ${yield* handle.release(lease)} at ${self.now}`);
      },
      lock,
    );
    client(
      sim,
      "b",
      0.5,
      function* (self, handle) {
        try {
          yield* handle.acquire("job");
        } catch (error) {
          log.push(`b ${outcome(error)}`);
        }
        const lease = yield* handle.acquire("job", { wait: 2 });
        log.push(`b token ${lease.token} at ${self.now}`);
      },
      lock,
    );
    sim.run();
    expect(log).toEqual([
      "a token 1 until 5",
      "a again 1",
      `b refused(${LOCK_BUSY})`,
      "a released true at 1",
      "b token 2 at 1",
    ]);
    expect(lock.stats).toMatchObject({ granted: 2, regranted: 1, released: 1, rejected: 1 });
  });

  it("expires a lease by the service's clock and wakes the waiter then; renewals of it fail", () => {
    const sim = new Simulation({ seed: 1 });
    // The service's clock runs 10% fast: a 1 s lease is gone after about 0.909 s of true time.
    const lock = new DistributedLock(sim, "locks", { ttl: 1, clock: { driftPpm: 100_000 } });
    const log: string[] = [];
    let first: Lease | undefined;
    client(
      sim,
      "a",
      0,
      function* (self, handle) {
        first = yield* handle.acquire("job");
        yield 2;
        try {
          yield* handle.renew(first);
        } catch (error) {
          log.push(`a renew ${outcome(error)} holds ${handle.holds(first)}`);
        }
        log.push(`a release ${yield* handle.release(first)} at ${self.now}`);
      },
      lock,
    );
    client(
      sim,
      "b",
      0.1,
      function* (self, handle) {
        const lease = yield* handle.acquire("job", { wait: 5 });
        log.push(`b token ${lease.token} at ${self.now.toFixed(3)}`);
      },
      lock,
    );
    sim.run();
    expect(log).toEqual([
      "b token 2 at 0.909",
      `a renew refused(${LEASE_LOST}) holds false`,
      "a release false at 2",
    ]);
    expect(lock.stats).toMatchObject({ granted: 2, leasesLost: 1, notHeld: 1 });
  });

  it("serves waiters in FIFO order and refuses one whose wait runs out", () => {
    const sim = new Simulation({ seed: 1 });
    const lock = new DistributedLock(sim, "locks", { ttl: 1 });
    const log: string[] = [];
    client(
      sim,
      "a",
      0,
      function* (_self, handle) {
        yield* handle.acquire("job");
      },
      lock,
    );
    for (const [name, at, wait] of [
      ["b", 0.1, 3],
      ["c", 0.2, 3],
      ["d", 0.3, 0.5],
    ] as const) {
      client(
        sim,
        name,
        at,
        function* (self, handle) {
          try {
            const lease = yield* handle.acquire("job", { wait });
            log.push(`${name} token ${lease.token} at ${self.now}`);
          } catch (error) {
            log.push(`${name} ${outcome(error)} at ${self.now}`);
          }
        },
        lock,
      );
    }
    sim.run();
    expect(log).toEqual([`d refused(${LOCK_BUSY}) at 0.8`, "b token 2 at 1", "c token 3 at 2"]);
  });

  it("keeps its lease table across a crash: tokens go on increasing; waiters are lost", () => {
    const sim = new Simulation({ seed: 1 });
    const lock = new DistributedLock(sim, "locks", { ttl: 1, wait: 5 });
    const log: string[] = [];
    client(
      sim,
      "a",
      0,
      function* (_self, handle) {
        log.push(`a ${(yield* handle.acquire("job")).token}`);
      },
      lock,
    );
    client(
      sim,
      "b",
      0.1,
      function* (_self, handle) {
        try {
          yield* handle.acquire("job");
        } catch (error) {
          log.push(`b ${outcome(error)}`);
        }
        log.push(`b ${(yield* handle.acquire("job")).token}`);
      },
      lock,
    );
    sim.at(0.5, () => lock.crash());
    sim.at(0.6, () => lock.recover());
    sim.run();
    expect(log).toEqual(["a 1", "b timeout", "b 2"]);
    expect(lock.stats.lastToken).toBe(2);
  });

  it("refuses bad options with a ConfigError", () => {
    const sim = new Simulation({ seed: 1 });
    expect(() => new DistributedLock(sim, "x", { ttl: 0 })).toThrow(/ttl/);
    expect(() => new DistributedLock(sim, "x", { wait: -1 })).toThrow(/wait/);
    expect(() => new DistributedLock(sim, "x", { clock: { driftPpm: 1e9 } })).toThrow(/clock/);
    expect(
      () =>
        new DistributedLock(sim, "x", {
          backend: {} as unknown as DistributedLockOptions["backend"],
        }),
    ).toThrow(/backend/);
  });
});

describe("LeaseStateMachine", () => {
  it("is deterministic and restores from a snapshot", () => {
    const table = new LeaseStateMachine();
    expect(table.apply({ op: "acquire", lock: "l", owner: "a", ttl: 1, now: 0 }).lease?.token).toBe(
      1,
    );
    expect(table.apply({ op: "acquire", lock: "l", owner: "b", ttl: 1, now: 0.5 }).ok).toBe(false);
    const copy = new LeaseStateMachine();
    copy.restore(table.snapshot());
    const next = copy.apply({ op: "acquire", lock: "l", owner: "b", ttl: 1, now: 1 });
    expect(next).toMatchObject({
      ok: true,
      fresh: true,
      lease: { owner: "b", token: 2, expiresAt: 2 },
    });
  });
});

describe("FencedStore", () => {
  it("refuses a write with a lower token than one accepted, per store or per key", () => {
    for (const scope of ["store", "key"] as const) {
      const sim = new Simulation({ seed: 1 });
      const store = new FencedStore<string>(sim, "storage", { scope });
      const writer = new Entity(sim, "writer");
      const log: string[] = [];
      writer.start(function* () {
        for (const [key, token] of [
          ["x", 2],
          ["x", 2],
          ["y", 1],
          ["x", 1],
          ["x", 3],
        ] as const) {
          try {
            yield* writer.call(store, "put", { key, value: `${key}${token}`, token });
            log.push(`${key}${token} ok`);
          } catch (error) {
            log.push(`${key}${token} ${outcome(error)}`);
          }
        }
        log.push(`x=${yield* writer.call(store, "get", { key: "x" })}`);
      });
      sim.run();
      const refused = `refused(${STALE_TOKEN})`;
      expect(log).toEqual([
        "x2 ok",
        "x2 ok",
        scope === "store" ? `y1 ${refused}` : "y1 ok",
        `x1 ${refused}`,
        "x3 ok",
        "x=x3",
      ]);
    }
  });
});

componentLaws<DistributedLock>({
  type: DistributedLock,
  options: () => ({ ttl: 0.5, wait: 0.2, clock: { offset: 1, driftPpm: 50 }, backend: undefined }),
  construct: (sim, name, options) =>
    new DistributedLock(sim, name, options as DistributedLockOptions),
  invalid: [{ ttl: -1 }, { wait: "long" }, { clock: { offset: Number.NaN } }, { backend: 3 }],
  scenario(sim) {
    const lock = new DistributedLock(sim, SUBJECT, { ttl: 0.2, wait: 0.3 });
    for (let i = 0; i < 3; i++) {
      const self = new Entity(sim, `worker-${i}`);
      const handle = new LockClient(lock, self, { timeout: 0.2 });
      self.start(function* () {
        for (let turn = 0; turn < 20; turn++) {
          try {
            const lease = yield* handle.acquire("job");
            yield 0.05;
            if (turn % 3 === 0) yield* handle.renew(lease);
            if (turn % 4 !== 0) yield* handle.release(lease);
          } catch {
            yield 0.05;
          }
        }
      });
    }
    return lock;
  },
  crashAt: 1,
  recoverAt: 1.3,
  identities: (lock) => {
    const s = lock.stats;
    return [
      [
        "requests = granted + regranted + renewed + released + notHeld + rejected + leasesLost + unavailable + invalid + lostWaiting + queued",
        s.requests,
        s.granted +
          s.regranted +
          s.renewed +
          s.released +
          s.notHeld +
          s.rejected +
          s.leasesLost +
          s.unavailable +
          s.invalid +
          s.lostWaiting +
          s.queued,
      ],
    ];
  },
});

componentLaws<FencedStore<number>>({
  type: FencedStore,
  options: () => ({ scope: "key" }),
  construct: (sim, name, options) =>
    new FencedStore<number>(sim, name, options as FencedStoreOptions),
  invalid: [{ scope: "row" }],
  scenario(sim) {
    const store = new FencedStore<number>(sim, SUBJECT);
    for (let i = 0; i < 2; i++) {
      const self = new Entity(sim, `writer-${i}`);
      self.start(function* () {
        for (let n = 0; n < 30; n++) {
          yield 0.05;
          try {
            yield* self.call(
              store,
              n % 2 === 0 ? "put" : "get",
              { key: "k", value: n, token: n + i },
              { timeout: 0.1 },
            );
          } catch {
            // Refused (stale) or lost in the crash.
          }
        }
      });
    }
    return store;
  },
  crashAt: 0.5,
  recoverAt: 0.8,
  identities: (store) => [
    [
      "requests = reads + writes + fenced",
      store.stats.requests,
      store.stats.reads + store.stats.writes + store.stats.fenced,
    ],
  ],
});
