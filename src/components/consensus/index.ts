/**
 * The consensus family: protocols that agree on an order of commands (`RaftNode`, the Paxos
 * family) and the replicated-state-machine contract they drive (./stateMachine.ts).
 */

import type { CataloguedComponent } from "../../catalog/entry.js";

export {
  type KVCommand,
  type KVResult,
  KVStateMachine,
  type StateMachine,
} from "./stateMachine.js";

/** This family's component classes, in catalog order (src/components/index.ts gathers them). */
export const CONSENSUS_COMPONENTS = [] as const satisfies readonly CataloguedComponent[];
