/**
 * The consensus family: protocols that agree on an order of commands (`RaftNode`, the Paxos
 * family) and the replicated-state-machine contract they drive (./stateMachine.ts).
 */

import type { CataloguedComponent } from "../../catalog/entry.js";
import { PaxosNode } from "./paxosNode.js";

export {
  type AcceptedValue,
  type Ballot,
  compareBallots,
  NOT_LEADER,
  NotLeaderError,
  ProposalLostError,
} from "./paxosCore.js";
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
export const CONSENSUS_COMPONENTS = [PaxosNode] as const satisfies readonly CataloguedComponent[];
