/**
 * The consensus family: protocols that agree on an order of commands (`RaftNode`, the Paxos
 * family) and the replicated-state-machine contract they drive (./stateMachine.ts).
 */

import type { CataloguedComponent } from "../../catalog/entry.js";
import { RaftNode } from "./raftNode.js";

export {
  RaftKV,
  type RaftKVClient,
  type RaftKVClientOptions,
  type RaftKVNodeOptions,
  type RaftKVOptions,
  RaftRefusedError,
} from "./raftKV.js";
export {
  type LogEntry,
  NotLeaderError,
  ProposalDroppedError,
  RaftNode,
  type RaftNodeOptions,
  type RaftRecord,
  type RaftReply,
  type RaftRequest,
  type RaftRole,
  type RaftStats,
  type SnapshotState,
} from "./raftNode.js";
export {
  type KVCommand,
  type KVResult,
  KVStateMachine,
  type StateMachine,
} from "./stateMachine.js";

/** This family's component classes, in catalog order (src/components/index.ts gathers them). */
export const CONSENSUS_COMPONENTS = [RaftNode] as const satisfies readonly CataloguedComponent[];
