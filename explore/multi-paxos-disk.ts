/**
 * Check model of the key-value store on Multi-Paxos with snapshots and failing disks
 * (`distsim check explore/multi-paxos-disk.ts --seeds 5000`): `explore/multi-paxos-snapshots.ts`
 * with, on top of its faults, power losses of a node's disk alone (the node runs on) and full
 * disks. A node whose write fails crash-stops (its memory may be ahead of its disk); a
 * supervisor (systemd, a pod's restart policy) brings a crash-stopped node back 0.1 s later,
 * and it replays what its disk kept. The same checks: a linearizable history, applied
 * prefixes that agree, writes after the heal.
 *
 * It imports the sources by path, so worker threads load it under tsx with no build.
 */
import {
  Entity,
  type FaultScheduleSpec,
  type ModelBuilder,
  MultiPaxosNode,
  randomFaultSchedule,
} from "../src/index.js";
import { makeBuild, faults as networkAndNodeFaults } from "./multi-paxos.js";
import { SNAPSHOT_EVERY } from "./multi-paxos-snapshots.js";

export {
  checks,
  LINEARIZABLE,
  liveness,
  PREFIXES_AGREE,
  safety,
  shrinkable,
} from "./multi-paxos.js";

const NODES = ["m1", "m2", "m3"];
const DISKS = NODES.map((name) => `${name}.disk`);
const HORIZON = 2.5;
const RESTART_AFTER_S = 0.1;

const cluster = makeBuild(
  (sim, name, options) =>
    new MultiPaxosNode(sim, name, { ...options, snapshotEvery: SNAPSHOT_EVERY }),
);

const build: ModelBuilder = (input) => {
  const sim = cluster(input);
  // Restarts what stopped itself (a process crash), not what the fault schedule crashed.
  const supervisor = new Entity(sim, "restarter");
  const check = () => {
    for (const name of NODES) {
      const node = sim.entity(name)!;
      if (!node.isUp && node.crashKind === "process") node.recover();
    }
    supervisor.after(RESTART_AFTER_S, check, undefined, { daemon: true });
  };
  supervisor.at(RESTART_AFTER_S / 2, check);
  return sim;
};
export default build;

export function faults(seed: number): FaultScheduleSpec {
  const disks = randomFaultSchedule({
    // Its own draws, so the other faults land as in explore/multi-paxos.ts.
    seed: seed + 7777,
    horizon: HORIZON,
    classes: [
      {
        name: "disk-power",
        targets: DISKS,
        maxConcurrent: 1,
        kinds: [{ kind: "crash" }],
        timeBetweenFailures: 0.5,
        timeToRepair: 0.02,
      },
      {
        name: "disk-full",
        targets: DISKS,
        maxConcurrent: 1,
        kinds: [{ kind: "disk-full" }],
        timeBetweenFailures: 1,
        timeToRepair: 0.1,
      },
    ],
  });
  return { faults: [...networkAndNodeFaults(seed).faults, ...disks.faults] };
}
