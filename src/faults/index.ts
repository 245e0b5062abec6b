/**
 * The fault layer (`distsim/faults`): fault schedules as plain data (timed, or drawn from a
 * seed), applied to a simulation with a summary of what each fault did; the registry of fault
 * kinds; and fault points components declare (BUGGIFY). docs/faults.md.
 */

export { declareFaultPoint, FaultPoint, faultPointsOf } from "../core/faultPoint.js";
export { BUILTIN_FAULT_KINDS, CrashedNode } from "./builtinKinds.js";
export {
  type ActiveFault,
  checkParamNames,
  checkTargetsExist,
  entityListParam,
  entityNamed,
  type FaultContext,
  type FaultKind,
  numberParam,
} from "./kind.js";
export { PARTITION_SHAPES, type PartitionShape } from "./partition.js";
export {
  type RandomDuration,
  type RandomFaultClass,
  type RandomFaultKind,
  type RandomFaultOptions,
  randomFaultSchedule,
} from "./random.js";
export {
  describeEffects,
  type FaultRow,
  FaultSchedule,
  type FaultScheduleOptions,
  type FaultStatus,
  formatFaultTable,
} from "./schedule.js";
export {
  checkFaultSchedule,
  describeFault,
  type FaultScheduleSpec,
  type FaultSpec,
  faultFieldError,
  faultScheduleJson,
  formatFaultSchedule,
  type JsonValue,
  parseFaultSchedule,
} from "./spec.js";
