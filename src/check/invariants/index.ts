export {
  type CheckModel,
  checkModelOf,
  type LivenessPhase,
  runExploreSeed,
  type SeedOutcome,
} from "./checkModel.js";
export {
  type ExploreFailure,
  type ExploreGroup,
  type ExploreOptions,
  type ExploreResult,
  explore,
  exploreResultJson,
  mergeSeedOutcomes,
  NO_FAULT_KIND,
} from "./explore.js";
export {
  type AlwaysOptions,
  always,
  type EventuallyOptions,
  eventually,
  formatViolation,
  type Invariant,
  type InvariantKind,
  type InvariantOptions,
  type InvariantPredicate,
  type InvariantVerdict,
  type InvariantViolation,
  invariantVerdicts,
  invariantViolations,
} from "./invariants.js";
export {
  AcknowledgedWrites,
  type CheckResult,
  FencingTokens,
  LeaderPerTerm,
  MonotonicReads,
  replicasConverge,
} from "./protocol.js";
