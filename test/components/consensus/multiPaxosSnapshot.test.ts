/**
 * Goal: Multi-Paxos with snapshots (`snapshotEvery`) keeps its log and disk bounded over a
 * long run, a replica that fell behind the others' snapshots catches up by a snapshot
 * transfer, and a crash at any point around a snapshot (before, during, after the log
 * rewrite) loses no promise or acceptance the node answered and restarts from the snapshot and
 * the durable suffix. Method: three-node clusters over a datacenter network with a closed-loop
 * writer; white-box reads of the acceptor's state where durability is the point.
 */
import { describe, expect, it } from "vitest";
import {
  type Ballot,
  ConfigError,
  compareBallots,
  conditions,
  Entity,
  type KVCommand,
  type KVResult,
  KVStateMachine,
  MultiPaxosNode,
  Network,
  NetworkLink,
  PaxosKVClient,
  Simulation,
} from "../../../src/index.js";

type Node = MultiPaxosNode<KVCommand<number>, KVResult<number>>;
const MEMBERS = ["m1", "m2", "m3"];

function cluster(sim: Simulation, snapshotEvery: number): { nodes: Node[]; net: Network } {
  const net = new Network(sim, "net", {
    defaultLink: new NetworkLink(sim, "lan", conditions.datacenter()),
  });
  const nodes = MEMBERS.map(
    (name) =>
      new MultiPaxosNode(sim, name, {
        members: MEMBERS,
        stateMachine: new KVStateMachine<number>(),
        snapshotEvery,
      }),
  );
  return { nodes, net };
}

/** A client writing `writes` puts in a row (keys cycling over 5), from `at`. */
function writer(sim: Simulation, writes: number, at = 0.5, name = "client") {
  const client = new PaxosKVClient<number>(sim, name, {
    nodes: MEMBERS,
    attemptTimeout: 0.1,
    maxAttempts: 50,
  });
  const driver = new Entity(sim, `${name}-driver`);
  const done = { count: 0 };
  driver.at(at, () =>
    driver.start(function* () {
      for (let i = 0; i < writes; i++) {
        yield* client.put(`k${i % 5}`, i);
        done.count++;
      }
    }),
  );
  return done;
}

function diskRecords(sim: Simulation, node: string): number {
  // biome-ignore lint/suspicious/noExplicitAny: the node's disk, read as a test probe
  const disk = sim.entity(`${node}.disk`) as any;
  let records = 0;
  for (const file of disk.files() as string[]) records += disk.length(file) as number;
  return records;
}

const contents = (node: Node) => JSON.stringify(node.stateMachine.snapshot());

describe("MultiPaxosNode snapshots", () => {
  it("keeps the log and the disk bounded over a long run (without snapshots they grow)", () => {
    const measure = (snapshotEvery: number) => {
      const sim = new Simulation({ seed: 1 });
      const { nodes } = cluster(sim, snapshotEvery);
      const done = writer(sim, 400);
      let maxRecords = 0;
      const probe = new Entity(sim, "probe");
      const sample = () => {
        for (const name of MEMBERS) maxRecords = Math.max(maxRecords, diskRecords(sim, name));
        probe.after(0.01, sample, undefined, { daemon: true });
      };
      probe.at(0.5, sample);
      sim.run({ until: 20 });
      return { nodes, done: done.count, maxRecords };
    };
    const bounded = measure(20);
    expect(bounded.done).toBe(400);
    // A snapshot, its promise and round, the accepted and chosen values since (about 2 x 20),
    // the seal; the other file holds the previous generation until the new one is sealed.
    expect(bounded.maxRecords).toBeLessThan(150);
    for (const node of bounded.nodes) {
      expect(node.appliedCount).toBeGreaterThanOrEqual(400);
      expect(node.snapshotSlot).toBeGreaterThan(380);
      expect(node.stats.snapshotsTaken).toBeGreaterThanOrEqual(19);
      expect(node.chosenEntry(0)).toBeUndefined();
      expect(contents(node)).toBe(contents(bounded.nodes[0]!));
    }
    const unbounded = measure(0);
    expect(unbounded.done).toBe(400);
    expect(unbounded.maxRecords).toBeGreaterThan(800);
    expect(contents(unbounded.nodes[0]!)).toBe(contents(bounded.nodes[0]!));
  });

  it("a replica cut off while the others snapshot catches up by a snapshot transfer", () => {
    const sim = new Simulation({ seed: 2 });
    const { nodes, net } = cluster(sim, 10);
    const done = writer(sim, 100);
    // m3 is cut off from the start of the writes until well after they end.
    let lagging: Node | null = null;
    sim.at(0.4, () => {
      lagging = nodes.find((node) => !node.isLeader)!;
      net.partition(
        [lagging],
        nodes.filter((node) => node !== lagging),
      );
    });
    let behindAtHeal = 0;
    sim.at(4, () => {
      behindAtHeal = lagging!.appliedCount;
      net.heal();
    });
    sim.run({ until: 6 });
    expect(done.count).toBe(100);
    const leader = nodes.find((node) => node.isLeader)!;
    expect(behindAtHeal).toBeLessThan(leader.snapshotSlot);
    expect(lagging!.stats.snapshotsInstalled).toBeGreaterThanOrEqual(1);
    expect(lagging!.appliedCount).toBe(leader.appliedCount);
    expect(contents(lagging!)).toBe(contents(leader));
  });

  it("a restarted replica recovers its snapshot and suffix, then catches up by snapshot", () => {
    const sim = new Simulation({ seed: 3 });
    const { nodes } = cluster(sim, 10);
    const done = writer(sim, 120);
    let restarted: Node | null = null;
    let slotAtCrash = 0;
    sim.at(1, () => {
      restarted = nodes.find((node) => !node.isLeader)!;
      slotAtCrash = restarted.snapshotSlot;
      restarted.crash();
    });
    let recoveredFrom = -1;
    sim.at(3, () => {
      restarted!.recover();
      recoveredFrom = restarted!.appliedCount;
    });
    sim.run({ until: 6 });
    expect(done.count).toBe(120);
    expect(slotAtCrash).toBeGreaterThan(0);
    // It restarted from its own snapshot (not from slot 0), then took the leader's.
    expect(recoveredFrom).toBeGreaterThanOrEqual(slotAtCrash);
    expect(restarted!.stats.snapshotsInstalled).toBeGreaterThanOrEqual(1);
    const leader = nodes.find((node) => node.isLeader)!;
    expect(contents(restarted!)).toBe(contents(leader));
  });

  it("a crash at any point around a snapshot keeps every answered promise and acceptance", () => {
    // Host crashes every 0.25 ms (the leader and a follower in turn) over a 20 ms window of
    // steady writes with a snapshot every 4 slots: before, during and after log rewrites (a
    // rewrite takes a sync).
    let duringRewrite = 0;
    let betweenRewrites = 0;
    for (let step = 0; step < 80; step++) {
      const sim = new Simulation({ seed: 7 });
      const { nodes } = cluster(sim, 4);
      // Three at once, so slots are in flight (accepted, not yet applied) at every rewrite.
      for (const name of ["c1", "c2", "c3"]) writer(sim, 30, 0.5, name);
      const promised: Ballot[] = [];
      const accepted: [number, Ballot][] = [];
      let victim: Node | null = null;
      sim.at(0.5 + 0.03, () => {
        // The leader at even steps, a follower at odd ones: both rewrite their logs.
        victim = nodes.find((node) => node.isLeader === (step % 2 === 0))!;
        const send = victim.send.bind(victim);
        // biome-ignore lint/suspicious/noExplicitAny: a spy on what the node answers
        (victim as any).send = (target: never, kind: string, payload: any) => {
          if (kind === "promise") promised.push(payload.ballot);
          if (kind === "accepted") accepted.push([payload.slot, payload.ballot]);
          return send(target, kind, payload);
        };
      });
      sim.at(0.54 + step * 0.00025, () => {
        // biome-ignore lint/suspicious/noExplicitAny: white-box: the acceptor's state
        const acceptor = (victim as any).acceptor;
        if (acceptor.compacting) duringRewrite++;
        else betweenRewrites++;
        victim!.crash();
      });
      sim.at(0.6, () => {
        victim!.recover();
        // biome-ignore lint/suspicious/noExplicitAny: white-box: the acceptor's state
        const acceptor = (victim as any).acceptor;
        for (const ballot of promised) {
          expect(compareBallots(acceptor.promised, ballot)).toBeGreaterThanOrEqual(0);
        }
        for (const [slot, ballot] of accepted) {
          if (slot < acceptor.snapshotSlot) continue;
          const kept = acceptor.accepted.get(slot);
          expect(kept, `slot ${slot} at step ${step}`).toBeDefined();
          expect(compareBallots(kept.ballot, ballot)).toBeGreaterThanOrEqual(0);
        }
        expect(victim!.appliedCount).toBeGreaterThanOrEqual(acceptor.snapshotSlot);
      });
      sim.run({ until: 4 });
      const reference = contents(nodes.find((node) => node !== victim)!);
      for (const node of nodes) expect(contents(node), `step ${step}`).toBe(reference);
    }
    expect(duringRewrite).toBeGreaterThan(5);
    expect(betweenRewrites).toBeGreaterThan(5);
  });

  it("refuses a snapshotEvery that is not a whole number >= 0", () => {
    const sim = new Simulation({ seed: 1 });
    expect(
      () =>
        new MultiPaxosNode(sim, "m1", {
          members: MEMBERS,
          stateMachine: new KVStateMachine<number>(),
          snapshotEvery: -1,
        }),
    ).toThrow(ConfigError);
  });
});
