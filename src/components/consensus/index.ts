/**
 * The consensus family: protocols that agree on an order of commands (`RaftNode`, the Paxos
 * family) and the replicated-state-machine contract they drive (./stateMachine.ts).
 */

import type { CataloguedComponent } from "../../catalog/entry.js";
import { FlexiblePaxosNode } from "./flexiblePaxosNode.js";
import { MultiPaxosNode } from "./multiPaxosNode.js";
import { PaxosKVClient } from "./paxosKVClient.js";
import { PaxosNode } from "./paxosNode.js";
import { RaftNode } from "./raftNode.js";

export { FlexiblePaxosNode, type FlexiblePaxosNodeOptions } from "./flexiblePaxosNode.js";
export {
  type MultiPaxosMessage,
  MultiPaxosNode,
  type MultiPaxosNodeOptions,
  type MultiPaxosNodeStats,
  type PaxosLogEntry,
  type PaxosSession,
  type ProposeRequest,
} from "./multiPaxosNode.js";
export { NOT_LEADER, NotLeaderError } from "./notLeaderError.js";
export {
  type AcceptedValue,
  type AcceptorSnapshot,
  type Ballot,
  compareBallots,
  ProposalLostError,
} from "./paxosCore.js";
export {
  type PaxosClient,
  PaxosKVClient,
  type PaxosKVClientOptions,
  type PaxosKVClientStats,
} from "./paxosKVClient.js";
export {
  type PaxosMessage,
  PaxosNode,
  type PaxosNodeOptions,
  type PaxosNodeStats,
} from "./paxosNode.js";
export {
  type RaftClient,
  RaftKV,
  type RaftKVClient,
  type RaftKVClientOptions,
  type RaftKVNodeOptions,
  type RaftKVOptions,
  RaftRefusedError,
} from "./raftKV.js";
export {
  CatchUpTimeoutError,
  ProposalDroppedError,
  type RaftLogEntry,
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
export const CONSENSUS_COMPONENTS = [
  RaftNode,
  PaxosNode,
  MultiPaxosNode,
  FlexiblePaxosNode,
  PaxosKVClient,
] as const satisfies readonly CataloguedComponent[];
