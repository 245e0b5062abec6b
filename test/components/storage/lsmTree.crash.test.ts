/**
 * Goal: an LSMTree survives a crash at any instant of its work. After a power loss at every
 * event boundary of a scripted workload (writes racing flushes, compactions and manifest
 * commits), the recovered engine holds every write acknowledged under "everyWrite" (and under
 * group commit), nothing that was never written, and for each writer a prefix of its writes in
 * order; the write-ahead log on the medium is in sequence order; a torn last record is
 * detected and dropped.
 * Method: two writers on disjoint keys, each sequential, against a tree with a tiny memtable
 * (a flush every few writes) and leveled compaction; the run is cut after k events for every
 * k, the tree crashed (its disk loses power: unsynced writes lost, the last maybe torn) and
 * recovered, and a scan through the engine compared with the writers' own record of what they
 * issued and what was acknowledged (an oracle that shares no code with the engine).
 */
import { describe, expect, it } from "vitest";
import {
  dist,
  Entity,
  LSMTree,
  leveledCompaction,
  RemoteError,
  Simulation,
  type WalSyncPolicy,
} from "../../../src/index.js";

const WRITERS = 2;
const OPS = 24;

interface Op {
  readonly key: string;
  /** undefined: a delete. */
  readonly value: number | undefined;
}

/** Writer w's script: puts over 5 keys, with a delete every fourth op. */
function script(w: number): Op[] {
  const ops: Op[] = [];
  for (let i = 0; i < OPS; i++) {
    const key = `w${w}-k${(i * 3) % 5}`;
    ops.push({ key, value: i % 4 === 3 ? undefined : w * 1000 + i });
  }
  return ops;
}

function build(seed: number, sync: WalSyncPolicy) {
  const sim = new Simulation({ seed });
  const db = new LSMTree<number>(sim, "db", {
    memtableBytes: 60,
    blockBytes: 40,
    valueBytes: 4,
    sync,
    compaction: leveledCompaction({ l0Trigger: 2, tableBytes: 60, levelBytes: 120, fanout: 2 }),
    disk: {
      writeLatency: dist.exponential(0.0001),
      syncLatency: dist.exponential(0.001),
      readLatency: dist.exponential(0.0002),
      tornWriteProbability: 0.7,
    },
  });
  const issued: number[] = new Array(WRITERS).fill(0);
  const acknowledged: number[] = new Array(WRITERS).fill(0);
  /** Set at the crash: the writers issue nothing more (the check reads what the crash left). */
  const run = { stopped: false };
  for (let w = 0; w < WRITERS; w++) {
    const ops = script(w);
    new Entity(sim, `writer-${w}`).start(function* () {
      for (const op of ops) {
        if (run.stopped) return;
        issued[w]!++;
        try {
          if (op.value === undefined) yield* db.delete(op.key);
          else yield* db.put(op.key, op.value);
        } catch (error) {
          if (error instanceof RemoteError) return; // the tree crashed: this writer stops
          throw error;
        }
        acknowledged[w]!++;
        yield 0.0003;
      }
    });
  }
  return { sim, db, issued, acknowledged, run };
}

/** The state after writer w's first n ops. */
function prefixState(w: number, n: number): Map<string, number> {
  const state = new Map<string, number>();
  for (const op of script(w).slice(0, n)) {
    if (op.value === undefined) state.delete(op.key);
    else state.set(op.key, op.value);
  }
  return state;
}

function sameState(a: Map<string, number>, b: Map<string, number>): boolean {
  if (a.size !== b.size) return false;
  for (const [key, value] of a) if (b.get(key) !== value) return false;
  return true;
}

describe("LSMTree: a crash at every event boundary", () => {
  for (const sync of ["everyWrite", { batch: 2, window: 0.0005 }] as const) {
    it(`recovers every acknowledged write and nothing else (sync ${JSON.stringify(sync)})`, () => {
      const full = build(7, sync);
      const total = full.sim.run().eventsProcessed;
      expect(full.db.stats.flushes).toBeGreaterThan(5);
      expect(full.db.stats.compactions).toBeGreaterThan(1);
      let torn = 0;
      let dropped = 0;
      let durableBeyondAcknowledged = 0;
      for (let k = 1; k <= total; k++) {
        const { sim, db, issued, acknowledged, run } = build(7, sync);
        sim.run({ maxEvents: k });
        const at = `crash after ${k} of ${total} events`;
        const ackedAtCrash = [...acknowledged];
        const issuedAtCrash = [...issued];
        run.stopped = true;
        db.crash();
        torn += db.disk.stats.tornWrites;
        db.recover();
        dropped += db.wal.stats.droppedOnReplay;
        // The log on the medium, segment by segment, is in sequence order.
        const seqs: number[] = [];
        const walFiles = db.disk
          .files()
          .filter((f) => f.startsWith(`${db.wal.file}.`))
          .sort((a, b) => Number(a.split(".").pop()) - Number(b.split(".").pop()));
        for (const file of walFiles) {
          for (const r of db.disk.records(file)) seqs.push((r.value as { seq: number }).seq);
        }
        for (let i = 1; i < seqs.length; i++) expect(seqs[i], at).toBeGreaterThan(seqs[i - 1]!);
        // What the engine answers now, through its reads (tables' blocks, memtable).
        let recovered: { key: string; value: number }[] = [];
        new Entity(sim, "checker").start(function* () {
          recovered = yield* db.scan({ limit: 1000 });
        });
        sim.run();
        for (let w = 0; w < WRITERS; w++) {
          const mine = new Map(
            recovered.filter((e) => e.key.startsWith(`w${w}-`)).map((e) => [e.key, e.value]),
          );
          // Some prefix of the writer's ops, at least its acknowledged ones, at most its issued.
          let matched = -1;
          for (let n = ackedAtCrash[w]!; n <= issuedAtCrash[w]!; n++) {
            if (sameState(prefixState(w, n), mine)) {
              matched = n;
              break;
            }
          }
          expect(
            matched,
            `${at}: writer ${w} state ${JSON.stringify([...mine])}`,
          ).toBeGreaterThanOrEqual(ackedAtCrash[w]!);
          if (matched > ackedAtCrash[w]!) durableBeyondAcknowledged++;
        }
      }
      // The cuts reached every phase: torn log records were found and dropped.
      expect(torn, "some crashes tore a write").toBeGreaterThan(0);
      expect(dropped, "some torn log records were dropped on replay").toBeGreaterThan(0);
      expect(durableBeyondAcknowledged).toBeGreaterThan(0);
    });
  }
});
