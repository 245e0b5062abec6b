/**
 * Planted Raft bugs, as test-only variants of RaftNode:
 *
 * - `VoteWithoutLogCheck` grants its vote without the election restriction (the candidate's
 *   log at least as up to date as its own), so a node missing committed entries can win and
 *   overwrite them;
 * - `CommitOldTerm` commits an entry of an earlier term as soon as a majority holds it (Raft's
 *   figure 8: such an entry can still be overwritten by a leader that never had it).
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
