/**
 * PrimaryBackupReplication: what each replication mode costs in write latency and buys in
 * durability when the primary crashes.
 *
 * Scenario: a primary and two backups on a datacenter network; each node's store takes
 * ~2 ms a write (lognormal). The primary applies its clients' writes in parallel; a backup
 * applies the log one entry at a time (MySQL's single applier thread), so under load it falls
 * behind. Eight writers each write keys of their own back to back (2 ms apart). At 1 s the
 * primary crashes for good; 0.25 s without its heartbeats later the most up-to-date backup is
 * promoted. Each mode runs over 50 seeds.
 *
 * Columns: write latency (p50, p99, acknowledged writes only), the backups' replication lag
 * (p99: from a write's append on the primary to a backup's acknowledgement of it), the
 * acknowledged writes the new primary lacked at the failover (summed over the seeds), and in
 * how many seeds some were lost.
 *
 *   - async acknowledges once the primary applied a write: a p50 of 4 ms, but the backups run
 *     at their serial pace, most of a second behind by the crash, and every seed loses
 *     acknowledged writes (about 120 each);
 *   - sync waits for both backups: the writers are slowed to the backups' pace (p50 16 ms,
 *     and the lag stays at the write latency), and no acknowledged write is lost;
 *   - semi-sync waits for one backup: here hardly faster than sync, since both backups apply
 *     at the same pace, and it loses none either: the most up-to-date backup is promoted, and
 *     it has every write the other one acknowledged (a backup that acknowledged writes and
 *     then became unreachable would take them with it: explore/primary-backup.ts finds that).
 *
 * Run: npx tsx --conditions=distsim-source examples/replication/replication-lag.ts
 */
import {
  conditions,
  dist,
  Entity,
  Histogram,
  Network,
  NetworkLink,
  PrimaryBackupReplication,
  RemoteError,
  type ReplicationMode,
  Simulation,
} from "distsim";
import { formatTable } from "../support/table.js";

const SEEDS = 50;
const WRITERS = 8;
const THINK_S = 0.002;
const CRASH_AT_S = 1;
const RUN_UNTIL_S = 1.5;
const WRITE = dist.lognormal({ median: 0.002, sigma: 0.5 });

class Writer extends Entity {
  constructor(
    sim: Simulation,
    name: string,
    private readonly pb: PrimaryBackupReplication<number>,
  ) {
    super(sim, name);
    this.start(this.work);
  }
  private *work() {
    for (let i = 0; ; i++) {
      yield THINK_S;
      try {
        yield* this.pb.put(`${this.name}-${i}`, i);
      } catch (error) {
        if (!(error instanceof RemoteError)) throw error;
      }
    }
  }
}

interface Outcome {
  readonly latency: Histogram;
  readonly lag: Histogram;
  readonly lost: number;
}

function run(mode: ReplicationMode, seed: number): Outcome {
  const sim = new Simulation({ seed });
  new Network(sim, "net", { defaultLink: new NetworkLink(sim, "lan", conditions.datacenter()) });
  const pb = new PrimaryBackupReplication<number>(sim, "pb", {
    backups: 2,
    mode,
    store: { writeLatency: WRITE },
  });
  for (let i = 0; i < WRITERS; i++) new Writer(sim, `w${i}`, pb);
  sim.at(CRASH_AT_S, () => pb.nodes[0]!.crash());
  sim.run({ until: RUN_UNTIL_S });
  return {
    latency: pb.writeLatencyHistogram,
    lag: pb.replicationLag,
    lost: pb.stats.lostOnFailover,
  };
}

const ms = (seconds: number) => (seconds * 1000).toFixed(2);
const rows: string[][] = [];
const lostByMode = new Map<ReplicationMode, number>();
for (const mode of ["sync", "semiSync", "async"] as const) {
  const latency = new Histogram();
  const lag = new Histogram();
  let lost = 0;
  let seedsLosing = 0;
  for (let seed = 1; seed <= SEEDS; seed++) {
    const outcome = run(mode, seed);
    latency.merge(outcome.latency);
    lag.merge(outcome.lag);
    lost += outcome.lost;
    if (outcome.lost > 0) seedsLosing++;
  }
  lostByMode.set(mode, lost);
  rows.push([
    mode,
    ms(latency.p50),
    ms(latency.p99),
    ms(lag.p99),
    String(lost),
    `${seedsLosing}/${SEEDS}`,
  ]);
}

console.log(
  formatTable(
    [
      "mode",
      "write p50 (ms)",
      "write p99 (ms)",
      "lag p99 (ms)",
      "acked writes lost",
      "seeds losing",
    ],
    rows,
  ),
);
console.log(
  `\nVerdict: sync lost ${lostByMode.get("sync")} acknowledged writes to the primary crash, semi-sync ${lostByMode.get("semiSync")}, async ${lostByMode.get("async")}: each step down in write latency is paid for in writes a failover can lose.`,
);
