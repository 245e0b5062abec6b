/**
 * Planted bug: a Paxos acceptor that accepts a ballot lower than the one it promised. Two
 * proposers that duel then both get a quorum of acceptances, each in its own ballot, for two
 * different values: agreement is lost. The model is explore/paxos.ts with this node in place of
 * the real one (the real one is its correct twin).
 */

import * as paxos from "../../../explore/paxos.js";
import { type Ballot, PaxosNode } from "../../../src/index.js";
import type { PlantedModel } from "./support.js";

/** Accepts whatever ballot comes: it forgets its promise at phase 2. */
export class LowerBallotPaxosNode<V> extends PaxosNode<V> {
  protected override mayAccept(_ballot: Ballot, _promised: Ballot): boolean {
    return true;
  }
}

export function paxosLowerBallot(correct: boolean): PlantedModel {
  return {
    invariant: paxos.AGREEMENT,
    safety: paxos.safety,
    faults: paxos.faults,
    checks: paxos.checks,
    shrinkable: paxos.shrinkable,
    build: correct
      ? paxos.default
      : paxos.makeBuild(
          (sim, name, options) => new LowerBallotPaxosNode<string>(sim, name, options),
        ),
  };
}
