/**
 * `disk-lie-on-sync`: each target `Disk`'s syncs report success without making anything durable
 * until the fault ends ("fsync lied"): the writes they acknowledged are lost at the next power
 * loss unless a true sync covers them first.
 */

import { diskFaults, disksOf } from "./disk.js";
import { checkParamNames, type FaultKind } from "./kind.js";

export const diskLieOnSync: FaultKind = {
  name: "disk-lie-on-sync",
  description: "each target Disk's syncs acknowledge without flushing until the fault ends",
  check(fault, index, sim) {
    disksOf(fault, index, sim);
    checkParamNames(fault, index, []);
  },
  activate(fault, context) {
    return diskFaults(
      disksOf(fault, context.index, context.sim),
      "disks",
      "",
      ["liedSyncs", "lostAcknowledged"],
      (disk) => disk.lieOnSync(),
    );
  },
};
