/**
 * The consensus family: protocols that agree on an order of commands (`RaftNode`, the Paxos
 * family) and the replicated-state-machine contract they drive (./stateMachine.ts).
 */

import type { CataloguedComponent } from "../../catalog/entry.js";
import { FlexiblePaxosNode } from "./flexiblePaxosNode.js";
import { MultiPaxosNode } from "./multiPaxosNode.js";
import { PaxosKVClient } from "./paxosKVClient.js";
import { PaxosNode } from "./paxosNode.js";

export { FlexiblePaxosNode, type FlexiblePaxosNodeOptions } from "./flexiblePaxosNode.js";
export {
  type LogEntry,
  type MultiPaxosMessage,
  MultiPaxosNode,
  type MultiPaxosNodeOptions,
  type MultiPaxosNodeStats,
  type PaxosSession,
  type ProposeRequest,
} from "./multiPaxosNode.js";
export {
  type AcceptedValue,
  type Ballot,
  compareBallots,
  NOT_LEADER,
  NotLeaderError,
  ProposalLostError,
} from "./paxosCore.js";
export {
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
  type KVCommand,
  type KVResult,
  KVStateMachine,
  type StateMachine,
} from "./stateMachine.js";

/** This family's component classes, in catalog order (src/components/index.ts gathers them). */
export const CONSENSUS_COMPONENTS = [
  PaxosNode,
  MultiPaxosNode,
  FlexiblePaxosNode,
  PaxosKVClient,
] as const satisfies readonly CataloguedComponent[];
