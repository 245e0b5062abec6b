/**
 * Check model of the key-value store on Multi-Paxos with snapshots (`distsim check
 * explore/multi-paxos-snapshots.ts --seeds 5000`): `explore/multi-paxos.ts` with every node
 * snapshotting every 3 applied slots, so each run takes many snapshots and rewrites each
 * node's log several times under the same faults. Crashes land before, during and after a log
 * rewrite; a restarted or cut-off node falls behind the others' snapshots and catches up by a
 * snapshot transfer; a candidate's phase 1 meets acceptors that dropped the slots it asks for.
 * The same checks: a linearizable history, applied prefixes that agree, writes after the heal.
 *
 * It imports the sources by path, so worker threads load it under tsx with no build.
 */
import { MultiPaxosNode } from "../src/index.js";
import { makeBuild } from "./multi-paxos.js";

export {
  checks,
  faults,
  LINEARIZABLE,
  liveness,
  PREFIXES_AGREE,
  safety,
  shrinkable,
} from "./multi-paxos.js";

/** Small, so a run of about 40 slots snapshots a dozen times. */
export const SNAPSHOT_EVERY = 3;

const build = makeBuild(
  (sim, name, options) =>
    new MultiPaxosNode(sim, name, { ...options, snapshotEvery: SNAPSHOT_EVERY }),
);
export default build;
