/**
 * The fault kinds built in, one file each. A new kind (a node's pause, a network's loss) is a
 * file exporting a `FaultKind` and one line in this list.
 */

import { crash } from "./crash.js";
import { crashLoop } from "./crashLoop.js";
import { crashOnEvent } from "./crashOnEvent.js";
import { faultPoint } from "./faultPointKind.js";
import type { FaultKind } from "./kind.js";
import { partition, partitionOneWay } from "./partition.js";

export { CrashedNode } from "./crash.js";

export const BUILTIN_FAULT_KINDS: readonly FaultKind[] = [
  crash,
  crashLoop,
  crashOnEvent,
  partition,
  partitionOneWay,
  faultPoint,
];
