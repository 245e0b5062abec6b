/**
 * The redirect every consensus protocol here answers a proposal or read made to a node that
 * does not lead (`RaftNode`, `MultiPaxosNode`): one error class, so a client written for one
 * protocol finds the leader of another the same way. A `RemoteError` (the node refused the
 * request), certain not to have been applied.
 */
import { RemoteError } from "../../errors/errors.js";

/** The first word of the reason a non-leader fails a proposal with (then the leader it knows). */
export const NOT_LEADER = "not-leader";

/**
 * A proposal (or a read) sent to a node that is not the leader: `leader` is the node it
 * believes leads (null when it knows none).
 */
export class NotLeaderError extends RemoteError {
  override name = "NotLeaderError";
  constructor(
    entity: string,
    readonly leader: string | null,
  ) {
    super(`${NOT_LEADER}${leader === null ? "" : ` ${leader}`}`, entity);
  }
}
