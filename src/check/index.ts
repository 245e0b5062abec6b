/**
 * Checkers (`distsim/check`): the determinism check, histories (record, read and write them in
 * Jepsen's EDN or JSON), the linearizability checker with its models, and invariants checked
 * while a model runs (`always`, `eventually`, ready-made protocol properties), seed
 * exploration, and shrinking a failing scenario to a small one (`shrink`, `replay`). Runs in a
 * browser too: reading files is the CLI's (`distsim check-history`).
 */
export {
  assertDeterministic,
  checkDeterminism,
  type DeterminismOptions,
  type DeterminismVerdict,
  NondeterminismError,
} from "./determinism.js";
export {
  EdnError,
  type EdnHistory,
  formatEdn,
  formatEdnEvent,
  formatEdnHistory,
  parseEdnHistory,
} from "./history/edn.js";
export {
  type EventType,
  type History,
  HistoryError,
  type HistoryEvent,
  type Operation,
  type OperationStatus,
  type PairedHistory,
  type ProcessId,
  pairOperations,
} from "./history/history.js";
export { HISTORY_JSON_FORMAT, historyFromJson, historyToJson } from "./history/json.js";
export {
  type ClientRecordingOptions,
  defaultClassify,
  type ErrorOutcome,
  HistoryRecorder,
  type IssuingClient,
  type OperationCall,
  type RecordableStore,
  type RecordingStore,
  type RecordOptions,
  type StoreRecordingOptions,
} from "./history/recorder.js";
export { hashValue, showValue, valuesEqual } from "./history/values.js";
export * from "./invariants/index.js";
export {
  checkLinearizability,
  type LinearizabilityFailure,
  type LinearizabilityOptions,
  type LinearizabilityResult,
  type PartitionVerdict,
  type TimelineOperation,
  type Verdict,
} from "./linearizability/check.js";
export {
  describeOperation,
  type KVOptions,
  type Model,
  type ModelName,
  models,
  type Partition,
  partitionByKey,
  type RegisterOptions,
} from "./linearizability/model.js";
export { formatFailure, formatLinearizability } from "./linearizability/timeline.js";
export {
  type CommittedTransaction,
  findSerialOrder,
  MAX_SERIAL_ORDER_TRANSACTIONS,
} from "./serializability.js";
export * from "./shrink/index.js";
