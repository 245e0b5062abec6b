export {
  type ExploreFailure,
  type ExploreOptions,
  type ExploreResult,
  explore,
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
