/**
 * Check model: explore/raft.ts's key-value store on Raft while its membership changes under
 * the nemesis, for `distsim check`, `npm run explore` and
 * test/components/consensus/raftReconfigExplore.test.ts. Same checks: one leader per term,
 * committed entries agree (no committed entry lost or changed across adds and removes: every
 * node that applies an index, whenever it joined, applies the same entry), linearizable.
 *
 * Three nodes start in the configuration and a fourth outside it (built with `members: []`, as
 * a joining node is). An admin changes the configuration by one server every 0.5 s on average,
 * on whichever node says it leads: it adds a node outside or removes one inside, the leader
 * included, keeping at least two, so configurations of 2, 3 and 4 nodes follow each other and
 * a node is removed and added back with its old log (or after a crash, without). The clients
 * know all four nodes. Nodes snapshot every 2 applied entries on odd seeds (a node added back
 * or restarted is sent InstallSnapshot); pre-vote and check-quorum on even seeds; lease reads
 * on every third seed. The nemesis is explore/raft-lease.ts's (node faults, fast restarts,
 * clocks drifting inside the lease's bound, partitions, one-way cuts, loss, duplication) over
 * all four nodes.
 */

import { type RaftModelOptions, raftModel } from "./raft.js";
import { leaseFaults } from "./raft-lease.js";

/** The model, on RaftNode or a variant (`createNode`). */
export function raftReconfigModel(
  options: Pick<RaftModelOptions, "createNode" | "clients" | "operations"> = {},
) {
  return raftModel({
    ...options,
    nodes: 3,
    reconfigure: { spares: 1, every: 0.5, minMembers: 2 },
    faults: leaseFaults,
    nodeFromSeed: (seed) => ({
      snapshotEvery: seed % 2 === 1 ? 2 : 0,
      ...(seed % 3 === 0 ? { checkQuorum: true, leaseReads: true } : {}),
    }),
  });
}

const model = raftReconfigModel();

export const build = model.build;
export const safety = model.safety;
export const faults = model.faults;
export const shrinkable = model.shrinkable;
