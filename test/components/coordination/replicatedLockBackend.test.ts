/**
 * Goal: `RaftLockBackend` and `MultiPaxosLockBackend` keep a `DistributedLock`'s lease table on
 * a consensus cluster, so a grant
 * outlives the crash of the leading lock server: the new leader refuses the lock to another
 * owner while the lease lasts, tokens keep strictly increasing across the failover, a stale
 * holder's write is refused by `FencedStore`, a majority lost makes the service unavailable
 * (never wrong), and bad options fail typed.
 * Method: scripted clients over the cluster's network, answers logged and compared.
 */
import { describe, expect, it } from "vitest";
import {
  ConfigError,
  DistributedLock,
  Entity,
  FencedStore,
  LOCK_UNAVAILABLE,
  LockClient,
  MultiPaxosLockBackend,
  RaftLockBackend,
  RemoteError,
  Simulation,
  STALE_TOKEN,
  TimeoutError,
} from "../../../src/index.js";

function outcome(error: unknown): string {
  if (error instanceof RemoteError) return `refused(${error.reason})`;
  if (error instanceof TimeoutError) return "timeout";
  throw error;
}

type Backend = RaftLockBackend | MultiPaxosLockBackend;

const BACKENDS = [
  {
    kind: "raft",
    create: (sim: Simulation, name: string, options: object = {}): Backend =>
      new RaftLockBackend(sim, name, options),
    badNode: { electionTimeoutMin: -1 },
  },
  {
    kind: "multi-paxos",
    create: (sim: Simulation, name: string, options: object = {}): Backend =>
      new MultiPaxosLockBackend(sim, name, {
        client: { attemptTimeout: 0.2, maxAttempts: 5 },
        ...options,
      }),
    badNode: { heartbeatInterval: -1 },
  },
] as const;

function leaderOf(backend: Backend) {
  const leaders = backend.nodes.filter((node) => node.isLeader);
  expect(leaders).toHaveLength(1);
  return leaders[0]!;
}

/** A lock service on 3 Raft lock servers, and client entities with their handles. */
function service(create: (typeof BACKENDS)[number]["create"], ttl: number) {
  const sim = new Simulation({ seed: 7 });
  const backend = create(sim, "servers");
  const lock = new DistributedLock(sim, "locks", { ttl, backend });
  const store = new FencedStore<string>(sim, "storage");
  const log: string[] = [];
  const clientOf = (name: string) => {
    const self = new Entity(sim, name);
    return { self, handle: new LockClient(lock, self, { timeout: 3 }) };
  };
  return { sim, backend, lock, store, log, clientOf };
}

describe.each(BACKENDS)("$kind lock backend", ({ kind, create, badNode }) => {
  it("keeps a grant across the leader's crash; tokens strictly increase after failover", () => {
    const { sim, backend, lock, log, clientOf } = service(create, 5);
    const a = clientOf("a");
    const b = clientOf("b");
    const tokens: number[] = [];
    a.self.start(function* () {
      yield 1;
      const lease = yield* a.handle.acquire("job");
      tokens.push(lease.token);
      log.push(`a ${lease.token}`);
      yield 1.5;
      log.push(`a released ${yield* a.handle.release(lease)}`);
    });
    b.self.start(function* () {
      yield 1.8;
      try {
        yield* b.handle.acquire("job", { wait: 0 });
      } catch (error) {
        log.push(`b ${outcome(error)}`);
      }
      yield 1;
      for (let turn = 0; turn < 3; turn++) {
        const lease = yield* b.handle.acquire("job", { ttl: 0.2, wait: 1 });
        tokens.push(lease.token);
        yield* b.handle.release(lease);
      }
      log.push("b done");
    });
    let first: string | undefined;
    sim.at(1.2, () => {
      const leader = leaderOf(backend);
      first = leader.name;
      leader.crash();
    });
    sim.run({ until: 6 });
    expect(log).toEqual(["a 1", "b refused(lock busy)", "a released true", "b done"]);
    expect(leaderOf(backend).name).not.toBe(first);
    expect(tokens).toEqual([1, 2, 3, 4]);
    expect(lock.stats.lastToken).toBe(4);
    expect(lock.metrics().backend).toBe(kind);
  });

  it("fences a stale holder whose lease the new leader gave away", () => {
    const { sim, backend, store, log, clientOf } = service(create, 0.5);
    const a = clientOf("a");
    const b = clientOf("b");
    a.self.start(function* () {
      yield 1;
      const lease = yield* a.handle.acquire("job");
      yield* a.self.call(store, "put", { key: "k", value: "a1", token: lease.token });
      // Stalls past its lease (a GC pause): it still believes it may write.
      yield 2;
      try {
        yield* a.self.call(store, "put", { key: "k", value: "a2", token: lease.token });
        log.push("a2 ok");
      } catch (error) {
        log.push(`a2 ${outcome(error)}`);
      }
    });
    b.self.start(function* () {
      yield 2;
      const lease = yield* b.handle.acquire("job", { wait: 1 });
      log.push(`b ${lease.token}`);
      yield* b.self.call(store, "put", { key: "k", value: "b1", token: lease.token });
    });
    sim.at(1.2, () => leaderOf(backend).crash());
    sim.run({ until: 5 });
    expect(log).toEqual(["b 2", `a2 refused(${STALE_TOKEN})`]);
    expect(store.peek("k")).toBe("b1");
  });

  it("refuses requests as unavailable once a majority of lock servers is down", () => {
    const { sim, backend, lock, log, clientOf } = service(create, 1);
    const a = clientOf("a");
    a.self.start(function* () {
      yield 1;
      try {
        yield* a.handle.acquire("job");
      } catch (error) {
        log.push(`a ${outcome(error)}`);
      }
    });
    sim.at(0.9, () => {
      backend.nodes[0]!.crash();
      backend.nodes[1]!.crash();
    });
    sim.run({ until: 5 });
    expect(log).toEqual([`a refused(${LOCK_UNAVAILABLE})`]);
    expect(lock.stats.unavailable).toBe(1);
    expect(lock.stats.lastToken).toBe(0);
  });

  it("is not wedged by a service crash while commands wait their turn in the log", () => {
    const { sim, lock, log, clientOf } = service(create, 5);
    for (const name of ["a", "b", "c"]) {
      const { self, handle } = clientOf(name);
      self.start(function* () {
        yield 1;
        try {
          yield* handle.acquire(name);
        } catch (error) {
          log.push(`${name} ${outcome(error)}`);
        }
      });
    }
    // Lands while a's command is in the log and b's and c's wait their turn (a waiter left
    // in the line after the crash would wedge every later command: d would time out).
    sim.at(1.002, () => lock.crash());
    sim.at(1.1, () => lock.recover());
    const d = clientOf("d");
    d.self.start(function* () {
      yield 2;
      log.push(`d ${(yield* d.handle.acquire("d")).token}`);
    });
    sim.run({ until: 6 });
    // d is granted at 2 s; a, b and c time out at 4 s (their answers were lost with the crash).
    expect(log).toEqual([`d ${lock.stats.lastToken}`, "a timeout", "b timeout", "c timeout"]);
    expect(lock.stats.lastToken).toBeGreaterThanOrEqual(1);
  });

  it("refuses bad options with a ConfigError", () => {
    const sim = new Simulation({ seed: 1 });
    const bad = [
      { nodes: 0 },
      { nodes: 1.5 },
      { network: "net" },
      { node: null },
      { node: badNode },
      { client: { attemptTimeout: 0 } },
    ];
    bad.forEach((options, i) => {
      expect(() => create(sim, `bad-${i}`, options)).toThrow(ConfigError);
    });
  });
});
