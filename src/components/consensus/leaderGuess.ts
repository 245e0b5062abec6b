/**
 * The leader a consensus client believes in (`RaftKVClient`, `PaxosKVClient`): which node to
 * ask next. A refusal that names another node it knows sends the client there; a refusal
 * without a usable hint, a timeout or a lost proposal moves it on to the next node in order,
 * so a client that lost its leader tries every node in turn.
 */
export class LeaderGuess {
  private index = 0;

  /** `nodes`: the cluster's node names, in the order the client tries them. */
  constructor(private readonly nodes: readonly string[]) {}

  /** The position in `nodes` of the node to ask. */
  get current(): number {
    return this.index;
  }

  /**
   * Follows a redirect's hint (a leader's name, or null when the node knew none): whether it
   * named a known node other than the one just asked (then that node is asked next).
   */
  follow(hint: string | null): boolean {
    if (hint === null) return false;
    const named = this.nodes.indexOf(hint);
    if (named < 0 || named === this.index) return false;
    this.index = named;
    return true;
  }

  /** Moves on to the next node in order. */
  next(): void {
    this.index = (this.index + 1) % this.nodes.length;
  }
}
