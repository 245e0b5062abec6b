/**
 * The catalog's vocabulary, from the Lego catalog seed: layers, roles, and every concept name
 * by family. Each list is `as const`, so names are string-literal types: a misspelt property,
 * capability or dependency in a catalog entry fails to compile.
 *
 * A few names appear in more than one family in the seed (Bridge, PubSub, Mailbox, Capacity,
 * Cost, the flow-control policies, Watchdog, Status, Error); an entry's layer comes from the
 * first family that lists it, in the order below.
 */

/** Dependency categories, not a stack: they keep small concepts from passing as systems. */
export const LAYERS = [
  "atom",
  "policy",
  "property",
  "capability",
  "local",
  "durable",
  "distributed",
  "application",
] as const;
export type Layer = (typeof LAYERS)[number];

/** Primary purposes (the seed's examples plus the ones its families need). */
export const ROLES = [
  "identity",
  "policy",
  "guarantee",
  "operation",
  "persistence",
  "handoff",
  "flow",
  "coordination",
  "routing",
  "replication",
  "workflow",
  "observability",
  "recovery",
  "timing",
  "load",
  "sensing",
] as const;
export type Role = (typeof ROLES)[number];

export const ATOMS = [
  "Bytes",
  "Key",
  "NodeId",
  "ServiceId",
  "TenantId",
  "PrincipalId",
  "RequestId",
  "MessageId",
  "CorrelationId",
  "CausalityId",
  "TraceId",
  "SpanId",
  "Token",
  "Version",
  "Generation",
  "Epoch",
  "Term",
  "SequenceNumber",
  "Offset",
  "Timestamp",
  "Duration",
  "Deadline",
  "TTL",
  "Priority",
  "Capacity",
  "Cost",
  "Checksum",
  "Status",
  "Error",
  "Result",
] as const;

export const POLICIES = [
  "RetryPolicy",
  "BackoffPolicy",
  "TimeoutPolicy",
  "CancellationPolicy",
  "OrderingPolicy",
  "OverflowPolicy",
  "RetentionPolicy",
  "DurabilityPolicy",
  "ConsistencyPolicy",
  "ReplicationPolicy",
  "PartitionPolicy",
  "RoutingPolicy",
  "PlacementPolicy",
  "AdmissionPolicy",
  "RatePolicy",
  "ConcurrencyPolicy",
  "PriorityPolicy",
  "FairnessPolicy",
  "SecurityPolicy",
  "AuthPolicy",
  "IsolationPolicy",
  "CompactionPolicy",
  "ConflictPolicy",
] as const;

export const PROPERTIES = [
  "Idempotent",
  "Commutative",
  "Associative",
  "Deterministic",
  "Monotonic",
  "Atomic",
  "Durable",
  "Replayable",
  "Observable",
  "Ordered",
  "Causal",
  "Bounded",
  "Authenticated",
  "Authorized",
  "Encrypted",
  "Fenced",
  "Exclusive",
  "AtMostOnce",
  "AtLeastOnce",
  "ExactlyOnceEffect",
  "BestEffort",
] as const;

export const CAPABILITIES = [
  "Read",
  "Write",
  "Delete",
  "Scan",
  "List",
  "Append",
  "CompareAndSwap",
  "Publish",
  "Subscribe",
  "Ack",
  "Nack",
  "Reserve",
  "Release",
  "Renew",
  "Cancel",
  "Encode",
  "Decode",
  "Sign",
  "Verify",
] as const;

export const LOCAL_RUNTIME = [
  "Schema",
  "Envelope",
  "Clock",
  "ManualClock",
  "SystemClock",
  "Timer",
  "Timeout",
  "Cancellation",
  "Backoff",
  "RetryLoop",
  "SequenceCounter",
  "Buffer",
  "RingBuffer",
  "Queue",
  "BoundedQueue",
  "TokenBucket",
  "Semaphore",
  "RateLimiter",
  "Watchdog",
  "Sampler",
  "ChangeFilter",
  "ThresholdFilter",
  "DelimitedMessageBuffer",
  "JsonEventDecoder",
  "DoubleBuffer",
  "FrameAssembler",
  "XorChecksum",
  "RouteRef",
  "PortRef",
  "Graph",
  "Mailbox",
  "Pipe",
  "Bridge",
  "PubSub",
] as const;

export const DURABLE_STATE = [
  "ByteStore",
  "Keyspace",
  "ObjectStore",
  "BlobStore",
  "DurableCell",
  "VersionedRegister",
  "WriteAheadLog",
  "EventLog",
  "SnapshotStore",
  "CheckpointStore",
  "MetadataStore",
  "IdempotencyStore",
  "DeduplicationStore",
  "TombstoneStore",
  "MaterializedView",
] as const;

export const HANDOFF = [
  "AckTracker",
  "VisibilityDeadline",
  "DurableQueue",
  "PriorityQueue",
  "DelayQueue",
  "WorkQueue",
  "RetryQueue",
  "DeadLetterQueue",
  "Outbox",
  "Inbox",
  "ConsumerGroup",
  "Transport",
  "Bridge",
  "PubSub",
  "Mailbox",
] as const;

export const FLOW_CONTROL = [
  "Capacity",
  "Cost",
  "AdmissionPolicy",
  "RatePolicy",
  "ConcurrencyPolicy",
  "FairnessPolicy",
  "OverflowPolicy",
  "Buffer",
  "RingBuffer",
  "BoundedQueue",
  "TokenBucket",
  "Semaphore",
  "RateLimiter",
  "FlowControl",
] as const;

export const COORDINATION = [
  "Heartbeat",
  "FailureDetector",
  "Membership",
  "FencingToken",
  "Lease",
  "Quorum",
  "LeaderElection",
  "Consensus",
] as const;

export const ROUTING_REPLICATION = [
  "ServiceRegistry",
  "Router",
  "LoadBalancer",
  "PartitionMap",
  "ShardMap",
  "ConsistentHashRing",
  "MigrationFence",
  "Rebalancer",
  "ReplicaSet",
  "Replicator",
  "ReplicatedLog",
  "AntiEntropyRepair",
] as const;

export const WORKFLOW_CONTROL = [
  "Worker",
  "WorkerPool",
  "WorkflowStep",
  "Workflow",
  "Saga",
  "Compensation",
  "DesiredState",
  "ObservedState",
  "Reconciler",
  "FeatureFlag",
  "RolloutController",
  "KillSwitch",
] as const;

export const OBSERVABILITY = [
  "HealthStatus",
  "SensorDebugTap",
  "LogEvent",
  "MetricSample",
  "TraceSpan",
  "AuditRecord",
  "LineageRecord",
  "Watchdog",
  "Status",
  "Error",
] as const;

/** Names the seed's graph and composite expansions use that no family lists. */
export const GRAPH_ONLY = [
  "SensorEvent",
  "SensorSample",
  "SensorIdentity",
  "LocalSensorSource",
  "ReactiveSensorSource",
  "PeripheralAdapter",
  "DuplexSensorPeripheral",
  "RateMatchedSensor",
  "SensorHealthWatchdog",
  "LocalDurableSpool",
  "BoundedRingBuffer",
  "CircuitBreaker",
  "FailureCounter",
  "Window",
  "ThresholdPolicy",
  "StateTransition",
] as const;

/** Every concept name in the seed. */
export type ConceptName =
  | (typeof ATOMS)[number]
  | (typeof POLICIES)[number]
  | (typeof PROPERTIES)[number]
  | (typeof CAPABILITIES)[number]
  | (typeof LOCAL_RUNTIME)[number]
  | (typeof DURABLE_STATE)[number]
  | (typeof HANDOFF)[number]
  | (typeof FLOW_CONTROL)[number]
  | (typeof COORDINATION)[number]
  | (typeof ROUTING_REPLICATION)[number]
  | (typeof WORKFLOW_CONTROL)[number]
  | (typeof OBSERVABILITY)[number]
  | (typeof GRAPH_ONLY)[number];

export type PropertyName = (typeof PROPERTIES)[number];
export type CapabilityName = (typeof CAPABILITIES)[number];

/** The families in order, with the layer and role their members take. */
export const FAMILIES: readonly {
  readonly family: string;
  readonly names: readonly ConceptName[];
  readonly layer: Layer;
  readonly role: Role;
}[] = [
  { family: "Atoms", names: ATOMS, layer: "atom", role: "identity" },
  { family: "Policies", names: POLICIES, layer: "policy", role: "policy" },
  { family: "Properties", names: PROPERTIES, layer: "property", role: "guarantee" },
  { family: "Capabilities", names: CAPABILITIES, layer: "capability", role: "operation" },
  { family: "Local Runtime", names: LOCAL_RUNTIME, layer: "local", role: "timing" },
  { family: "Durable State", names: DURABLE_STATE, layer: "durable", role: "persistence" },
  { family: "Communication And Handoff", names: HANDOFF, layer: "durable", role: "handoff" },
  { family: "Flow Control", names: FLOW_CONTROL, layer: "local", role: "flow" },
  {
    family: "Membership And Coordination",
    names: COORDINATION,
    layer: "distributed",
    role: "coordination",
  },
  {
    family: "Routing, Partitioning, And Replication",
    names: ROUTING_REPLICATION,
    layer: "distributed",
    role: "routing",
  },
  {
    family: "Workflow And Control Plane",
    names: WORKFLOW_CONTROL,
    layer: "application",
    role: "workflow",
  },
  { family: "Observability", names: OBSERVABILITY, layer: "local", role: "observability" },
  { family: "Sensor IO and expansions", names: GRAPH_ONLY, layer: "application", role: "sensing" },
];
