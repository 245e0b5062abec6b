/**
 * Goal: the distributed-systems guide's API sketch (issue 19: RaftNode over a Network, the
 * Paxos family, LeaderElection by bully / ring / randomized, DistributedLock granting fenced
 * leases, PhiAccrualDetector, MembershipProtocol, CRDTs, the replication modes) works as
 * docs/components/*.md and docs/algorithms/*.md tell a new user to write it.
 * Method: each item is the small program a user writes from those pages alone, asserting the
 * outcome the docs promise (one leader, tokens that only go up, a crash seen as dead, replicas
 * that converge); short runs, three to five nodes.
 */
import { describe, expect, it } from "vitest";
import { PhiAccrualDetector } from "../../src/algorithms/index.js";
import {
  ChainClient,
  ChainReplication,
  ConfigError,
  conditions,
  DistributedLock,
  Entity,
  FencedStore,
  FencingTokens,
  FlexiblePaxosNode,
  GCounter,
  type GCounterState,
  HybridLogicalClock,
  type KVCommand,
  type KVResult,
  KVStateMachine,
  LeaderElection,
  LeaderPerTerm,
  LockClient,
  LWWRegister,
  MembershipProtocol,
  type Message,
  MultiLeaderReplication,
  MultiPaxosLockBackend,
  MultiPaxosNode,
  Network,
  NetworkLink,
  NotLeaderError,
  ORSet,
  PaxosKVClient,
  PaxosNode,
  PNCounter,
  PrimaryBackupReplication,
  RaftLockBackend,
  RaftNode,
  RemoteError,
  Simulation,
} from "../../src/index.js";

function lanSimulation(seed: number): { sim: Simulation; network: Network } {
  const sim = new Simulation({ seed });
  const network = new Network(sim, "cluster", {
    defaultLink: new NetworkLink(sim, "lan", conditions.datacenter()),
  });
  return { sim, network };
}

describe("Raft: five RaftNodes over a Network", () => {
  it("elects one leader, commits through it, and re-elects in a higher term after it crashes", () => {
    const { sim } = lanSimulation(1);
    const members = Array.from({ length: 5 }, (_, i) => `node-${i}`);
    const nodes = members.map(
      (name) => new RaftNode(sim, name, { members, stateMachine: new KVStateMachine<string>() }),
    );
    const leaders = new LeaderPerTerm();
    for (const node of nodes) node.observeLeader = (term, name) => leaders.observe(term, name);
    sim.run({ until: 2 });

    const first = nodes.filter((node) => node.isLeader);
    expect(first).toHaveLength(1);
    expect(new Set(nodes.map((node) => node.leader))).toEqual(new Set([first[0]!.name]));
    const leader = first[0]!;
    let read: unknown;
    let redirectedTo: string | null | undefined;
    leader.start(function* () {
      yield* leader.propose({ op: "put", key: "k", value: "v" });
      read = yield* leader.read({ op: "get", key: "k" });
    });
    const follower = nodes.find((node) => !node.isLeader)!;
    follower.start(function* () {
      try {
        yield* follower.propose({ op: "put", key: "k", value: "lost" });
      } catch (error) {
        if (error instanceof NotLeaderError) redirectedTo = error.leader;
      }
    });
    sim.at(3, () => leader.crash());
    sim.run({ until: 5 });

    expect(read).toBe("v");
    expect(redirectedTo).toBe(leader.name);
    const second = nodes.filter((node) => node.isLeader);
    expect(second).toHaveLength(1);
    expect(second[0]!.name).not.toBe(leader.name);
    expect(second[0]!.term).toBeGreaterThan(leader.term);
    // A crashed node's role is the one it had when it went down: isLeader is what is up.
    expect(leader.role).toBe("leader");
    expect(leaders.check()).toBe(true);
    const survivors = nodes.filter((node) => node !== leader);
    for (const node of survivors) expect(node.committed).toBe(second[0]!.committed);
  });
});

describe("Paxos family", () => {
  it("PaxosNode: two proposers racing, every node decides the one value returned to both", () => {
    const sim = new Simulation({ seed: 1 });
    const members = ["p1", "p2", "p3"];
    const nodes = members.map((name) => new PaxosNode<string>(sim, name, { members }));
    const returned: string[] = [];
    new Entity(sim, "c1").start(function* () {
      returned.push(yield* nodes[0]!.propose("blue"));
    });
    new Entity(sim, "c2").start(function* () {
      returned.push(yield* nodes[2]!.propose("red"));
    });
    sim.run({ until: 2 });
    expect(returned).toHaveLength(2);
    expect(new Set([...returned, ...nodes.map((node) => node.decided)]).size).toBe(1);
    expect(["blue", "red"]).toContain(returned[0]);
    for (const node of nodes) expect(node.stats.conflictingDecisions).toBe(0);
  });

  it("MultiPaxosNode: a stable leader commits a sequence every node applies", () => {
    const sim = new Simulation({ seed: 1 });
    const members = ["m1", "m2", "m3"];
    const nodes = members.map(
      (name) =>
        new MultiPaxosNode<KVCommand<string>, KVResult<string>>(sim, name, {
          members,
          stateMachine: new KVStateMachine<string>(),
        }),
    );
    sim.run({ until: 1 });
    const leaders = nodes.filter((node) => node.isLeader);
    expect(leaders).toHaveLength(1);
    const leader = leaders[0]!;
    let x: unknown;
    leader.start(function* () {
      for (let i = 0; i < 5; i++) yield* leader.propose({ op: "put", key: "x", value: String(i) });
      x = yield* leader.propose({ op: "get", key: "x" });
    });
    sim.run({ until: 2 });
    expect(x).toBe("4");
    expect(leader.stats.electionsWon).toBe(1);
    expect(nodes.map((node) => node.appliedCount)).toEqual([6, 6, 6]);
    for (const node of nodes) expect(node.leaderName).toBe(leader.name);
  });

  it("FlexiblePaxosNode: Q1 + Q2 <= N is a ConfigError; Q1=4, Q2=2 serves a linearizable KV", () => {
    const members = ["f1", "f2", "f3", "f4", "f5"];
    expect(
      () =>
        new FlexiblePaxosNode(new Simulation({ seed: 1 }), "f1", {
          members,
          stateMachine: new KVStateMachine<string>(),
          phase1Quorum: 3,
          phase2Quorum: 2,
        }),
    ).toThrow(ConfigError);
    const sim = new Simulation({ seed: 1 });
    for (const name of members) {
      new FlexiblePaxosNode(sim, name, {
        members,
        stateMachine: new KVStateMachine<number>(),
        phase1Quorum: 4,
        phase2Quorum: 2,
      });
    }
    const client = new PaxosKVClient<number>(sim, "client", { nodes: members });
    const seen: unknown[] = [];
    client.start(function* () {
      yield* client.put("x", 1);
      seen.push(yield* client.cas("x", 1, 2));
      seen.push(yield* client.cas("x", 1, 3)); // false: x is 2 (RaftKV's cas throws instead)
      seen.push(yield* client.get("x"));
    });
    sim.run({ until: 5 });
    expect(seen).toEqual([true, false, 2]);
  });
});

describe("LeaderElection over SWIM", () => {
  for (const strategy of ["bully", "ring", "randomized"] as const) {
    it(`${strategy}: everyone follows one leader, and a new one in a higher term after it crashes`, () => {
      const { sim } = lanSimulation(1);
      const swim = new MembershipProtocol(sim, "swim", { members: 5 });
      const election = new LeaderElection(sim, "election", { membership: swim, strategy });
      sim.run({ until: 10 });
      const first = election.leader();
      expect(first).not.toBeNull();
      if (strategy !== "randomized") expect(first!.name).toBe("swim-4"); // the highest
      for (const member of swim.members) expect(election.leaderOf(member.name)).toBe(first);
      const firstTerm = election.termOf("swim-0");

      first!.crash();
      sim.run({ until: 30 });
      const second = election.leader();
      expect(second).not.toBeNull();
      expect(second).not.toBe(first);
      if (strategy !== "randomized") expect(second!.name).toBe("swim-3");
      expect(election.isLeader(second!.name)).toBe(true);
      expect(election.termOf("swim-0")).toBeGreaterThan(firstTerm);
      expect(election.stats.electionsWon).toBe(2);

      // A member that joins later is in the SWIM cluster but not in the election.
      swim.join("late", second!);
      expect(() => election.leaderOf("late")).toThrow(/members that join later do not elect/);
    });
  }
});

describe("LeaderElection through a 2/3 partition", () => {
  it("a leader cut off goes on leading its old term; bully restores the highest after the heal", () => {
    const leadersBy: Record<string, string[]> = {};
    const healed: Record<string, string | undefined> = {};
    for (const strategy of ["bully", "randomized"] as const) {
      const { sim, network } = lanSimulation(3);
      const swim = new MembershipProtocol(sim, "swim", { members: 5 });
      const election = new LeaderElection(sim, "election", { membership: swim, strategy });
      sim.run({ until: 5 });
      const cut = network.partition(swim.members.slice(0, 2), swim.members.slice(2));
      sim.run({ until: 25 });
      const leading = swim.members.filter((m) => election.isLeader(m));
      leadersBy[strategy] = leading.map((m) => m.name);
      expect(new Set(leading.map((m) => election.termOf(m))).size).toBe(leading.length);
      expect(election.leader()).toBeNull();
      cut.heal();
      sim.run({ until: 60 });
      healed[strategy] = election.leader()?.name;
    }
    expect(leadersBy.bully).toEqual(["swim-1", "swim-4"]); // one a side, in different terms
    // swim-1 led before the cut: no check-quorum, so it goes on leading term 1 in the minority
    // while the majority elects swim-2 in term 2.
    expect(leadersBy.randomized).toEqual(["swim-1", "swim-2"]);
    expect(healed.bully).toBe("swim-4");
    expect(healed.randomized).toBeDefined();
  });
});

describe("DistributedLock: fenced leases", () => {
  function contend(sim: Simulation, lock: DistributedLock): number[] {
    const tokens: number[] = [];
    const storage = new FencedStore<string>(sim, "storage");
    for (const name of ["w1", "w2", "w3"]) {
      const worker = new Entity(sim, name);
      const client = new LockClient(lock, worker, { timeout: 0.5 });
      worker.start(function* () {
        for (let i = 0; i < 3; i++) {
          const lease = yield* client.acquire("report");
          tokens.push(lease.token);
          if (client.holds(lease)) {
            yield* worker.call(storage, "put", { key: "report", value: name, token: lease.token });
          }
          yield 0.1;
          yield* client.release(lease);
        }
      });
    }
    return tokens;
  }

  it("standalone: turns are granted in order, each with a larger token, every release counted", () => {
    const sim = new Simulation({ seed: 1 });
    const lock = new DistributedLock(sim, "locks", { ttl: 2, wait: 5 });
    const tokens = contend(sim, lock);
    sim.run({ until: 30 });
    expect(tokens).toEqual([1, 2, 3, 4, 5, 6, 7, 8, 9]);
    expect(lock.stats).toMatchObject({ granted: 9, released: 9, rejected: 0, lastToken: 9 });
  });

  it("a paused holder's late write is refused by the token; its renew finds the lease lost", () => {
    const sim = new Simulation({ seed: 1 });
    const lock = new DistributedLock(sim, "locks", { ttl: 1, wait: 5 });
    const storage = new FencedStore<string>(sim, "storage");
    const a = new Entity(sim, "a");
    const b = new Entity(sim, "b");
    const clientA = new LockClient(lock, a);
    const clientB = new LockClient(lock, b);
    const outcomes: string[] = [];
    a.start(function* () {
      const lease = yield* clientA.acquire("x");
      yield 3; // a GC pause longer than the lease
      outcomes.push(`a holds: ${clientA.holds(lease)}`);
      try {
        yield* a.call(storage, "put", { key: "x", value: "a", token: lease.token });
      } catch (error) {
        if (error instanceof RemoteError) outcomes.push(`a write: ${error.reason}`);
      }
      try {
        yield* clientA.renew(lease);
      } catch (error) {
        if (error instanceof RemoteError) outcomes.push(`a renew: ${error.reason}`);
      }
      outcomes.push(`a release: ${yield* clientA.release(lease)}`);
    });
    b.start(function* () {
      yield 0.5;
      const lease = yield* clientB.acquire("x"); // waits for a's lease to expire at 1 s
      outcomes.push(`b token ${lease.token} at ${b.now}`);
      yield* b.call(storage, "put", { key: "x", value: "b", token: lease.token });
    });
    sim.run({ until: 10 });
    expect(outcomes).toEqual([
      "b token 2 at 1",
      "a holds: false",
      "a write: stale token",
      "a renew: lease lost",
      "a release: false",
    ]);
    expect(storage.peek("x")).toBe("b");
    expect(storage.stats.fenced).toBe(1);
  });

  it("on Raft: a lock server's crash does not stop grants, and tokens still increase", () => {
    const sim = new Simulation({ seed: 1 });
    const backend = new RaftLockBackend(sim, "lock-servers", {
      nodes: 5,
      node: { preVote: true, checkQuorum: true },
    });
    const lock = new DistributedLock(sim, "locks", { ttl: 2, wait: 5, backend });
    const tokens = contend(sim, lock);
    const fencing = new FencingTokens();
    sim.at(0.5, () => backend.nodes.find((node) => node.isLeader)?.crash());
    sim.run({ until: 30 });
    for (const token of tokens) fencing.observe("locks", token);
    expect(tokens).toHaveLength(9);
    expect(fencing.check()).toBe(true);
    expect(lock.stats.unavailable).toBe(0);
  });

  it("on Multi-Paxos: the first acquire waits for the first election with the default client", () => {
    const sim = new Simulation({ seed: 1 });
    const backend = new MultiPaxosLockBackend(sim, "lock-servers", {});
    const lock = new DistributedLock(sim, "locks", { ttl: 1, wait: 3, backend });
    const worker = new Entity(sim, "worker");
    const client = new LockClient(lock, worker);
    let token = 0;
    worker.start(function* () {
      token = (yield* client.acquire("m")).token;
    });
    sim.run({ until: 5 });
    expect(token).toBe(1);
  });
});

describe("PhiAccrualDetector", () => {
  it("phi grows with silence: a 1 s heartbeat is still available at 1.5 s, suspected at 2 s", () => {
    const detector = new PhiAccrualDetector(); // threshold 8
    for (let at = 0; at <= 10; at++) detector.heartbeat(at);
    expect(detector.phi(10.5)).toBeLessThan(0.01);
    expect(detector.isAvailable(11.5)).toBe(true);
    expect(detector.isAvailable(12)).toBe(false);
    expect(detector.phi(13)).toBeGreaterThan(detector.phi(12));
    expect(detector.estimate()).toEqual({ meanSeconds: 1, stdDeviationSeconds: 0.1, samples: 10 });
    expect(() => detector.heartbeat(9)).toThrow(ConfigError);
    expect(new PhiAccrualDetector().phi(100)).toBe(0); // no heartbeat yet: no suspicion
  });
});

describe("MembershipProtocol (SWIM)", () => {
  it("a crashed member is declared dead by every other, refutes on recovery, and a joiner is seen", () => {
    const { sim } = lanSimulation(1);
    const swim = new MembershipProtocol(sim, "swim", {
      members: 5,
      probeInterval: 1,
      suspicionTimeout: 5,
    });
    sim.at(10, () => swim.members[2]!.crash());
    sim.run({ until: 30 });
    const deaths = swim.events.filter((event) => event.kind === "died");
    expect(deaths.map((event) => event.observer).sort()).toEqual([
      "swim-0",
      "swim-1",
      "swim-3",
      "swim-4",
    ]);
    for (const event of deaths) expect(event.time).toBeGreaterThan(15); // after the suspicion
    expect(swim.members[0]!.viewOf("swim-2")).toEqual({
      name: "swim-2",
      state: "dead",
      incarnation: 0,
    });
    expect(swim.stats.deaths).toBe(4);

    swim.members[2]!.recover();
    sim.run({ until: 45 });
    for (const member of swim.members) expect(member.liveView()).toHaveLength(5);
    expect(swim.members[0]!.viewOf("swim-2")).toMatchObject({ state: "alive", incarnation: 1 });

    swim.join("swim-new", swim.members[0]!);
    sim.run({ until: 60 });
    for (const member of swim.members) expect(member.liveView()).toContain("swim-new");
  });
});

describe("CRDTs", () => {
  it("counters, a register and an OR-set converge from exchanged states", () => {
    const counter = new GCounter("node-1").increment(5);
    const remote = new GCounter("node-2").increment(3);
    counter.merge(remote.toJSON()).merge(remote.toJSON()); // idempotent
    expect(counter.value).toBe(8);

    const stock = new PNCounter("a").increment(5).decrement(7);
    expect(PNCounter.fromJSON("b", JSON.parse(JSON.stringify(stock))).value).toBe(-2);

    let nowNs = 0;
    const physical = { nowNs: () => (nowNs += 1000) };
    const a = new LWWRegister<string>("a").set("blue", new HybridLogicalClock(physical).tick());
    const b = new LWWRegister<string>("b").set("red", new HybridLogicalClock(physical).tick());
    a.merge(b.toJSON());
    b.merge(a.toJSON());
    expect([a.value, b.value]).toEqual(["red", "red"]); // the later write

    const cart = new ORSet("a").add("milk");
    const other = new ORSet("b").merge(cart);
    cart.remove("milk");
    other.add("milk"); // concurrent with the remove
    cart.merge(other);
    other.merge(cart);
    expect(cart.has("milk")).toBe(true);
    expect(other.value).toEqual(cart.value);
  });

  it("replicas on a network (the guide's CRDTStore): gossiped states converge after a partition", () => {
    class CounterReplica extends Entity<GCounterState> {
      readonly counter: GCounter;
      peers: CounterReplica[] = [];
      constructor(sim: Simulation, name: string) {
        super(sim, name);
        this.counter = new GCounter(name);
        this.start(this.gossip, { daemon: true });
      }
      private *gossip() {
        for (;;) {
          yield 0.5;
          for (const peer of this.peers) this.send(peer, "state", this.counter.toJSON());
        }
      }
      override handle(message: Message<GCounterState>) {
        this.counter.merge(message.payload);
      }
    }
    const { sim, network } = lanSimulation(1);
    const replicas = ["a", "b", "c"].map((name) => new CounterReplica(sim, name));
    for (const replica of replicas) replica.peers = replicas.filter((peer) => peer !== replica);
    const cut = network.partition([replicas[0]!], replicas.slice(1));
    sim.at(1, () => {
      replicas[0]!.counter.increment(5);
      replicas[1]!.counter.increment(3);
    });
    sim.at(3, () => cut.heal());
    sim.run({ until: 2.9 });
    expect(replicas.map((replica) => replica.counter.value)).toEqual([5, 3, 3]);
    sim.run({ until: 5 });
    expect(replicas.map((replica) => replica.counter.value)).toEqual([8, 8, 8]);
  });
});

describe("Replication modes", () => {
  it("primary-backup: the primary crashes, a backup takes over, sync loses no acknowledged write", () => {
    const { sim } = lanSimulation(1);
    const pb = new PrimaryBackupReplication<number>(sim, "pb", { backups: 2, mode: "sync" });
    let acknowledged = 0;
    new Entity(sim, "app").start(function* () {
      for (let i = 0; i < 40; i++) {
        try {
          yield* pb.put(`k${i}`, i);
          acknowledged++;
        } catch {
          // refused while a backup of the sync set is down
        }
      }
    });
    sim.at(0.1, () => pb.nodes[0]!.crash());
    sim.run({ until: 2 });
    expect(pb.primary).not.toBe(pb.nodes[0]!.name);
    expect(pb.failovers).toHaveLength(1);
    expect(acknowledged).toBeGreaterThan(0);
    expect(pb.stats.lostOnFailover).toBe(0);
  });

  it("multi-leader: writes on both sides of a partition merge after the heal", () => {
    const { sim, network } = lanSimulation(1);
    const ml = new MultiLeaderReplication<string>(sim, "ml", {
      nodes: 3,
      resolver: "vectorClockMerge",
      merge: (values) => [...values].sort().join("+"),
      antiEntropyInterval: 0.5,
    });
    const [a, , c] = ml.nodes;
    const cut = network.partition([a!], [c!]);
    let read: unknown;
    new Entity(sim, "app").start(function* () {
      yield* ml.put("cart", "book", { at: 0 });
      yield* ml.put("cart", "pen", { at: 2 });
      yield 1;
      cut.heal();
      yield 2;
      read = yield* ml.get("cart", { at: 1 });
    });
    sim.run({ until: 4 });
    expect(read).toBe("book+pen");
    expect(ml.converged()).toBe(true);
    expect(ml.stats.conflicts).toBeGreaterThan(0);
  });

  it("chain replication with CRAQ: a write acknowledged at the tail is read back", () => {
    const sim = new Simulation({ seed: 1 });
    const chain = new ChainReplication<string>(sim, "chain", { replicas: 3, craq: true });
    const worker = new Entity(sim, "worker");
    const client = new ChainClient(chain, worker, { timeout: 0.5 });
    let value: unknown;
    worker.start(function* () {
      yield 0.01;
      yield* client.put("x", "v1");
      value = yield* client.get("x");
    });
    sim.run({ until: 1 });
    expect(value).toBe("v1");
    expect(chain.config.chain).toEqual(["chain-0", "chain-1", "chain-2"]);
  });
});
