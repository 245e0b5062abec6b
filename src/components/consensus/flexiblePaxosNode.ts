/**
 * `FlexiblePaxosNode`: Multi-Paxos with the phase-1 (election) and phase-2 (per-command)
 * quorums sized apart (Howard, Malkhi and Spiegelman's Flexible Paxos). Safety needs only that
 * every phase-1 quorum meets every phase-2 quorum, Q1 + Q2 > N, not that each is a majority:
 * so a small Q2 makes every write wait for fewer (and nearer) acceptors, paid for with a larger
 * Q1 when a leader must be elected, and with less tolerance of failures while electing (N - Q1
 * nodes may be down for an election to succeed, N - Q2 for writes to go on). The rule is
 * enforced at construction.
 *
 * Everything else is `MultiPaxosNode`'s.
 *
 * @example
 * const members = ["f1", "f2", "f3", "f4", "f5"];
 * for (const name of members) {
 *   new FlexiblePaxosNode(sim, name, { members, stateMachine: new KVStateMachine<string>(), phase1Quorum: 4, phase2Quorum: 2 });
 * }
 */
import { type CatalogEntry, knobs } from "../../catalog/entry.js";
import type { Simulation } from "../../core/simulation.js";
import { ConfigError } from "../../errors/errors.js";
import { requireInteger } from "../shared/validate.js";
import { MultiPaxosNode, type MultiPaxosNodeOptions } from "./multiPaxosNode.js";
import { majority } from "./paxosCore.js";

export interface FlexiblePaxosNodeOptions<C, R> extends MultiPaxosNodeOptions<C, R> {
  /** Promises an election needs (integer in [1, N]). Default: N + 1 - phase2Quorum. */
  phase1Quorum?: number;
  /** Acceptances a command needs (integer in [1, N]). Default: a majority. */
  phase2Quorum?: number;
}

export class FlexiblePaxosNode<C, R> extends MultiPaxosNode<C, R> {
  static override readonly catalog: CatalogEntry = {
    name: "FlexiblePaxosNode",
    kind: "component",
    role: "coordination",
    layer: "distributed",
    contract:
      "Multi-Paxos whose election (phase-1) and per-command (phase-2) quorums are sized apart, with Q1 + Q2 > N enforced at construction: the same guarantees as MultiPaxosNode (one command per slot, applied in order everywhere), with writes that wait for Q2 acceptors and elections that need Q1 promises.",
    requires: ["MultiPaxosNode", "Quorum"],
    provides: ["Consensus", "ReplicatedLog", "LeaderElection", "Ordered", "Durable"],
    inputs: ["as MultiPaxosNode"],
    outputs: ["as MultiPaxosNode, and phase1Quorum, phase2Quorum"],
    state: "as MultiPaxosNode",
    failure_semantics:
      "As MultiPaxosNode; writes go on while Q2 acceptors are reachable from the leader, an election needs Q1: a small Q2 tolerates fewer failures at election time (N - Q1).",
    composition_rules: ["Network", "Disk", "PaxosKVClient"],
    operational_knobs: knobs<FlexiblePaxosNodeOptions<unknown, unknown>>()(
      "members",
      "stateMachine",
      "heartbeatInterval",
      "electionTimeout",
      "retryBackoff",
      "syncLatency",
      "checkQuorum",
      "snapshotEvery",
      "phase1Quorum",
      "phase2Quorum",
    ),
  };

  constructor(sim: Simulation, name: string, options: FlexiblePaxosNodeOptions<C, R>) {
    super(sim, name, options);
  }

  /** Q1 and Q2 from the options, checked: each in [1, N], and Q1 + Q2 > N. */
  protected static override quorumsFor(
    component: string,
    n: number,
    options: FlexiblePaxosNodeOptions<unknown, unknown>,
  ): readonly [number, number] {
    const q2 =
      options.phase2Quorum === undefined
        ? majority(n)
        : requireInteger(component, "phase2Quorum", options.phase2Quorum, 1, n);
    const q1 =
      options.phase1Quorum === undefined
        ? n + 1 - q2
        : requireInteger(component, "phase1Quorum", options.phase1Quorum, 1, n);
    if (q1 + q2 <= n) {
      throw new ConfigError(
        component,
        "phase1Quorum",
        `an integer with phase1Quorum + phase2Quorum > ${n} members (so every election meets every write's quorum): at least ${n + 1 - q2} with phase2Quorum ${q2}`,
        q1,
      );
    }
    return [q1, q2];
  }
}
