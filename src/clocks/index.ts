/**
 * Clocks (`distsim/clocks`): the physical clock of each node (`NodeClock`: skew, drift, NTP
 * steps and slews, timers in local time) and the logical clocks that order events across
 * nodes (`LamportClock`, `VectorClock`, `HybridLogicalClock`). None is an entity: a clock
 * belongs to a node (a `NodeClock` to its entity), schedules nothing of its own, and adds no
 * entity to a run, so it moves no trace hash. docs/clocks/clocks.md describes them.
 */
export {
  ClockOffsetError,
  type HlcTimestamp,
  HybridLogicalClock,
  type HybridLogicalClockOptions,
  type PhysicalTimeSource,
} from "./hybridLogicalClock.js";
export { LamportClock } from "./lamportClock.js";
export {
  type ClockCorrection,
  type ClockCorrectionHandle,
  type ClockDriftHandle,
  MAX_CLOCK_RATE_PPM,
  NodeClock,
  type NodeClockOptions,
  nodeClocksOf,
} from "./nodeClock.js";
export { VectorClock, type VectorOrder } from "./vectorClock.js";
