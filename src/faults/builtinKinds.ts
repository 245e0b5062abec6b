/**
 * The fault kinds built in, one file each. A new kind (a node's pause, a network's loss) is a
 * file exporting a `FaultKind` and one line in this list.
 */

import { capacity } from "./capacity.js";
import { clockDrift } from "./clockDrift.js";
import { clockSlew } from "./clockSlew.js";
import { clockStep } from "./clockStep.js";
import { crash } from "./crash.js";
import { crashLoop } from "./crashLoop.js";
import { crashOnEvent } from "./crashOnEvent.js";
import { diskCorrupt } from "./diskCorrupt.js";
import { diskFull } from "./diskFull.js";
import { diskLieOnSync } from "./diskLieOnSync.js";
import { diskReadErrors } from "./diskReadErrors.js";
import { diskSlow } from "./diskSlow.js";
import { faultPoint } from "./faultPointKind.js";
import type { FaultKind } from "./kind.js";
import { partition, partitionOneWay } from "./partition.js";
import { pause } from "./pause.js";
import { slow } from "./slow.js";

export { CrashedNode } from "./crash.js";

export const BUILTIN_FAULT_KINDS: readonly FaultKind[] = [
  crash,
  crashLoop,
  crashOnEvent,
  partition,
  partitionOneWay,
  faultPoint,
  // Node, disk and clock faults.
  pause,
  slow,
  capacity,
  diskSlow,
  diskFull,
  diskReadErrors,
  diskCorrupt,
  diskLieOnSync,
  clockStep,
  clockSlew,
  clockDrift,
];
