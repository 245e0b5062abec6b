/**
 * Goal: an acceptor answers a promise or an acceptance only once its disk holds it, a repeat
 * included: a proposer counts every answer towards a quorum, so an answer a crash takes back
 * lets two values be chosen. Method: a probe (a member) sends an acceptor the same prepare or
 * accept twice, 1 ms apart, while the first one's write waits for a slow sync (50 ms); the
 * acceptor's host crashes at 20 ms, before the sync, and forgets both. No answer may have
 * left it (the repeat used to be answered at once, with nothing durable behind it).
 */
import { describe, expect, it } from "vitest";
import {
  Entity,
  KVStateMachine,
  MultiPaxosNode,
  PaxosNode,
  Simulation,
} from "../../../src/index.js";

class Probe extends Entity {
  readonly answers: string[] = [];
  override handle(message: { readonly kind: string }): void {
    this.answers.push(message.kind);
  }
}

function twiceThenCrash(
  build: (sim: Simulation) => Entity<never, unknown>,
  kind: string,
  payload: unknown,
) {
  const sim = new Simulation({ seed: 1 });
  const acceptor = build(sim);
  const probe = new Probe(sim, "m2");
  new Probe(sim, "m3");
  // biome-ignore lint/suspicious/noExplicitAny: the probe speaks the node's message type
  const target = acceptor as Entity<any, unknown>;
  probe.at(0.001, () => probe.send(target, kind, payload));
  probe.at(0.002, () => probe.send(target, kind, payload));
  sim.at(0.02, () => acceptor.restart({ downtime: 0.01 }));
  sim.run({ until: 0.1 });
  return probe.answers.filter((answer) => answer !== "heartbeat" && answer !== "prepare");
}

const ballot = { round: 1, node: 1 };
const members = ["m1", "m2", "m3"];

describe("Paxos acceptors answer a repeat only once it is durable", () => {
  it("MultiPaxosNode, a repeated accept", () => {
    const answers = twiceThenCrash(
      (sim) =>
        new MultiPaxosNode(sim, "m1", {
          members,
          stateMachine: new KVStateMachine<number>(),
          syncLatency: 0.05,
        }),
      "accept",
      {
        type: "accept",
        from: 1,
        ballot,
        slot: 0,
        value: { id: "a", command: { op: "put", key: "x", value: 1 }, session: null },
      },
    );
    expect(answers).toEqual([]);
  });

  it("MultiPaxosNode, a repeated prepare", () => {
    const answers = twiceThenCrash(
      (sim) =>
        new MultiPaxosNode(sim, "m1", {
          members,
          stateMachine: new KVStateMachine<number>(),
          syncLatency: 0.05,
        }),
      "prepare",
      { type: "prepare", from: 1, ballot, fromSlot: 0 },
    );
    expect(answers).toEqual([]);
  });

  it("PaxosNode, a repeated accept and a repeated prepare", () => {
    for (const [kind, payload] of [
      ["accept", { type: "accept", from: 1, ballot, value: 7 }],
      ["prepare", { type: "prepare", from: 1, ballot }],
    ] as const) {
      const answers = twiceThenCrash(
        (sim) => new PaxosNode<number>(sim, "m1", { members, syncLatency: 0.05 }),
        kind,
        payload,
      );
      expect(answers, kind).toEqual([]);
    }
  });
});
