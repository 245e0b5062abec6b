/**
 * The fault kinds built in, one file each. A new kind (a node's pause, a disk's slowness) is a
 * file exporting a `FaultKind` and one line in this list.
 */

import { bandwidth } from "./bandwidth.js";
import { capacity } from "./capacity.js";
import { clockDrift } from "./clockDrift.js";
import { clockSlew } from "./clockSlew.js";
import { clockStep } from "./clockStep.js";
import { clog } from "./clog.js";
import { crash } from "./crash.js";
import { crashLoop } from "./crashLoop.js";
import { crashOnEvent } from "./crashOnEvent.js";
import { diskCorrupt } from "./diskCorrupt.js";
import { diskFull } from "./diskFull.js";
import { diskLieOnSync } from "./diskLieOnSync.js";
import { diskReadErrors } from "./diskReadErrors.js";
import { diskSlow } from "./diskSlow.js";
import { duplication } from "./duplication.js";
import { faultPoint } from "./faultPointKind.js";
import type { FaultKind } from "./kind.js";
import { latency } from "./latency.js";
import { loss } from "./loss.js";
import { partition, partitionOneWay } from "./partition.js";
import { pause } from "./pause.js";
import { reordering } from "./reordering.js";
import { slow } from "./slow.js";
import { swizzleClog } from "./swizzleClogKind.js";

export { CrashedNode } from "./crash.js";

export const BUILTIN_FAULT_KINDS: readonly FaultKind[] = [
  crash,
  crashLoop,
  crashOnEvent,
  // Network faults: one Network target, nodes and links named in params.
  partition,
  partitionOneWay,
  latency,
  loss,
  duplication,
  reordering,
  bandwidth,
  clog,
  swizzleClog,
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
