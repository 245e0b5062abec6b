/**
 * `disk-corrupt`: at `at`, one record on each target `Disk`'s medium flips (latent corruption):
 * `params.file`'s record `params.index`, or one drawn from the disk's stream "faults". A read of
 * it fails its checksum, or returns it silently wrong without one; the damage stays until the
 * record is written again (the fault's end only closes its row). A disk with no record on its
 * medium (nothing synced yet) is left alone, and said so in the detail.
 */

import { diskFaults, disksOf } from "./disk.js";
import { checkParamNames, type FaultKind, numberParam } from "./kind.js";
import { type FaultSpec, faultFieldError } from "./spec.js";

function where(fault: FaultSpec, index: number): { file: string; index: number } | undefined {
  const file = fault.params?.file;
  const record = numberParam(fault, index, "index", { min: 0, integer: true, optional: true });
  if (file === undefined && record === undefined) return undefined;
  if (typeof file !== "string" || file === "") {
    throw faultFieldError(index, "params.file", "a file name (with params.index)", file);
  }
  if (record === undefined) {
    throw faultFieldError(index, "params.index", "a record index (with params.file)", record);
  }
  return { file, index: record };
}

export const diskCorrupt: FaultKind = {
  name: "disk-corrupt",
  description:
    "flips one record on each target Disk's medium (params.file and params.index, or one drawn)",
  check(fault, index, sim) {
    disksOf(fault, index, sim);
    checkParamNames(fault, index, ["file", "index"]);
    where(fault, index);
  },
  activate(fault, context) {
    const target = where(fault, context.index);
    const untouched: string[] = [];
    const active = diskFaults(
      disksOf(fault, context.index, context.sim),
      "corruptedRecords",
      target === undefined ? "" : `${target.file}[${target.index}]`,
      ["checksumFailures", "silentCorruptions"],
      (disk) => {
        try {
          return disk.corrupt(target);
        } catch (error) {
          // No such record on the medium (by name: the disk may come from another copy of
          // distsim's modules, so instanceof cannot tell).
          if ((error as Error).name !== "SimulationError") throw error;
          untouched.push(disk.name);
          return null;
        }
      },
    );
    if (untouched.length === 0) return active;
    const note = `no record to corrupt on ${untouched.join(",")}`;
    return { ...active, detail: active.detail === "" ? note : `${active.detail}; ${note}` };
  },
};
