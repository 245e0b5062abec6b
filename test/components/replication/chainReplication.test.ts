/**
 * Goal: `ChainReplication` commits a write at the tail before acknowledging it, reads at the
 * tail (or, with CRAQ, at any node: clean keys locally, dirty ones after a version check with
 * the tail), removes a failed head, middle or tail and goes on with no committed write lost,
 * and passes the component laws.
 * Method: scripted clients; node statistics and answers compared.
 */
import { describe, expect, it } from "vitest";
import {
  ChainClient,
  ChainReplication,
  type ChainReplicationOptions,
  dist,
  Entity,
  Network,
  NetworkLink,
  Simulation,
} from "../../../src/index.js";
import { componentLaws, SUBJECT } from "../../support/laws.js";

function setup(options: ChainReplicationOptions = {}) {
  const sim = new Simulation({ seed: 1 });
  const net = new Network(sim, "net", {
    defaultLink: new NetworkLink(sim, "lan", { latency: dist.constant(0.001) }),
  });
  const chain = new ChainReplication<string>(sim, "chain", options);
  const worker = new Entity(sim, "worker");
  const client = new ChainClient(chain, worker, { timeout: 0.5 });
  return { sim, net, chain, worker, client };
}

describe("ChainReplication", () => {
  it("acknowledges a write once the tail applied it; reads at the tail", () => {
    const { sim, chain, worker, client } = setup();
    const log: string[] = [];
    sim.at(0.1, () =>
      worker.start(function* () {
        const seq = yield* client.put("x", "a");
        log.push(`put ${seq} at ${worker.now.toFixed(3)} tail ${chain.tail?.peek("x")}`);
        log.push(`get ${yield* client.get("x")}`);
      }),
    );
    sim.run({ until: 1 });
    // Head to tail (2 hops), the ack back (2 hops), to and from the client: 6 ms.
    expect(log).toEqual(["put 1 at 0.106 tail a", "get a"]);
    expect(chain.nodeStats().map((node) => node.reads)).toEqual([0, 0, 1]);
  });

  it("with CRAQ answers clean keys at any node and checks dirty ones with the tail", () => {
    const { sim, chain, worker } = setup({ craq: true });
    const readers = chain.nodes.map((node) => node.name);
    const log: string[] = [];
    const writer = new ChainClient(chain, worker);
    sim.at(0.1, () =>
      worker.start(function* () {
        yield* writer.put("x", "a");
        // The next write is in flight at the head when the head is read: dirty there.
        const second = worker.start(writer.put("x", "b"));
        yield 0.0005;
        const head = chain.node(readers[0]!);
        log.push(`head ${yield* worker.call(head, "get", { key: "x" }, { timeout: 1 })}`);
        yield second;
        for (const name of readers) {
          log.push(
            `${name} ${yield* worker.call(chain.node(name), "get", { key: "x" }, { timeout: 1 })}`,
          );
        }
      }),
    );
    sim.run({ until: 1 });
    expect(log).toEqual(["head a", "chain-0 b", "chain-1 b", "chain-2 b"]);
    const stats = chain.nodeStats();
    expect(stats[0]).toMatchObject({ reads: 2, versionChecks: 1, cleanReads: 1 });
    expect(stats.map((node) => node.reads)).toEqual([2, 1, 1]);
  });

  for (const [position, index] of [
    ["head", 0],
    ["middle", 1],
    ["tail", 2],
  ] as const) {
    it(`removes a crashed ${position} and goes on with every committed write`, () => {
      const { sim, chain, worker, client } = setup();
      const values: string[] = [];
      let failures = 0;
      sim.at(0.05, () =>
        worker.start(function* () {
          for (let i = 0; i < 40; i++) {
            try {
              yield* client.put("x", `v${i}`);
              values.push(`v${i}`);
            } catch {
              failures++;
            }
            yield 0.02;
          }
        }),
      );
      sim.at(0.3, () => chain.nodes[index]!.crash());
      sim.run({ until: 4 });
      expect(chain.stats).toMatchObject({ chainLength: 2, reconfigurations: 1, removed: 1 });
      expect(chain.config.chain).not.toContain(`chain-${index}`);
      // The last acknowledged write is what every remaining node has committed.
      for (const name of chain.config.chain) expect(chain.node(name).peek("x")).toBe(values.at(-1));
      expect(values.length).toBeGreaterThan(25);
      expect(failures).toBeLessThan(15);
    });
  }

  for (const [position, index] of [
    ["head", 0],
    ["middle", 1],
    ["tail", 2],
  ] as const) {
    it(`a recovered ${position} rejoins at the tail with the tail's state and serves reads`, () => {
      const { sim, chain, worker, client } = setup({ craq: false });
      const rejoiner = `chain-${index}`;
      const values: string[] = [];
      const reads: { value: string | undefined; last: string | undefined }[] = [];
      sim.at(0.05, () =>
        worker.start(function* () {
          for (let i = 0; i < 100; i++) {
            try {
              yield* client.put("x", `v${i}`);
              values.push(`v${i}`);
              yield* client.put(`k${i % 7}`, `v${i}`);
              const last = values.at(-1);
              reads.push({ value: yield* client.get("x"), last });
            } catch {
              // Refused or timed out while the chain changes: tried again with the next value.
            }
            yield 0.02;
          }
        }),
      );
      sim.at(0.3, () => chain.nodes[index]!.crash());
      sim.at(1, () => chain.nodes[index]!.recover());
      sim.run({ until: 5 });
      expect(chain.stats).toMatchObject({ chainLength: 3, removed: 1, rejoined: 1 });
      expect(chain.config.chain.at(-1)).toBe(rejoiner);
      expect(chain.node(rejoiner).stats.syncs).toBe(1);
      // Every node, the rejoined one included, holds every key's last acknowledged write.
      for (const name of chain.config.chain) {
        expect(chain.node(name).peek("x")).toBe(values.at(-1));
        for (const other of chain.config.chain) {
          for (let k = 0; k < 7; k++) {
            expect(chain.node(name).peek(`k${k}`)).toBe(chain.node(other).peek(`k${k}`));
          }
        }
      }
      // A read never returned anything but the value last acknowledged before it (one writer).
      for (const read of reads) expect(read.value).toBe(read.last);
      expect(values.length).toBeGreaterThan(80);
      expect(chain.node(rejoiner).stats.reads).toBeGreaterThan(20);
    });
  }

  it("keeps its last member with the data: a master cut off from every node loses nothing", () => {
    // The master hears from no node for 1.5 s. Removing all three would leave nobody to copy
    // from: each node would rejoin, discard its state and wait for a copy forever.
    const { sim, chain, worker, client } = setup();
    const net = sim.entity("net") as Network;
    const log: string[] = [];
    sim.at(0.1, () =>
      worker.start(function* () {
        yield* client.put("x", "a");
        log.push("put a");
      }),
    );
    sim.at(0.5, () => {
      const cut = net.partition([chain], chain.nodes);
      sim.at(2, () => cut.heal());
    });
    sim.at(4, () =>
      worker.start(function* () {
        for (let attempt = 0; attempt < 20; attempt++) {
          try {
            log.push(`get ${yield* client.get("x")}`);
            yield* client.put("x", "b");
            log.push(`put b, get ${yield* client.get("x")}`);
            return;
          } catch {
            yield 0.1;
          }
        }
      }),
    );
    sim.run({ until: 8 });
    expect(log).toEqual(["put a", "get a", "put b, get b"]);
    // Two removed and back; the last one was kept (it holds the data), first in the chain now.
    expect(chain.stats).toMatchObject({ chainLength: 3, removed: 2, rejoined: 2 });
    expect(chain.config.chain[0]).toBe("chain-2");
    for (const name of chain.config.chain) expect(chain.node(name).peek("x")).toBe("b");
  });

  it("keeps the old tail while the rejoined node has not copied it yet", () => {
    // chain-2 crashes and rejoins behind chain-1, which crashes before chain-2 asked for its
    // copy; chain-0 then crashes too. The chain must not go on with chain-2 alone (no copy).
    const { sim, chain, worker, client } = setup({ replicas: 2 });
    const [first, second] = chain.nodes;
    const net = sim.entity("net") as Network;
    const log: string[] = [];
    sim.at(0.1, () =>
      worker.start(function* () {
        yield* client.put("x", "a");
        log.push("put a");
      }),
    );
    sim.at(0.3, () => second!.crash());
    // The old tail cannot answer the rejoiner's copy request, then fails.
    sim.at(1, () => {
      net.partition([first!], [second!]);
      second!.recover();
    });
    sim.at(1.2, () => first!.crash());
    sim.at(3, () => {
      first!.recover();
      net.heal();
    });
    sim.at(4, () =>
      worker.start(function* () {
        for (let attempt = 0; attempt < 20; attempt++) {
          try {
            log.push(`get ${yield* client.get("x")}`);
            return;
          } catch {
            yield 0.1;
          }
        }
      }),
    );
    sim.run({ until: 6 });
    expect(log).toEqual(["put a", "get a"]);
    expect(chain.config.chain).toEqual(["chain-0", "chain-1"]);
  });

  it("a single node that fails is kept: back up, it serves what it held", () => {
    const { sim, chain, worker, client } = setup({ replicas: 1 });
    const log: string[] = [];
    sim.at(0.1, () =>
      worker.start(function* () {
        yield* client.put("x", "a");
        log.push("put a");
      }),
    );
    sim.at(0.3, () => chain.nodes[0]!.crash());
    sim.at(1.5, () => chain.nodes[0]!.recover());
    sim.at(2, () =>
      worker.start(function* () {
        log.push(`get ${yield* client.get("x")}`);
      }),
    );
    sim.run({ until: 3 });
    expect(log).toEqual(["put a", "get a"]);
    expect(chain.stats).toMatchObject({ chainLength: 1, removed: 0, rejoined: 0 });
  });

  it("a copy of a put it refused does not become a write once the node is the head", () => {
    // When the master makes chain-1 the head (the head crashed): the same run, watched.
    const headAt = (() => {
      const { sim, chain } = setup();
      let at = -1;
      sim.at(0.05, () => chain.nodes[0]!.crash());
      for (let t = 0.05; t < 2; t += 0.0005) {
        sim.at(t, () => {
          if (at < 0 && chain.config.epoch === 2) at = sim.now;
        });
      }
      sim.run({ until: 2 });
      return at;
    })();
    expect(headAt).toBeGreaterThan(0);
    const { sim, net, chain, worker } = setup();
    sim.at(0.05, () => chain.nodes[0]!.crash());
    // The put reaches chain-1 before it adopts the new configuration (refused: not the head),
    // the network's copy 10 ms later, after it did.
    let outcome = "";
    sim.at(headAt - 0.005, () => {
      net.addDuplication({ probability: 1, delay: 0.01 });
      worker.start(function* () {
        try {
          yield* worker.call(
            chain.node("chain-1"),
            "put",
            { key: "x", value: "v" },
            { timeout: 0.5 },
          );
          outcome = "applied";
        } catch (error) {
          outcome = (error as Error).message;
        }
      });
    });
    sim.run({ until: 2 });
    expect(chain.config.chain).toEqual(["chain-1", "chain-2"]);
    expect(outcome).toMatch(/not the head/);
    for (const name of chain.config.chain) expect(chain.node(name).peek("x")).toBeUndefined();
  });

  it("with rejoin: false a removed node stays out", () => {
    const { sim, chain } = setup({ rejoin: false });
    sim.at(0.3, () => chain.nodes[0]!.crash());
    sim.at(1, () => chain.nodes[0]!.recover());
    sim.run({ until: 3 });
    expect(chain.stats).toMatchObject({ chainLength: 2, removed: 1, rejoined: 0 });
  });

  it("refuses bad options with a ConfigError", () => {
    const sim = new Simulation({ seed: 1 });
    expect(() => new ChainReplication(sim, "c", { replicas: 0 })).toThrow(/replicas/);
    expect(() => new ChainReplication(sim, "c", { heartbeat: 1, failureTimeout: 0.5 })).toThrow(
      /failureTimeout/,
    );
    expect(() => new ChainReplication(sim, "c", { craq: "yes" as unknown as boolean })).toThrow(
      /craq/,
    );
    expect(() => new ChainReplication(sim, "c", { rejoin: 1 as unknown as boolean })).toThrow(
      /rejoin/,
    );
  });
});

componentLaws<ChainReplication<number>>({
  type: ChainReplication,
  options: () => ({
    replicas: 3,
    craq: true,
    heartbeat: 0.05,
    failureTimeout: 0.3,
    lease: 0.2,
    retransmit: 0.05,
    versionTimeout: 0.1,
    readTime: 0.001,
    rejoin: true,
  }),
  construct: (sim, name, options) =>
    new ChainReplication<number>(sim, name, options as ChainReplicationOptions),
  invalid: [
    { replicas: 1.5 },
    { craq: 1 },
    { heartbeat: 0 },
    { lease: -1 },
    { retransmit: "x" },
    { versionTimeout: 0 },
    { readTime: -1 },
  ],
  scenario(sim) {
    const chain = new ChainReplication<number>(sim, SUBJECT, { craq: true, readTime: 0.002 });
    for (let i = 0; i < 2; i++) {
      const worker = new Entity(sim, `worker-${i}`);
      const client = new ChainClient(chain, worker, { timeout: 0.2 });
      worker.start(function* () {
        for (let n = 0; n < 40; n++) {
          yield 0.03;
          try {
            if (n % 2 === 0) yield* client.put("k", n);
            else yield* client.get("k");
          } catch {
            // Refused or timed out while the master is down.
          }
        }
      });
    }
    return chain;
  },
  crashAt: 0.5,
  recoverAt: 0.8,
});
