/**
 * Check model: explore/raft.ts's key-value store on Raft with lease reads, under a nemesis
 * that adds what lease reads are sensitive to, for `distsim check`, `npm run explore` and
 * test/components/consensus/raftLeaseExplore.test.ts. Same checks: one leader per term,
 * committed entries agree, linearizable (the gets are served from the leader's lease whenever
 * it holds).
 *
 * Every node has check-quorum and `leaseReads` (pre-vote on even seeds), snapshots every 2
 * applied entries (so a node that lags or restarts is sent InstallSnapshot) and one entry or 64
 * per AppendEntries. The nemesis, drawn from the seed:
 *
 * - clocks: every node's clock runs `driftPpm` fast or slow for spells of about 2 s, often
 *   overlapping, so two clocks differ by up to 2 x `driftPpm`. At the default 4,000 ppm that is
 *   0.8%, inside the lease's `leaseDriftBound` (1%): lease reads must stay linearizable. Past it
 *   (`raftLeaseModel({ driftPpm: 100_000 })`) they need not, and the checker finds stale reads
 *   (raftLeaseExplore.test.ts shows it; this is not a model `npm run explore` runs);
 * - fast restarts: a crash (host or process) back within 1 to 120 ms, less than the least
 *   election timeout (150 ms), so a follower that acked the leader's heartbeat is back while
 *   that leader's lease still rests on the ack (how a reviewer found lease reads going stale
 *   after a follower restart: raftLease.test.ts);
 * - explore/raft.ts's node faults (crashes of both kinds, pauses, clock steps), random
 *   partitions, one-way cuts, loss and duplication.
 */
import { dist, type FaultScheduleSpec, randomFaultSchedule } from "../src/index.js";
import { NETWORK, type RaftModelOptions, raftModel } from "./raft.js";

const HORIZON = 4;
/** Inside the lease's bound: two clocks differ by at most 2 x 4,000 ppm = 0.8% < 1%. */
export const DRIFT_PPM = 4_000;

/** Node faults, fast restarts, drifting clocks, partitions, one-way cuts, loss, duplication. */
export function leaseFaults(
  seed: number,
  members: readonly string[],
  driftPpm = DRIFT_PPM,
): FaultScheduleSpec {
  const nodes = members.length;
  const cutFrom = members[seed % nodes]!;
  return randomFaultSchedule({
    seed,
    horizon: HORIZON,
    classes: [
      {
        name: "nodes",
        targets: members,
        timeBetweenFailures: 2,
        timeToRepair: 0.4,
        maxConcurrent: nodes - 1,
        kinds: [
          { kind: "crash", weight: 2 },
          { kind: "crash", params: { kind: "process" } },
          { kind: "pause" },
          { kind: "clock-step", params: { by: 0.2 } },
        ],
      },
      {
        name: "fast restarts",
        targets: members,
        timeBetweenFailures: 1.5,
        timeToRepair: dist.uniform(0.001, 0.12),
        kinds: [{ kind: "crash" }, { kind: "crash", params: { kind: "process" } }],
      },
      {
        name: "clocks",
        targets: members,
        timeBetweenFailures: 1,
        timeToRepair: 2,
        kinds: [
          { kind: "clock-drift", params: { ppm: driftPpm } },
          { kind: "clock-drift", params: { ppm: -driftPpm } },
        ],
      },
      {
        name: "partitions",
        targets: [NETWORK],
        timeBetweenFailures: 1.5,
        timeToRepair: 0.6,
        partition: { nodes: members },
      },
      {
        name: "network",
        targets: [NETWORK],
        timeBetweenFailures: 1.5,
        timeToRepair: 0.5,
        kinds: [
          { kind: "loss", params: { probability: 0.2 } },
          { kind: "duplication", params: { probability: 0.3 } },
          {
            kind: "partition-one-way",
            params: { from: [cutFrom], to: members.filter((m) => m !== cutFrom) },
          },
        ],
      },
    ],
  });
}

export interface RaftLeaseModelOptions
  extends Pick<RaftModelOptions, "createNode" | "clients" | "operations" | "thinkTime"> {
  /** How fast or slow a drifting clock runs, ppm. Default 4,000 (inside the lease's 1% bound). */
  readonly driftPpm?: number;
}

/** The model, on RaftNode or a variant, with the clocks drifting `driftPpm`. */
export function raftLeaseModel(options: RaftLeaseModelOptions = {}) {
  const { driftPpm = DRIFT_PPM, ...rest } = options;
  return raftModel({
    ...rest,
    faults: (seed, members) => leaseFaults(seed, members, driftPpm),
    node: { checkQuorum: true, leaseReads: true, snapshotEvery: 2 },
  });
}

const model = raftLeaseModel();

export const build = model.build;
export const safety = model.safety;
export const faults = model.faults;
export const shrinkable = model.shrinkable;
