/** `disk-read-errors`: each read of each target `Disk` fails (`DiskError` "io") with `params.probability` until the fault ends. */

import { diskFaults, disksOf } from "./disk.js";
import { checkParamNames, type FaultKind, numberParam } from "./kind.js";

const PROBABILITY = { above: 0, max: 1 } as const;

export const diskReadErrors: FaultKind = {
  name: "disk-read-errors",
  description: "each read of each target Disk fails with params.probability until the fault ends",
  check(fault, index, sim) {
    disksOf(fault, index, sim);
    checkParamNames(fault, index, ["probability"]);
    numberParam(fault, index, "probability", PROBABILITY);
  },
  activate(fault, context) {
    const probability = numberParam(fault, context.index, "probability", PROBABILITY)!;
    return diskFaults(
      disksOf(fault, context.index, context.sim),
      "disks",
      `probability ${probability}`,
      ["readErrors"],
      (disk) => disk.readErrors(probability),
    );
  },
};
