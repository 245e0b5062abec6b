/** `disk-slow`: every operation of each target `Disk` takes `params.factor` times as long until the fault ends. */

import { diskFaults, disksOf } from "./disk.js";
import { checkParamNames, type FaultKind, numberParam } from "./kind.js";

export const diskSlow: FaultKind = {
  name: "disk-slow",
  description: "each target Disk's latencies x params.factor until the fault ends",
  check(fault, index, sim) {
    disksOf(fault, index, sim);
    checkParamNames(fault, index, ["factor"]);
    numberParam(fault, index, "factor", { above: 0 });
  },
  activate(fault, context) {
    const factor = numberParam(fault, context.index, "factor", { above: 0 })!;
    return diskFaults(
      disksOf(fault, context.index, context.sim),
      "disks",
      `latency x${factor}`,
      ["completed"],
      (disk) => disk.slow(factor),
    );
  },
};
