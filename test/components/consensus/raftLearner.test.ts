/**
 * Goal: a server added to a Raft cluster catches up as a learner before it counts in any
 * majority, so adding it to a cluster with a long log does not stall commits (it did, with the
 * old add-at-once, when the cluster ran one server short); the learner is promoted once caught
 * up; an add that cannot catch up fails cleanly with CatchUpTimeoutError and leaves the
 * configuration as it was; and safety holds with adds under crashes and partitions.
 * Method: scripted clusters on a datacenter network; commit latency is each put's time from
 * call to answer; the safety runs check one leader per term and that every node applies the
 * same entry at each index.
 */
import { describe, expect, it } from "vitest";
import {
  CatchUpTimeoutError,
  Entity,
  KVStateMachine,
  NotLeaderError,
  ProposalDroppedError,
  RaftKV,
  RaftNode,
  Simulation,
} from "../../../src/index.js";

function leaderOf(kv: RaftKV<number>) {
  const leader = kv.leader();
  if (leader === null) throw new Error("no leader");
  return leader;
}

/** A three-node cluster with a 1,500-entry log, one follower down, adding a fourth server. */
function addToLongLog(catchUpLearners: boolean) {
  const sim = new Simulation({ seed: 31 });
  const kv = new RaftKV<number>(sim, "kv", { nodes: 3, node: { maxBatch: 16, catchUpLearners } });
  const joiner = new RaftNode(sim, "kv-4", {
    members: [],
    stateMachine: new KVStateMachine<number>(),
    maxBatch: 16,
  });
  const client = kv.client("client", { giveUpAfter: 30 });
  const latencies: { at: number; seconds: number }[] = [];
  client.start(function* () {
    for (let i = 1; i <= 1500; i++) yield* client.put(`k${i % 10}`, i);
    for (let i = 1; i <= 400; i++) {
      const start = sim.now;
      yield* client.put("hot", i);
      latencies.push({ at: start, seconds: sim.now - start });
      yield 0.005;
    }
  });
  let addedAt = Number.NaN;
  let addStartedAt = Number.NaN;
  const admin = new Entity(sim, "admin");
  admin.start(function* () {
    while (latencies.length < 20) yield 0.01;
    const leader = leaderOf(kv);
    kv.nodes.find((n) => n !== leader)!.crash();
    addStartedAt = sim.now;
    yield* leader.addServer("kv-4");
    addedAt = sim.now;
  });
  sim.run({ until: 60 });
  const during = latencies.filter((l) => l.at >= addStartedAt - 0.01);
  return {
    kv,
    joiner,
    addStartedAt,
    addedAt,
    worst: Math.max(...during.map((l) => l.seconds)),
    puts: latencies.length,
  };
}

describe("RaftNode learners", () => {
  it("adds a server to a long log without stalling commits; it is promoted once caught up", () => {
    const learner = addToLongLog(true);
    const atOnce = addToLongLog(false);
    for (const run of [learner, atOnce]) {
      expect(run.puts).toBe(400);
      expect(Number.isFinite(run.addedAt)).toBe(true);
      expect([...run.joiner.members].sort()).toEqual(["kv-1", "kv-2", "kv-3", "kv-4"]);
      expect(run.joiner.committed).toBe(leaderOf(run.kv).committed);
    }
    // Added at once, the new server is needed for a majority (one old server is down) while
    // it copies 1,500 entries: commits stall. As a learner it copies them first.
    expect(atOnce.worst).toBeGreaterThan(0.5);
    expect(learner.worst).toBeLessThan(0.05);
    expect(learner.addedAt - learner.addStartedAt).toBeGreaterThan(0);
  });

  it("fails an add that does not catch up with CatchUpTimeoutError, configuration unchanged", () => {
    const sim = new Simulation({ seed: 32 });
    const kv = new RaftKV<number>(sim, "kv", { nodes: 3, node: { catchUpTimeout: 1 } });
    const joiner = new RaftNode(sim, "kv-4", {
      members: [],
      stateMachine: new KVStateMachine<number>(),
    });
    joiner.crash();
    const client = kv.client("client");
    client.start(function* () {
      for (let i = 1; i <= 50; i++) yield* client.put("x", i);
    });
    const outcomes: unknown[] = [];
    let failedAt = Number.NaN;
    const admin = new Entity(sim, "admin");
    admin.start(function* () {
      yield 0.5;
      const leader = leaderOf(kv);
      const adding = admin.start(leader.addServer("kv-4")).result;
      yield 0.1;
      // One change at a time: the learner's counts as one.
      try {
        yield* leader.removeServer(kv.nodes.find((n) => n !== leader)!.name);
      } catch (error) {
        outcomes.push(error);
      }
      try {
        yield adding;
      } catch (error) {
        outcomes.push(error);
        failedAt = sim.now;
      }
      expect([...leader.members].sort()).toEqual(["kv-1", "kv-2", "kv-3"]);
      // With the server up, the same add succeeds.
      joiner.recover();
      yield* leader.addServer("kv-4");
    });
    sim.run({ until: 5 });
    expect(outcomes[0]).toBeInstanceOf(ProposalDroppedError);
    expect(outcomes[0]).not.toBeInstanceOf(CatchUpTimeoutError);
    const timeout = outcomes[1] as CatchUpTimeoutError;
    expect(timeout).toBeInstanceOf(CatchUpTimeoutError);
    expect(timeout).toBeInstanceOf(ProposalDroppedError);
    expect(timeout.server).toBe("kv-4");
    expect(timeout.matched).toBe(0);
    expect(timeout.message).toContain('learner "kv-4" did not catch up within 1 s');
    expect(failedAt).toBeCloseTo(1.5, 1);
    expect([...leaderOf(kv).members].sort()).toEqual(["kv-1", "kv-2", "kv-3", "kv-4"]);
    expect((joiner.stateMachine as KVStateMachine<number>).peek("x")).toBe(50);
  });

  it("fails an add with NotLeaderError when the leader loses its leadership during catch-up", () => {
    const sim = new Simulation({ seed: 33 });
    const kv = new RaftKV<number>(sim, "kv", { nodes: 3, node: { checkQuorum: true } });
    const joiner = new RaftNode(sim, "kv-4", {
      members: [],
      stateMachine: new KVStateMachine<number>(),
    });
    joiner.crash();
    let outcome: unknown = null;
    let oldLeader = "";
    const admin = new Entity(sim, "admin");
    admin.start(function* () {
      yield 0.5;
      const leader = leaderOf(kv);
      oldLeader = leader.name;
      const others = kv.nodes.filter((n) => n !== leader);
      sim.at(sim.now + 0.1, () => {
        kv.network.partition([leader], others);
      });
      try {
        yield* leader.addServer("kv-4");
      } catch (error) {
        outcome = error;
      }
    });
    sim.run({ until: 3 });
    expect(outcome).toBeInstanceOf(NotLeaderError);
    for (const node of kv.nodes) expect([...node.members].sort()).toEqual(["kv-1", "kv-2", "kv-3"]);
    // The majority side elected another leader meanwhile; the add never reached any log.
    expect(kv.nodes.some((n) => n.isLeader && n.name !== oldLeader)).toBe(true);
  });

  it("keeps one leader per term and one entry per index with adds under crashes and partitions", () => {
    let promoted = 0;
    for (let seed = 1; seed <= 12; seed++) {
      const sim = new Simulation({ seed: 100 + seed });
      const kv = new RaftKV<number>(sim, "kv", {
        nodes: 3,
        node: { snapshotEvery: seed % 2 === 0 ? 8 : 0, catchUpTimeout: 1, maxBatch: 8 },
      });
      const joiners = ["kv-4", "kv-5"].map(
        (name) =>
          new RaftNode(sim, name, {
            members: [],
            stateMachine: new KVStateMachine<number>(),
            snapshotEvery: seed % 2 === 0 ? 8 : 0,
            catchUpTimeout: 1,
            maxBatch: 8,
          }),
      );
      const nodes = [...kv.nodes, ...joiners];
      const leaders = new Map<number, string>();
      const applied = new Map<number, string>();
      for (const node of nodes) {
        node.observeLeader = (term, name) => {
          expect(leaders.get(term) ?? name, `seed ${seed}: two leaders in term ${term}`).toBe(name);
          leaders.set(term, name);
        };
        node.onApplied = (index, entry) => {
          const text = JSON.stringify(entry);
          expect(applied.get(index) ?? text, `seed ${seed}: index ${index}`).toBe(text);
          applied.set(index, text);
        };
      }
      // A deterministic fault script of the seed's own: crashes and partitions.
      let state = seed * 7919;
      const draw = (n: number) => {
        state = (state * 48271) % 2147483647;
        return state % n;
      };
      for (let t = 0.5; t < 6; t += 0.4 + draw(5) / 10) {
        const victim = nodes[draw(nodes.length)]!;
        if (draw(2) === 0) {
          sim.at(t, () => victim.isUp && victim.crash());
          sim.at(t + 0.3 + draw(4) / 10, () => !victim.isUp && victim.recover());
        } else {
          const others = nodes.filter((n) => n !== victim);
          sim.at(t, () => {
            const cut = kv.network.partition([victim], others);
            sim.at(sim.now + 0.4, () => cut.heal());
          });
        }
      }
      const client = kv.client("client", { giveUpAfter: 1 });
      client.start(function* () {
        for (let i = 1; i <= 120; i++) {
          try {
            yield* client.put(`k${i % 4}`, i);
          } catch {
            // Refused or indeterminate under the faults: go on.
          }
          yield 0.02;
        }
      });
      const admin = new Entity(sim, "admin");
      admin.start(function* () {
        for (const joiner of joiners) {
          for (let attempt = 0; attempt < 20 && !kv.nodes[0]!.members.includes(joiner.name); ) {
            yield 0.3;
            const leader = nodes.find((n) => n.isLeader);
            if (leader === undefined) continue;
            attempt++;
            try {
              yield* leader.addServer(joiner.name);
            } catch {
              // Not the leader any more, a change in progress, or a timeout: try again.
            }
          }
        }
      });
      sim.run({ until: 12 });
      promoted += joiners.filter((j) => nodes.some((n) => n.members.includes(j.name))).length;
      const leader = nodes.find((n) => n.isLeader);
      expect(leader, `seed ${seed}: a leader after the faults`).toBeDefined();
    }
    expect(promoted).toBeGreaterThanOrEqual(12);
  });
});
