/**
 * Planted Raft bugs, as test-only variants of RaftNode:
 *
 * - `VoteWithoutLogCheck` grants its vote without the election restriction (the candidate's
 *   log at least as up to date as its own), so a node missing committed entries can win and
 *   overwrite them;
 * - `CommitOldTerm` commits an entry of an earlier term as soon as a majority holds it (Raft's
 *   figure 8: such an entry can still be overwritten by a leader that never had it). Its
 *   no-op on election stays, as RaftNode's. Caught by figure 8 driven by hooks
 *   (raftFigure8.test.ts) and by exploration under the figure-8 nemesis of
 *   explore/raft-old-term.ts (raftOldTerm.test.ts), not under explore/raft.ts's: a new
 *   leader's no-op usually reaches the majority with (or right after) the old entries, so the
 *   window in which only the old entry is committed is one message wide; explore/raft.ts
 *   found no failing seed in 400 (3 nodes) nor in 300 crash-heavy seeds (5 nodes), while the
 *   figure-8 nemesis, which cuts leaders off at the worst time, catches it on about one seed
 *   in five.
 */
import {
  type KVCommand,
  type KVResult,
  RaftNode,
  type RaftNodeOptions,
  type Simulation,
} from "../../../src/index.js";

type Command = KVCommand<number>;
type Result = KVResult<number>;

export class VoteWithoutLogCheck extends RaftNode<Command, Result> {
  protected override logUpToDate(): boolean {
    return true;
  }
}

export class CommitOldTerm extends RaftNode<Command, Result> {
  protected override canCommit(): boolean {
    return true;
  }
}

export const createVoteWithoutLogCheck = (
  sim: Simulation,
  name: string,
  options: RaftNodeOptions<Command, Result>,
) => new VoteWithoutLogCheck(sim, name, options);

export const createCommitOldTerm = (
  sim: Simulation,
  name: string,
  options: RaftNodeOptions<Command, Result>,
) => new CommitOldTerm(sim, name, options);
