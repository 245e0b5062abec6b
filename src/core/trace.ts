/**
 * The trace stream: one typed record per thing that happened, for checkers, the fault layer,
 * debuggers and `distsim run --trace`. `sim.onTrace(listener)` subscribes; with no listener
 * every emission point is one branch on `sim._tracing` and no record is built.
 *
 * Records are plain data: simulated time in integer ns, entities by name, messages by id. They
 * are built in the order things happen, so the same seed gives the same records. The JSONL
 * schema (docs/core/tracing.md) is these fields, minus `payload`.
 */

/**
 * Why a message did not reach `handle()` or a waiting call: on arrival (the first three), or
 * at a `Network` as it was sent (the rest).
 */
export type DropReason =
  /** The target was crashed when the message arrived. */
  | "target-down"
  /** A reply whose call had already timed out or been cancelled. */
  | "late-reply"
  /** A reply to a plain `send`: nobody was waiting for it. */
  | "unawaited-reply"
  /** A network link lost it (its `lossProbability`), as it was sent. */
  | "loss"
  /** A network partition blocks its direction, as it was sent. */
  | "partition"
  /** The network link it would cross was crashed when it was sent. */
  | "link-down"
  /** The network was crashed when it was sent. */
  | "network-down"
  /** A loss fault on the network (`Network.addLoss`) dropped it, as it was sent. */
  | "fault-loss";

/** How a `call`/`request` ended. */
export type CallOutcome =
  | "ok"
  | "refused"
  | "timed-out"
  | "cancelled"
  /** The callee's process crashed with the call open, or was down after one (`ConnectionResetError`). */
  | "reset";

interface MessageFields {
  readonly timeNs: number;
  readonly messageId: number;
  readonly kind: string;
  /** Sender's name; null when sent from outside any entity. */
  readonly source: string | null;
  readonly target: string;
}

export interface MessageSentRecord extends MessageFields {
  readonly type: "message-sent";
  /** For a reply, the id of the request it answers; 0 otherwise. */
  readonly correlationId: number;
  /** Id of the message whose handling sent this one; 0 if none. */
  readonly parentId: number;
  /** Delay asked of the transport (a network may add to it). */
  readonly delayNs: number;
  readonly sizeBytes: number;
  /** The payload itself, for in-process listeners; never written to JSONL. */
  readonly payload: unknown;
}

export interface MessageDeliveredRecord extends MessageFields {
  readonly type: "message-delivered";
}

export interface MessageDroppedRecord extends MessageFields {
  readonly type: "message-dropped";
  readonly reason: DropReason;
}

export interface CallSettledRecord {
  readonly type: "call-settled";
  readonly timeNs: number;
  /** The caller. */
  readonly entity: string;
  /** Id of the request message. */
  readonly messageId: number;
  readonly outcome: CallOutcome;
}

export interface ProcessStartedRecord {
  readonly type: "process-started";
  readonly timeNs: number;
  readonly entity: string;
  readonly process: string;
  /** Unique per simulation, in start order. */
  readonly processId: number;
}

export interface ProcessEndedRecord {
  readonly type: "process-ended";
  readonly timeNs: number;
  readonly entity: string;
  readonly process: string;
  readonly processId: number;
  readonly status: "done" | "failed" | "interrupted" | "cancelled";
}

export interface TimerFiredRecord {
  readonly type: "timer-fired";
  readonly timeNs: number;
  /** The timer's owner; null for the simulation's own (`sim.at`, `sim.after`). */
  readonly entity: string | null;
  /** The callback's function name ("" if anonymous). */
  readonly callback: string;
}

export interface StateChangedRecord {
  readonly type: "state-changed";
  readonly timeNs: number;
  readonly entity: string;
  /** Which state of the entity changed ("circuit"). */
  readonly subject: string;
  readonly from: string;
  readonly to: string;
  /** Why, in words; "" if not given. */
  readonly reason: string;
}

/**
 * A fault began, ended or was called off: written by the fault layer and by any component's
 * fault methods (a node's crash or pause, a network's partition or loss), so checkers, reports
 * and the summary read one stream. Activation and end pair up by `faultId`; one fault is one
 * pair (a fault schedule's fault writes it, and the handles it opens on its targets write none).
 */
export interface FaultRecord {
  readonly type: "fault";
  readonly timeNs: number;
  /** Unique per simulation (`sim.nextFaultId()`), shared by a fault's records. */
  readonly faultId: number;
  /** What kind of fault: "crash", "pause", "partition", "loss", ... */
  readonly fault: string;
  readonly phase: "activated" | "healed" | "cancelled";
  /** Names of the entities (nodes, links, networks) it applies to. */
  readonly targets: readonly string[];
  /** What it did, in words ("one-way a -> b"; on heal: "dropped 12 messages"); "" if nothing. */
  readonly detail: string;
}

export type TraceRecord =
  | FaultRecord
  | MessageSentRecord
  | MessageDeliveredRecord
  | MessageDroppedRecord
  | CallSettledRecord
  | ProcessStartedRecord
  | ProcessEndedRecord
  | TimerFiredRecord
  | StateChangedRecord;

export type TraceListener = (record: TraceRecord) => void;
