/** `disk-full`: every write to each target `Disk` fails with `DiskFullError` (ENOSPC) until the fault ends. */

import { diskFaults, disksOf } from "./disk.js";
import { checkParamNames, type FaultKind } from "./kind.js";

export const diskFull: FaultKind = {
  name: "disk-full",
  description: "each target Disk refuses every write (DiskFullError) until the fault ends",
  check(fault, index, sim) {
    disksOf(fault, index, sim);
    checkParamNames(fault, index, []);
  },
  activate(fault, context) {
    return diskFaults(
      disksOf(fault, context.index, context.sim),
      "disks",
      "",
      ["refusedFull"],
      (disk) => disk.fill(),
    );
  },
};
