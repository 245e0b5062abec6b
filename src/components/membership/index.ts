/**
 * The membership family: who is in the cluster and who leads it. `MembershipProtocol` (SWIM
 * failure detection and gossip) and `LeaderElection` over it.
 */

import type { CataloguedComponent } from "../../catalog/entry.js";
import { LeaderElection } from "./leaderElection.js";
import { MembershipProtocol } from "./membershipProtocol.js";

export {
  type ElectionStrategy,
  type LeaderChange,
  LeaderElection,
  type LeaderElectionOptions,
  type LeaderElectionStats,
  TERM_STRIDE,
} from "./leaderElection.js";

export {
  type MemberState,
  type MembershipEvent,
  type MembershipOptions,
  MembershipProtocol,
  type MembershipStats,
  type MemberView,
  type PhiProbeOptions,
  type SwimMember,
  type SwimPayload,
} from "./membershipProtocol.js";

/** This family's component classes, in catalog order (src/components/index.ts gathers them). */
export const MEMBERSHIP_COMPONENTS = [
  MembershipProtocol,
  LeaderElection,
] as const satisfies readonly CataloguedComponent[];
