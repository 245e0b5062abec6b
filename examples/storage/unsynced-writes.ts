/**
 * Disk and DurableLog: what a write acknowledged before it is synced costs when the power goes.
 *
 * Scenario: 4 writers put new keys into a KVStore back to back (1 ms of work per write) for
 * 8 s. The store logs every change to a write-ahead log on its disk (fsync ~2 ms, lognormal),
 * and the host loses power at 2, 4 and 6 s, back 0.5 s later. Four sync policies:
 *
 *   1. Sync every write: a write is answered once its log record is durable. Each write waits
 *      for a sync, so the writers go at the disk's flush rate (syncs run one at a time and the
 *      writers waiting share the next: group commit), under a quarter of the throughput (each
 *      write waits for the end of the sync running when it arrives, then a whole one); and no
 *      acknowledged write is ever lost.
 *   2. Sync every 10 ms: a write is answered once it is in the disk's buffer, at full speed;
 *      a power loss takes what arrived since the last sync: about half an interval of writes.
 *   3. Sync every 100 ms: the same speed, ten times the loss.
 *   4. Never sync: nothing ever reaches the medium; every crash takes everything written
 *      before it.
 *
 * Columns: writes acknowledged per second, the p99 of a write (arrival to answer), syncs run,
 * acknowledged writes missing after the restarts (the data loss a user sees), and the writes
 * the disk lost in the crashes (acknowledged or not, torn included).
 *
 * Run: npx tsx --conditions=distsim-source examples/storage/unsynced-writes.ts
 */
import { dist, Entity, KVStore, RemoteError, Simulation, type SyncPolicy } from "distsim";
import { formatTable } from "../support/table.js";

const SEED = 3;
const WRITERS = 4;
const WRITE_WORK_S = 0.001;
const FSYNC = dist.lognormal({ median: 0.002, sigma: 0.5 });
const RUN_FOR_S = 8;
const CRASHES_AT_S = [2, 4, 6];
const DOWN_FOR_S = 0.5;

function run(sync: SyncPolicy): string[] {
  const sim = new Simulation({ seed: SEED });
  const db = new KVStore<number>(sim, "db", {
    writeLatency: WRITE_WORK_S,
    durable: { disk: { syncLatency: FSYNC }, sync },
  });
  const disk = db.disk!;
  /** Keys whose write was acknowledged and not yet checked after a crash. */
  const acknowledged: string[] = [];
  let lostAcknowledged = 0;
  for (let w = 0; w < WRITERS; w++) {
    const writer = new Entity(sim, `writer-${w}`);
    writer.start(function* () {
      for (let seq = 0; ; seq++) {
        const key = `w${w}-${seq}`;
        try {
          yield* db.put(key, seq);
          acknowledged.push(key);
        } catch (error) {
          if (!(error instanceof RemoteError)) throw error;
          yield DOWN_FOR_S / 10; // the store is down: try again shortly
        }
      }
    });
  }
  for (const at of CRASHES_AT_S) {
    sim.at(at, () => db.crash());
    sim.at(at + DOWN_FOR_S, () => {
      db.recover();
      // What the users were told is stored, and is not there after the restart.
      for (const key of acknowledged) if (!db.has(key)) lostAcknowledged++;
      acknowledged.length = 0;
    });
  }
  sim.run({ until: RUN_FOR_S });
  const puts = db.stats.puts;
  return [
    typeof sync === "string" ? sync : `every ${sync.interval * 1000} ms`,
    (puts / RUN_FOR_S).toFixed(0),
    (db.latencyOf("put").p99 * 1000).toFixed(1),
    String(disk.stats.syncs),
    lostAcknowledged.toLocaleString("en-US"),
    disk.stats.lostWrites.toLocaleString("en-US"),
  ];
}

const policies: SyncPolicy[] = ["everyWrite", { interval: 0.01 }, { interval: 0.1 }, "never"];
console.log(
  `${WRITERS} writers into a KVStore (${WRITE_WORK_S * 1000} ms per write) logging to a disk (fsync median 2 ms); ` +
    `power lost at ${CRASHES_AT_S.join(", ")} s for ${DOWN_FOR_S} s; ${RUN_FOR_S} s (seed ${SEED})\n`,
);
console.log(
  formatTable(
    ["sync", "writes/s", "p99 write (ms)", "syncs", "acknowledged lost", "disk writes lost"],
    policies.map(run),
  ),
);
