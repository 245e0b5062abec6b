/**
 * LSMTree: a compaction storm, seen as a spike in the p99 of reads.
 *
 * Scenario: an LSM tree (leveled, fanout 4) takes a steady load for 2 s: 4 readers get random
 * keys and 2 writers put 100-byte values (each 0.5 ms apart on average). Its disk serves one
 * read or flush at a time (30 MB/s). Every few flushes, level 0 fills and the background
 * compaction reads and rewrites tens of KB, now and then a cascade into deeper levels rewrites
 * more; while its reads and its flushes hold the disk, every foreground read waits behind them.
 * The median hardly moves, the p99 jumps in exactly the intervals where compaction moved bytes.
 *
 * Columns, per 100 ms interval: gets answered, their p50 and p99 (ms), and KB the compaction
 * read and wrote in the interval. It also writes reports/compaction-storm.html, where two
 * probes chart the p99 and the KB compacted per interval over time.
 *
 * Run: npx tsx --conditions=distsim-source examples/storage/compaction-storm.ts
 */
import { Entity, LSMTree, leveledCompaction, Probe, Simulation } from "distsim";
import { reportFromRun, writeReport } from "distsim/report";
import { queuedDevice } from "../support/queuedDevice.js";
import { formatTable, percentile } from "../support/table.js";

const SEED = 11;
const KEYS = 5000;
const RUN_S = 2;
const INTERVAL_S = 0.1;
const READERS = 4;
const WRITERS = 2;
const THINK_S = 0.0005;

const sim = new Simulation({ seed: SEED });
const db = new LSMTree<number>(sim, "db", {
  memtableBytes: 32_000,
  valueBytes: 100,
  sync: { interval: 0.01 },
  compaction: leveledCompaction({ fanout: 4, tableBytes: 32_000, levelBytes: 128_000 }),
  disk: {
    latencyModel: queuedDevice({
      accessSeconds: 0.0001,
      bytesPerSecond: 30e6,
      syncSeconds: 0.0005,
    }),
  },
});
const key = (n: number) => `user:${String(n).padStart(4, "0")}`;
/** Each get's latency, by the interval it finished in. */
const intervals = Math.round(RUN_S / INTERVAL_S);
const getTimes: number[][] = Array.from({ length: intervals }, () => []);
const compacted: number[] = new Array(intervals).fill(0);

for (let w = 0; w < WRITERS; w++) {
  const writer = new Entity(sim, `writer-${w}`);
  const draws = writer.random("load");
  writer.start(function* () {
    while (this.now < RUN_S) {
      yield* db.put(key(draws.integer(KEYS)), 1);
      yield draws.exponential(THINK_S);
    }
  });
}
for (let r = 0; r < READERS; r++) {
  const reader = new Entity(sim, `reader-${r}`);
  const draws = reader.random("load");
  reader.start(function* () {
    while (this.now < RUN_S) {
      const start = this.now;
      yield* db.get(key(draws.integer(KEYS)));
      const slot = Math.floor(this.now / INTERVAL_S);
      if (slot < intervals) getTimes[slot]!.push(this.now - start);
      yield draws.exponential(THINK_S);
    }
  });
}
// Probes at the end of each interval: its p99 and the KB compaction moved in it (charted in
// the report, one chart per unit).
let movedBefore = 0;
new Probe(sim, "KB compacted per interval", {
  interval: INTERVAL_S,
  unit: "KB",
  read: () => {
    const moved = db.stats.compactionBytesRead + db.stats.compactionBytesWritten;
    const slot = Math.round(sim.now / INTERVAL_S) - 1;
    if (slot >= 0 && slot < intervals) compacted[slot] = moved - movedBefore;
    movedBefore = moved;
    return (compacted[slot] ?? 0) / 1000;
  },
});
new Probe(sim, "p99 of gets per interval", {
  interval: INTERVAL_S,
  unit: "ms",
  read: () => {
    const slot = Math.round(sim.now / INTERVAL_S) - 1;
    return slot < 0 ? 0 : percentile(getTimes[slot] ?? [], 0.99) * 1000 || 0;
  },
});
const summary = sim.run();

const rows = getTimes.map((times, i) => [
  `${(i * INTERVAL_S).toFixed(1)}-${((i + 1) * INTERVAL_S).toFixed(1)}s`,
  String(times.length),
  (percentile(times, 0.5) * 1000).toFixed(2),
  (percentile(times, 0.99) * 1000).toFixed(2),
  (compacted[i]! / 1000).toFixed(0),
]);
console.log(
  `LSM tree (leveled, fanout 4), ${READERS} readers and ${WRITERS} writers over ${KEYS} keys, one-queue disk at 30 MB/s, ${RUN_S} s (seed ${SEED})\n`,
);
console.log(formatTable(["interval", "gets", "p50 (ms)", "p99 (ms)", "KB compacted"], rows));
const calm = getTimes.filter((_, i) => compacted[i] === 0).flat();
const busy = getTimes.filter((_, i) => compacted[i]! > 0).flat();
console.log(
  `\np99 of a get: ${(percentile(busy, 0.99) * 1000).toFixed(2)} ms in intervals where compaction moved bytes, ` +
    `${(percentile(calm, 0.99) * 1000).toFixed(2)} ms in the others (p50 ${(percentile(busy, 0.5) * 1000).toFixed(2)} vs ` +
    `${(percentile(calm, 0.5) * 1000).toFixed(2)} ms); ${db.stats.compactions} compactions, write amplification ` +
    `${db.stats.writeAmplification.toFixed(2)}.`,
);
const report = reportFromRun(
  sim,
  summary,
  "Compaction storm",
  `LSM tree (leveled, fanout 4) on a one-queue disk; ${READERS} readers, ${WRITERS} writers; seed ${SEED}.`,
);
const reportPath = writeReport(report, "reports/compaction-storm.html");
console.log(`Report: ${reportPath.slice(reportPath.indexOf("reports/"))}`);
