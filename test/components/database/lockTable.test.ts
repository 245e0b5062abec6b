/**
 * Goal: the lock manager never grants conflicting locks; every waiter is eventually granted or
 * aborted; and deadlock detection aborts exactly when the wait-for graph has a cycle.
 * Method (property tests, fast-check with fixed seeds):
 * 1. The lock table alone, step by step: random interleavings of lock (shared, exclusive, and
 *    upgrades: exclusive on a key held shared), unlock and commit requests from several
 *    transactions (a waiting transaction issues nothing). After every step no key has an
 *    exclusive holder beside another holder, and each owner's view of its locks matches the
 *    keys'. Detection runs on every block or at random "detect" steps; each time, a cycle
 *    found must agree with an independent check: the wait-for graph rebuilt here from the raw
 *    holders and queues, tested for a cycle by Kahn's algorithm (peeling owners that wait for
 *    nobody), not the table's depth-first search; after the victims are aborted the graph is
 *    acyclic. At the end the survivors commit one by one, and every request that ever waited
 *    must have been granted or aborted, with nothing left held or waiting.
 * 2. The LockManager in a simulation: random transactions in processes, with random detection
 *    modes, victim rules and timeouts; sampled every simulated millisecond, no conflicting
 *    grants; at the end every process finished and every acquire ended.
 */
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import {
  chooseVictim,
  conflicts,
  type DeadlockVictimRule,
  type LockMode,
  LockOwner,
  type LockRequest,
  LockTable,
} from "../../../src/components/database/lockTable.js";
import {
  Entity,
  LockManager,
  type LockManagerOptions,
  LockWaitTimeoutError,
  RemoteError,
  Simulation,
} from "../../../src/index.js";

const KEYS = ["a", "b", "c", "d"];

type Op =
  | { readonly kind: "lock"; readonly tx: number; readonly key: number; readonly mode: LockMode }
  | { readonly kind: "unlock"; readonly tx: number; readonly key: number }
  | { readonly kind: "commit"; readonly tx: number }
  | { readonly kind: "detect" };

const op = (transactions: number, keys: number): fc.Arbitrary<Op> =>
  fc.oneof(
    {
      weight: 12,
      arbitrary: fc.record({
        kind: fc.constant("lock" as const),
        tx: fc.nat(transactions - 1),
        key: fc.nat(keys - 1),
        mode: fc.constantFrom<LockMode>("shared", "exclusive"),
      }),
    },
    {
      weight: 1,
      arbitrary: fc.record({
        kind: fc.constant("unlock" as const),
        tx: fc.nat(transactions - 1),
        key: fc.nat(keys - 1),
      }),
    },
    {
      weight: 1,
      arbitrary: fc.record({ kind: fc.constant("commit" as const), tx: fc.nat(transactions - 1) }),
    },
    { weight: 1, arbitrary: fc.constant({ kind: "detect" as const }) },
  );

const scenario = fc
  .record({
    transactions: fc.integer({ min: 2, max: 6 }),
    keys: fc.integer({ min: 1, max: 3 }),
    onBlock: fc.boolean(),
    victim: fc.constantFrom<DeadlockVictimRule>("youngest", "fewestLocks"),
  })
  .chain((shape) =>
    fc.record({
      shape: fc.constant(shape),
      ops: fc.array(op(shape.transactions, shape.keys), {
        minLength: 1,
        maxLength: 80,
        size: "max",
      }),
    }),
  );

/** The wait-for graph rebuilt from the raw holders and queues (not `LockTable.waitsFor`). */
function waitForGraph(table: LockTable): Map<LockOwner, Set<LockOwner>> {
  const graph = new Map<LockOwner, Set<LockOwner>>();
  for (const owner of table.waiters()) {
    const request = owner._waiting!;
    const edges = new Set<LockOwner>();
    for (const [holder, mode] of table.holdersOf(request.key)) {
      if (holder !== owner && (mode === "exclusive" || request.mode === "exclusive")) {
        edges.add(holder);
      }
    }
    const queue = table.queueOf(request.key);
    for (let i = 0; i < queue.indexOf(request); i++) {
      const ahead = queue[i]!;
      if (ahead.owner !== owner && (ahead.mode === "exclusive" || request.mode === "exclusive")) {
        edges.add(ahead.owner);
      }
    }
    graph.set(owner, edges);
  }
  return graph;
}

/** Kahn's algorithm: peel owners that wait for nobody still in the graph; a cycle is what stays. */
function hasCycle(graph: Map<LockOwner, Set<LockOwner>>): boolean {
  const remaining = new Map([...graph].map(([owner, edges]) => [owner, new Set(edges)]));
  // Holders that wait for nothing are sinks: drop edges to owners outside the graph first.
  for (const edges of remaining.values()) {
    for (const target of [...edges]) if (!remaining.has(target)) edges.delete(target);
  }
  let peeled = true;
  while (peeled) {
    peeled = false;
    for (const [owner, edges] of remaining) {
      if (edges.size > 0) continue;
      remaining.delete(owner);
      for (const other of remaining.values()) other.delete(owner);
      peeled = true;
    }
  }
  return remaining.size > 0;
}

function checkNoConflicts(table: LockTable, owners: readonly LockOwner[]): void {
  let held = 0;
  for (const key of table.lockedKeys()) {
    const holders = [...table.holdersOf(key)];
    held += holders.length;
    const exclusive = holders.filter(([, mode]) => mode === "exclusive");
    if (exclusive.length > 0) expect(holders.length, `key ${key}: exclusive and others`).toBe(1);
    for (const [owner, mode] of holders) expect(owner.modeOf(key)).toBe(mode);
    for (const request of table.queueOf(key)) expect(request.owner._waiting).toBe(request);
  }
  expect(table.held).toBe(held);
  for (const owner of owners) {
    for (const [key, mode] of owner._held) expect(table.holdersOf(key).get(owner)).toBe(mode);
  }
}

describe("LockTable (property)", () => {
  it("never grants conflicting locks, detects exactly the cycles, and grants or aborts every waiter", () => {
    fc.assert(
      fc.property(scenario, ({ shape, ops }) => {
        const table = new LockTable();
        let nextId = 0;
        const begin = () => new LockOwner(table, ++nextId, `T${nextId}`, 0);
        const current = Array.from({ length: shape.transactions }, begin);
        const everyOwner = [...current];
        const pending = new Set<LockRequest>();
        const settle = (granted: readonly LockRequest[]) => {
          for (const request of granted) {
            expect(pending.delete(request), "granted once, while waiting").toBe(true);
          }
        };
        const finish = (owner: LockOwner) => {
          if (owner._waiting !== null) pending.delete(owner._waiting); // aborted
          settle(table.releaseAll(owner));
          owner._status = "finished";
          const index = current.indexOf(owner);
          const next = begin();
          current[index] = next;
          everyOwner.push(next);
        };
        /** Runs detection from `starts` (or everything) and checks it against the independent check. */
        const detect = (starts: LockOwner[] | null) => {
          for (;;) {
            const expected = hasCycle(waitForGraph(table));
            const cycle = starts === null ? table.findCycle() : table.findCycle(starts);
            expect(cycle !== null, "a cycle is found exactly when one exists").toBe(expected);
            if (cycle === null) return;
            const graph = waitForGraph(table);
            cycle.forEach((owner, i) => {
              expect(graph.get(owner)!.has(cycle[(i + 1) % cycle.length]!)).toBe(true);
            });
            const victim = chooseVictim(cycle, shape.victim);
            expect(cycle).toContain(victim);
            finish(victim);
          }
        };
        for (const step of ops) {
          if (step.kind === "detect") {
            if (!shape.onBlock) detect(null);
          } else {
            const owner = current[step.tx]!;
            if (owner._waiting !== null) continue; // a waiting transaction issues nothing
            if (step.kind === "lock") {
              const request = table.request(owner, KEYS[step.key]!, step.mode, 0);
              if (request !== null) {
                pending.add(request);
                if (shape.onBlock) detect([owner]);
              } else {
                const held = owner.modeOf(KEYS[step.key]!);
                expect(held === "exclusive" || held === step.mode).toBe(true);
              }
            } else if (step.kind === "unlock") {
              settle(table.release(owner, KEYS[step.key]!));
            } else {
              finish(owner);
            }
          }
          checkNoConflicts(table, everyOwner);
          for (const waiting of table.waiters()) {
            expect(table.waitsFor(waiting).length, "a waiter waits for someone").toBeGreaterThan(0);
            expect(new Set(table.waitsFor(waiting))).toEqual(waitForGraph(table).get(waiting));
          }
          if (shape.onBlock) expect(hasCycle(waitForGraph(table))).toBe(false);
        }
        // Liveness: transactions that are not waiting commit, detection breaks what is left.
        for (let round = 0; table.waiting > 0 || table.held > 0; round++) {
          expect(round, "drains").toBeLessThan(1000);
          const free = current.find((owner) => owner._waiting === null && owner.lockCount > 0);
          if (free !== undefined) finish(free);
          else detect(null);
          checkNoConflicts(table, everyOwner);
        }
        expect(pending.size, "every waiter granted or aborted").toBe(0);
        expect([...table.lockedKeys()]).toEqual([]);
      }),
      { seed: 20261205, numRuns: 400 },
    );
  });

  it("conflicts: shared with shared only", () => {
    expect(conflicts("shared", "shared")).toBe(false);
    expect(conflicts("shared", "exclusive")).toBe(true);
    expect(conflicts("exclusive", "shared")).toBe(true);
    expect(conflicts("exclusive", "exclusive")).toBe(true);
  });
});

describe("LockManager in a simulation (property)", () => {
  it("never grants conflicting locks; every acquire ends and every process finishes", () => {
    const options = fc.record({
      lockWaitTimeout: fc.constantFrom(0.05, 0.2, 1),
      deadlockDetection: fc.constantFrom<LockManagerOptions["deadlockDetection"]>(
        "onBlock",
        "off",
        { interval: 0.03 },
      ),
      deadlockVictim: fc.constantFrom<DeadlockVictimRule>("youngest", "fewestLocks"),
    });
    const transaction = fc.record({
      at: fc.integer({ min: 0, max: 200 }),
      steps: fc.array(
        fc.record({
          key: fc.nat(KEYS.length - 1),
          mode: fc.constantFrom<LockMode | "unlock">("shared", "exclusive", "unlock"),
          hold: fc.integer({ min: 0, max: 30 }),
        }),
        { minLength: 1, maxLength: 5 },
      ),
    });
    fc.assert(
      fc.property(options, fc.array(transaction, { minLength: 2, maxLength: 25 }), (opts, txs) => {
        const sim = new Simulation({ seed: 1 });
        const locks = new LockManager(sim, "locks", opts);
        const worker = new Entity(sim, "worker");
        const ended = { ok: 0, deadlock: 0, timeout: 0 };
        let started = 0;
        const check = () => {
          for (const key of KEYS) {
            const holders = [...locks.holders(key).values()];
            if (holders.includes("exclusive")) expect(holders.length).toBe(1);
          }
          const s = locks.stats;
          expect(s.requests).toBe(
            s.granted +
              s.rejected +
              s.timedOut +
              s.deadlocks +
              s.aborted +
              s.lostToCrash +
              s.queued,
          );
          sim.after(0.001, check, undefined, { daemon: true });
        };
        sim.after(0, check, undefined, { daemon: true });
        for (const tx of txs) {
          sim.at(tx.at / 1000, () => {
            started++;
            worker.start(function* () {
              const owner = locks.begin();
              try {
                for (const step of tx.steps) {
                  const key = KEYS[step.key]!;
                  if (step.mode === "unlock") locks.release(owner, key);
                  else yield* locks.acquire(owner, key, step.mode);
                  if (step.hold > 0) yield step.hold / 1000;
                }
                ended.ok++;
              } catch (error) {
                if (error instanceof LockWaitTimeoutError) ended.timeout++;
                else if (error instanceof RemoteError) ended.deadlock++;
                else throw error;
              } finally {
                locks.releaseAll(owner);
              }
            });
          });
        }
        const summary = sim.run({ maxEvents: 1_000_000 });
        expect(summary.reason).toBe("drained");
        expect(ended.ok + ended.deadlock + ended.timeout).toBe(started);
        expect(worker.liveProcessCount).toBe(0);
        expect(locks.stats).toMatchObject({ held: 0, queued: 0, owners: 0 });
        expect(locks.stats.deadlocks).toBe(ended.deadlock);
        if (opts.deadlockDetection === "off") expect(ended.deadlock).toBe(0);
      }),
      { seed: 20261206, numRuns: 150 },
    );
  });
});
