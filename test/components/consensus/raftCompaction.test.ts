/**
 * Goal: a RaftNode's snapshot reclaims the log's prefix on its disk, crash-safely. Disk usage
 * stays bounded over a long run with snapshotEvery (and grows without it); a restart replays
 * only what follows the last checkpoint; a crash at any event boundary around compactions
 * recovers exactly the term, vote, snapshot, log and configuration the disk had made durable.
 * Method: the oracle folds every record the node ever issued to its disk, in issue order,
 * ignoring segments and deletes (a vote sets term and vote; an entry truncates the log there
 * and appends; a checkpoint replaces everything). The disk makes a prefix of its writes (in
 * issue order) durable, so after a host crash the node must hold the fold of the first
 * `syncedWrites` writes (all of them after a process crash, which keeps the disk's buffer):
 * the segment deletes must never have taken anything that prefix still needed.
 */
import { describe, expect, it } from "vitest";
import {
  type DiskRecordOptions,
  Entity,
  type KVCommand,
  type KVResult,
  KVStateMachine,
  RaftKV,
  type RaftLogEntry,
  RaftNode,
  type RaftRecord,
  Simulation,
  type SnapshotState,
} from "../../../src/index.js";

type Command = KVCommand<number>;
type Node = RaftNode<Command, KVResult<number>>;

interface Durable {
  term: number;
  votedFor: string | null;
  snapIndex: number;
  snapTerm: number;
  members: readonly string[] | null;
  machine: unknown;
  log: RaftLogEntry<Command>[];
}

function fold(state: Durable, record: RaftRecord<Command> | null): Durable {
  if (record === null) return state; // a delete: it changes what is on disk, not what it means
  if (record.type === "vote") return { ...state, term: record.term, votedFor: record.votedFor };
  if (record.type === "entry") {
    if (record.index <= state.snapIndex) return state;
    const log = state.log.slice(0, record.index - state.snapIndex - 1);
    log.push(record.entry);
    return { ...state, log };
  }
  return {
    term: record.term,
    votedFor: record.votedFor,
    snapIndex: record.index,
    snapTerm: record.snapTerm,
    members: record.members,
    machine: (record.state as SnapshotState).machine,
    log: [...record.entries],
  };
}

/** Records every write the node's disk accepts, in issue order (null: a delete or truncate). */
function watchDisk(node: Node): (RaftRecord<Command> | null)[] {
  const issued: (RaftRecord<Command> | null)[] = [];
  const disk = node.disk;
  const append = disk.appendFuture.bind(disk);
  disk.appendFuture = (file: string, value: RaftRecord<Command>, options?: DiskRecordOptions) => {
    const future = append(file, value, options);
    if (future.state !== "rejected") issued.push(value);
    return future;
  };
  for (const method of ["deleteFuture", "truncateFuture"] as const) {
    const original = (
      disk[method] as (...args: never[]) => ReturnType<typeof disk.deleteFuture>
    ).bind(disk);
    (disk as unknown as Record<string, unknown>)[method] = (...args: never[]) => {
      const future = original(...args);
      if (future.state !== "rejected") issued.push(null);
      return future;
    };
  }
  return issued;
}

function durableAfter(issued: readonly (RaftRecord<Command> | null)[], count: number): Durable {
  let state: Durable = {
    term: 0,
    votedFor: null,
    snapIndex: 0,
    snapTerm: 0,
    members: null,
    machine: null,
    log: [],
  };
  for (let i = 0; i < count; i++) state = fold(state, issued[i]!);
  return state;
}

/** What the node holds now of what it persists. */
function held(node: Node): Durable {
  const log: RaftLogEntry<Command>[] = [];
  for (let i = node.snapshotIndex + 1; i <= node.lastIndex; i++) log.push(node.entryAt(i)!);
  return {
    term: node.term,
    votedFor: Reflect.get(node, "votedFor") as string | null,
    snapIndex: node.snapshotIndex,
    snapTerm: node.termAt(node.snapshotIndex)!,
    members: node.snapshotIndex === 0 ? null : (Reflect.get(node, "snapMembers") as string[]),
    machine: node.snapshotIndex === 0 ? null : Reflect.get(node, "snapState").machine,
    log,
  };
}

describe("RaftNode log compaction on disk", () => {
  it("keeps disk usage bounded over a long run with snapshotEvery (and not without)", () => {
    const peaks: Record<string, { records: number; bytes: number; compactions: number }> = {};
    for (const snapshotEvery of [0, 20]) {
      const sim = new Simulation({ seed: 11 });
      const kv = new RaftKV<number>(sim, "kv", { nodes: 3, node: { snapshotEvery } });
      const client = kv.client("client");
      client.start(function* () {
        for (let i = 1; i <= 600; i++) yield* client.put(`k${i % 7}`, i);
      });
      let records = 0;
      let bytes = 0;
      const sample = new Entity(sim, "sampler");
      sample.start(function* () {
        yield 2; // past the first snapshots
        for (;;) {
          for (const node of kv.nodes) {
            records = Math.max(records, node.stats.diskRecords);
            bytes = Math.max(bytes, node.stats.usedBytes);
          }
          yield 0.01;
        }
      });
      sim.run({ until: 30 });
      expect(kv.nodes.every((n) => n.committed >= 600)).toBe(true);
      const compactions = Math.min(...kv.nodes.map((n) => n.stats.compactions));
      peaks[snapshotEvery] = { records, bytes, compactions };
    }
    // Without snapshots every entry stays on disk; with them about snapshotEvery do.
    expect(peaks[0]!.records).toBeGreaterThan(600);
    expect(peaks[0]!.compactions).toBe(0);
    expect(peaks[20]!.compactions).toBeGreaterThanOrEqual(600 / 20 - 1);
    expect(peaks[20]!.records).toBeLessThanOrEqual(2 * 20 + 10);
    expect(peaks[20]!.bytes).toBeLessThan(peaks[0]!.bytes / 5);
  });

  it("a restart replays only the last checkpoint and what follows it", () => {
    for (const snapshotEvery of [0, 25]) {
      const sim = new Simulation({ seed: 12 });
      const kv = new RaftKV<number>(sim, "kv", { nodes: 3, node: { snapshotEvery } });
      const client = kv.client("client");
      client.start(function* () {
        for (let i = 1; i <= 300; i++) yield* client.put(`k${i % 5}`, i);
      });
      sim.run({ until: 20 });
      const node = kv.nodes.find((n) => n.role === "follower")!;
      const before = held(node);
      node.crash();
      node.recover();
      expect(held(node)).toEqual(before);
      if (snapshotEvery === 0) expect(node.stats.lastReplayed).toBeGreaterThan(300);
      else expect(node.stats.lastReplayed).toBeLessThanOrEqual(snapshotEvery + 5);
      sim.run({ until: 22 });
      expect((node.stateMachine as KVStateMachine<number>).peek("k0")).toBe(300);
    }
  });

  /** A single node (its own majority) proposing 16 commands, a snapshot every 3 entries. */
  function solo(seed: number, tornWriteProbability: number) {
    const sim = new Simulation({ seed });
    const node: Node = new RaftNode(sim, "solo", {
      members: ["solo"],
      stateMachine: new KVStateMachine<number>(),
      snapshotEvery: 3,
      disk: { syncLatency: 0.002, tornWriteProbability },
    });
    const issued = watchDisk(node);
    const client = new Entity(sim, "client");
    client.start(function* () {
      yield 0.5;
      for (let i = 1; i <= 16; i++) {
        try {
          yield* node.propose({ op: "put", key: `k${i % 3}`, value: i });
        } catch {
          // Refused or lost across the crash: the oracle is the disk, not the answers.
        }
      }
    });
    return { sim, node, issued };
  }

  it("recovers exactly what was durable after a crash at every event boundary", () => {
    const total = solo(3, 0).sim.run({ until: 3 }).eventsProcessed;
    expect(total).toBeGreaterThan(100);
    let compactionsSeen = 0;
    let deletesLost = 0;
    for (let k = 1; k <= total; k++) {
      for (const kind of ["host", "process", "torn"] as const) {
        const at = `${kind} crash after ${k} events`;
        const { sim, node, issued } = solo(3, kind === "torn" ? 1 : 0);
        sim.run({ maxEvents: k });
        // What the node holds is what it issued (the oracle's fold agrees with the node).
        expect(held(node), at).toEqual(durableAfter(issued, issued.length));
        compactionsSeen = Math.max(compactionsSeen, node.stats.compactions);
        const durable = kind === "process" ? issued.length : node.disk.stats.syncedWrites;
        if (durable < issued.length && issued.slice(durable).includes(null)) deletesLost++;
        node.crash(kind === "process" ? { kind: "process" } : undefined);
        node.recover();
        expect(held(node), at).toEqual(durableAfter(issued, durable));
        // It goes on from there: every command it acknowledges after lands in its state.
        if (k % 5 !== 0) continue;
        sim.run({ until: 4 });
        expect(node.role, `${at}, then on`).toBe("leader");
        expect(node.applied, `${at}, then on`).toBe(node.lastIndex);
      }
    }
    expect(compactionsSeen).toBeGreaterThanOrEqual(4);
    // Crashes fell between a compaction's deletes and the sync that would have kept them.
    expect(deletesLost).toBeGreaterThan(0);
  });

  it("recovers a follower at every event boundary around its compactions", () => {
    const build = () => {
      const sim = new Simulation({ seed: 21 });
      const kv = new RaftKV<number>(sim, "kv", {
        nodes: 3,
        node: { snapshotEvery: 4, disk: { syncLatency: 0.001 } },
      });
      const follower = kv.nodes[1]!;
      const issued = watchDisk(follower);
      const client = kv.client("client");
      client.start(function* () {
        for (let i = 1; i <= 14; i++) yield* client.put(`k${i % 3}`, i);
      });
      return { sim, kv, follower, issued };
    };
    // The boundaries within a few events of each compaction of the follower.
    const probe = build();
    const around = new Set<number>();
    let seen = 0;
    let events = 0;
    while (probe.sim.run({ maxEvents: 1 }).eventsProcessed > 0 && events < 20_000) {
      events++;
      if (probe.follower.stats.compactions > seen) {
        seen = probe.follower.stats.compactions;
        for (let d = -6; d <= 6; d++) around.add(events + d);
      }
    }
    expect(seen).toBeGreaterThanOrEqual(3);
    for (const k of [...around].sort((a, b) => a - b)) {
      if (k < 1) continue;
      const { sim, kv, follower, issued } = build();
      sim.run({ maxEvents: k });
      const durable = follower.disk.stats.syncedWrites;
      follower.crash();
      follower.recover();
      expect(held(follower), `crash after ${k} events`).toEqual(durableAfter(issued, durable));
      sim.run({ until: 5 });
      const leader = kv.leader()!;
      expect(follower.committed, `crash after ${k} events, then on`).toBe(leader.committed);
      expect((follower.stateMachine as KVStateMachine<number>).snapshot()).toEqual(
        (leader.stateMachine as KVStateMachine<number>).snapshot(),
      );
    }
  });
});
