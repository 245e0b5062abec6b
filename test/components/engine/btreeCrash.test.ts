/**
 * Goal: a BTree is as durable as its redo log and checkpoints made it, no more and no less.
 * After a crash at any event boundary of a scripted workload (a host crash, its disk's power
 * loss alone, a process crash) the recovered tree holds exactly the state of the changes the
 * disk kept: every write acknowledged under "everyWrite", nothing never written, whatever
 * pages were written back, evicted, torn or half-checkpointed at the crash.
 * Method: a scripted client whose every operation is one change (one log record), run with a
 * tiny order, cache and checkpoint interval so splits, evictions, writebacks and checkpoints
 * all happen; the run is cut after k events for every k and the tree crashed and recovered.
 * The oracle reads the disk, not the tree: the number m of changes durable is the last intact
 * checkpoint's sequence number plus the intact change records after it (synced, for a power
 * loss; written, for a process crash, which leaves the disk's buffer), and the recovered tree
 * must hold the fold of the first m operations.
 */
import { describe, expect, it } from "vitest";
import {
  BTree,
  type BTreeDiskRecord,
  type BTreeLogRecord,
  type Disk,
  dist,
  Entity,
  RemoteError,
  Simulation,
  type SyncPolicy,
} from "../../../src/index.js";

type Op = readonly ["put", string, number] | readonly ["delete", string];

/** 36 changes: puts of new and old keys, and deletes of live keys. */
const OPS: readonly Op[] = (() => {
  const ops: Op[] = [];
  const live: string[] = [];
  for (let i = 0; i < 36; i++) {
    if (i % 6 === 5) ops.push(["delete", live.splice((i * 7) % live.length, 1)[0]!]);
    else if (i % 4 === 3) ops.push(["put", live[(i * 3) % live.length]!, i]);
    else {
      const key = `k${String((i * 17) % 40).padStart(2, "0")}`;
      if (!live.includes(key)) live.push(key);
      ops.push(["put", key, i]);
    }
  }
  return ops;
})();

function fold(ops: readonly Op[]): [string, number][] {
  const state = new Map<string, number>();
  for (const op of ops) {
    if (op[0] === "put") state.set(op[1], op[2]);
    else state.delete(op[1]);
  }
  return [...state.entries()].sort(([a], [b]) => (a < b ? -1 : 1));
}

function build(sync: SyncPolicy, seed = 3) {
  const sim = new Simulation({ seed });
  const tree = new BTree<number>(sim, "tree", {
    order: 3,
    cachePages: 3,
    writebackInterval: 0.002,
    checkpointEvery: 7,
    sync,
    disk: {
      readLatency: dist.exponential(0.0002),
      writeLatency: dist.exponential(0.0001),
      syncLatency: dist.exponential(0.001),
    },
  });
  const client = new Entity(sim, "client");
  let acknowledged = 0;
  client.start(function* () {
    for (const op of OPS) {
      try {
        if (op[0] === "put") yield* tree.put(op[1], op[2]);
        else yield* tree.delete(op[1]);
        acknowledged++;
      } catch (error) {
        if (!(error instanceof RemoteError)) throw error;
      }
      yield 0.0002;
    }
  });
  return { sim, tree, acknowledged: () => acknowledged };
}

/** Changes the disk holds in the log (as synced, or as written): from its records alone. */
function durableChanges(disk: Disk<BTreeDiskRecord<number>>, which: "synced" | "written"): number {
  let changes = 0;
  for (const record of disk.records("tree.wal", which)) {
    if (record.damage !== null) break;
    const entry = record.value as BTreeLogRecord<number>;
    changes = entry.op === "checkpoint" ? entry.lsn : changes + 1;
  }
  return changes;
}

const entries = (tree: BTree<number>) => tree.entries().map((e) => [e.key, e.value]);

describe("BTree: a crash at every event boundary", () => {
  for (const sync of ["everyWrite", { interval: 0.003 }] as const) {
    it(`recovers exactly what the disk kept (sync ${JSON.stringify(sync)})`, () => {
      const total = build(sync).sim.run().eventsProcessed;
      expect(total).toBeGreaterThan(200);
      let lostAcknowledged = 0;
      let checkpointsSeen = 0;
      for (let k = 1; k <= total; k++) {
        const at = `crash after ${k} events`;
        // A host crash: the disk loses power with the tree.
        {
          const { sim, tree, acknowledged } = build(sync);
          sim.run({ maxEvents: k });
          const m = durableChanges(tree.disk, "synced");
          const acked = acknowledged();
          checkpointsSeen = Math.max(checkpointsSeen, tree.stats.checkpoints);
          tree.crash();
          tree.recover();
          expect(entries(tree), at).toEqual(fold(OPS.slice(0, m)));
          if (sync === "everyWrite") expect(m, at).toBeGreaterThanOrEqual(acked);
          else if (acked > m) lostAcknowledged++;
          if (k % 3 !== 0) continue;
          // The recovered tree works on: the rest of the script lands on it.
          const client = new Entity(sim, "after");
          client.start(function* () {
            for (const op of OPS.slice(m)) {
              if (op[0] === "put") yield* tree.put(op[1], op[2]);
              else yield* tree.delete(op[1]);
            }
          });
          sim.run();
          expect(entries(tree), `${at}, then the rest`).toEqual(fold(OPS));
        }
        // The disk's power loss alone takes the tree down with it.
        {
          const { sim, tree } = build(sync);
          sim.run({ maxEvents: k });
          const m = durableChanges(tree.disk, "synced");
          tree.disk.crash();
          expect(tree.isUp).toBe(false);
          tree.disk.recover();
          expect(tree.isUp).toBe(true);
          expect(entries(tree), `${at} (power loss)`).toEqual(fold(OPS.slice(0, m)));
        }
        // A process crash: the disk keeps its buffer, written or not.
        {
          const { sim, tree } = build(sync);
          sim.run({ maxEvents: k });
          const m = durableChanges(tree.disk, "written");
          tree.crash({ kind: "process" });
          tree.recover();
          expect(entries(tree), `${at} (process crash)`).toEqual(fold(OPS.slice(0, m)));
        }
      }
      expect(checkpointsSeen).toBeGreaterThanOrEqual(3);
      expect(lostAcknowledged > 0).toBe(sync !== "everyWrite");
    });
  }
});
