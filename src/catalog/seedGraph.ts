/**
 * The Lego catalog seed's dependency graph (`A --> B`: A depends on B) and its composite
 * expansions, transcribed as typed data. Where the seed contradicts itself this file records
 * the resolution, and docs/catalog/README.md explains it:
 * - `DurableQueue = ... + DeadLetterQueue` while the graph says `DeadLetterQueue --> DurableQueue`:
 *   taken literally that is a cycle. A dead-letter queue is a durable queue that holds what
 *   another one gave up on, so DeadLetterQueue requires DurableQueue, and DurableQueue lists it
 *   under composition_rules (commonly connected), not requires.
 * - Sensor expansions with free-text parts (`Peripheral.observe`, `control RouteRef`,
 *   `handle_input`, `Graph capacitor behavior`, `Observable`) keep only their catalog names.
 */
import type { ConceptName } from "./vocabulary.js";

export const SEED_EDGES: readonly (readonly [ConceptName, ConceptName])[] = [
  ["RetryLoop", "RetryPolicy"],
  ["RetryLoop", "BackoffPolicy"],
  ["RetryLoop", "Timeout"],
  ["RetryLoop", "Cancellation"],
  ["Timeout", "Timer"],
  ["Timer", "Clock"],
  ["Backoff", "BackoffPolicy"],
  ["Backoff", "Clock"],
  ["SequenceCounter", "SequenceNumber"],
  ["DelimitedMessageBuffer", "Buffer"],
  ["JsonEventDecoder", "SensorEvent"],
  ["JsonEventDecoder", "SequenceCounter"],
  ["ChangeFilter", "Deterministic"],
  ["ThresholdFilter", "ChangeFilter"],
  ["DoubleBuffer", "Buffer"],
  ["FrameAssembler", "SequenceNumber"],
  ["RingBuffer", "Buffer"],
  ["RingBuffer", "OverflowPolicy"],
  ["RingBuffer", "OrderingPolicy"],
  ["BoundedQueue", "Queue"],
  ["BoundedQueue", "Capacity"],
  ["BoundedQueue", "OverflowPolicy"],
  ["RateLimiter", "TokenBucket"],
  ["TokenBucket", "Clock"],
  ["TokenBucket", "RatePolicy"],
  ["Keyspace", "ByteStore"],
  ["VersionedRegister", "DurableCell"],
  ["VersionedRegister", "Version"],
  ["VersionedRegister", "CompareAndSwap"],
  ["WriteAheadLog", "Keyspace"],
  ["WriteAheadLog", "Append"],
  ["WriteAheadLog", "SequenceNumber"],
  ["EventLog", "WriteAheadLog"],
  ["EventLog", "Envelope"],
  ["SnapshotStore", "Keyspace"],
  ["CheckpointStore", "SnapshotStore"],
  ["CheckpointStore", "Offset"],
  ["DurableQueue", "EventLog"],
  ["DurableQueue", "CheckpointStore"],
  ["DurableQueue", "AckTracker"],
  ["DurableQueue", "VisibilityDeadline"],
  ["DurableQueue", "RetryLoop"],
  ["RetryQueue", "DurableQueue"],
  ["DeadLetterQueue", "DurableQueue"],
  ["Outbox", "EventLog"],
  ["Outbox", "IdempotencyStore"],
  ["Inbox", "EventLog"],
  ["Inbox", "DeduplicationStore"],
  ["FailureDetector", "Heartbeat"],
  ["FailureDetector", "Timeout"],
  ["Membership", "NodeId"],
  ["Membership", "FailureDetector"],
  ["Lease", "Deadline"],
  ["Lease", "Renew"],
  ["Lease", "Release"],
  ["Lease", "FencingToken"],
  ["Lease", "VersionedRegister"],
  ["Quorum", "Membership"],
  ["LeaderElection", "Membership"],
  ["LeaderElection", "Quorum"],
  ["LeaderElection", "Term"],
  ["LeaderElection", "Timer"],
  ["Consensus", "EventLog"],
  ["Consensus", "SnapshotStore"],
  ["Consensus", "Membership"],
  ["Consensus", "Quorum"],
  ["Consensus", "LeaderElection"],
  ["Consensus", "Term"],
  ["Consensus", "Timer"],
  ["Consensus", "Transport"],
  ["Router", "RouteRef"],
  ["Router", "RoutingPolicy"],
  ["Router", "MetadataStore"],
  ["ShardMap", "PartitionMap"],
  ["PartitionMap", "MetadataStore"],
  ["PartitionMap", "Epoch"],
  ["Rebalancer", "ShardMap"],
  ["Rebalancer", "Lease"],
  ["Rebalancer", "CheckpointStore"],
  ["Replicator", "EventLog"],
  ["Replicator", "ReplicaSet"],
  ["LocalSensorSource", "Clock"],
  ["LocalSensorSource", "RetryLoop"],
  ["LocalSensorSource", "SequenceCounter"],
  ["LocalSensorSource", "SensorSample"],
  ["LocalSensorSource", "RouteRef"],
  ["ReactiveSensorSource", "Clock"],
  ["ReactiveSensorSource", "SequenceCounter"],
  ["ReactiveSensorSource", "RouteRef"],
  ["PeripheralAdapter", "SensorIdentity"],
  ["PeripheralAdapter", "SensorEvent"],
  ["PeripheralAdapter", "RouteRef"],
  ["DuplexSensorPeripheral", "PeripheralAdapter"],
  ["RateMatchedSensor", "RingBuffer"],
  ["RateMatchedSensor", "Clock"],
  ["RateMatchedSensor", "Graph"],
  ["SensorHealthWatchdog", "Clock"],
  ["SensorHealthWatchdog", "Watchdog"],
  ["SensorHealthWatchdog", "HealthStatus"],
  ["LocalDurableSpool", "EventLog"],
  ["LocalDurableSpool", "Keyspace"],
];

/** Composite expansions: the composite is exactly these parts (its `requires`). */
export const SEED_EXPANSIONS: Readonly<Partial<Record<ConceptName, readonly ConceptName[]>>> = {
  RetryLoop: ["RetryPolicy", "BackoffPolicy", "Timeout", "Cancellation"],
  Lease: ["Deadline", "Renew", "Release", "FencingToken", "VersionedRegister"],
  // The seed adds DeadLetterQueue here; see the file comment.
  DurableQueue: ["EventLog", "CheckpointStore", "AckTracker", "VisibilityDeadline", "RetryLoop"],
  Outbox: ["EventLog", "IdempotencyStore"],
  Inbox: ["EventLog", "DeduplicationStore"],
  Consensus: [
    "EventLog",
    "SnapshotStore",
    "Membership",
    "Quorum",
    "LeaderElection",
    "Term",
    "Timer",
    "Transport",
  ],
  ReplicatedLog: ["Consensus", "EventLog"],
  Workflow: ["EventLog", "DurableQueue", "CheckpointStore", "IdempotencyStore", "RetryLoop"],
  RateLimiter: ["TokenBucket", "Clock", "RatePolicy", "Cost"],
  CircuitBreaker: ["FailureCounter", "Window", "ThresholdPolicy", "Timer", "StateTransition"],
  LocalSensorSource: ["Clock", "RetryLoop", "SequenceCounter", "SensorSample", "RouteRef"],
  ReactiveSensorSource: ["Clock", "SequenceCounter", "RouteRef"],
  PeripheralAdapter: ["SensorIdentity", "SensorEvent", "RouteRef"],
  DuplexSensorPeripheral: ["PeripheralAdapter"],
  RateMatchedSensor: ["RingBuffer", "Clock", "Graph"],
  SensorHealthWatchdog: ["Clock", "Watchdog", "HealthStatus"],
};

/** Seed resolutions recorded as composition rules (see the file comment). */
export const SEED_COMPOSITION_RULES: Readonly<
  Partial<Record<ConceptName, readonly ConceptName[]>>
> = {
  DurableQueue: ["DeadLetterQueue", "RetryQueue"],
};

/** Layer and role corrections for names the seed lists only in its graph or expansions. */
export const SEED_PLACEMENT: Readonly<
  Partial<
    Record<
      ConceptName,
      { layer: import("./vocabulary.js").Layer; role: import("./vocabulary.js").Role }
    >
  >
> = {
  CircuitBreaker: { layer: "local", role: "recovery" },
  FailureCounter: { layer: "local", role: "observability" },
  Window: { layer: "local", role: "timing" },
  ThresholdPolicy: { layer: "policy", role: "policy" },
  StateTransition: { layer: "local", role: "recovery" },
  SensorEvent: { layer: "atom", role: "sensing" },
  SensorSample: { layer: "atom", role: "sensing" },
  SensorIdentity: { layer: "atom", role: "identity" },
  BoundedRingBuffer: { layer: "local", role: "flow" },
  LocalDurableSpool: { layer: "durable", role: "persistence" },
  Transport: { layer: "local", role: "handoff" },
  Mailbox: { layer: "local", role: "handoff" },
  Bridge: { layer: "local", role: "handoff" },
  PubSub: { layer: "local", role: "handoff" },
  Capacity: { layer: "atom", role: "flow" },
  Cost: { layer: "atom", role: "flow" },
};
