/**
 * Check model: `MultiLeaderReplication` (three leaders, last writer wins, anti-entropy every
 * 0.3 s) under crashes and restarts, pauses, partitions (one-way included), loss and
 * duplication. Three clients write four keys at random nodes until 1 s before the faults end,
 * one write in four a delete (a tombstone, resolved against concurrent puts and carried by
 * anti-entropy); once everything heals, every node must hold the same contents within 3 s
 * ("replicas converge after heal", `replicasConverge` over each node's contents, deleted keys
 * left out, so a stale replica bringing a deleted key back fails it).
 *
 * `distsim check explore/multi-leader.ts --seeds 1000`; `buildMultiLeader` builds it with
 * other options (test/components/replication: another resolver, no anti-entropy).
 */
import {
  conditions,
  Entity,
  eventually,
  type FaultScheduleSpec,
  type ModelContext,
  type MultiLeaderOptions,
  MultiLeaderReplication,
  Network,
  NetworkLink,
  RemoteError,
  randomFaultSchedule,
  replicasConverge,
  Simulation,
} from "../src/index.js";

export const INVARIANT = "replicas converge after heal";
export const safety = 4;
const CONVERGE_WITHIN_S = 3;
const WRITES_UNTIL_S = safety - 1;
const NAME = "ml";
const NODES = [`${NAME}.node-0`, `${NAME}.node-1`, `${NAME}.node-2`];

export const shrinkable = {
  clients: { initial: 3, min: 1 },
};

/** Writes (or, one time in four, deletes) one of four keys at a random node every ~50 ms. */
class Writer extends Entity {
  constructor(
    sim: Simulation,
    name: string,
    private readonly index: number,
    private readonly ml: MultiLeaderReplication<number>,
  ) {
    super(sim, name);
    this.start(this.work);
  }

  private *work() {
    const draws = this.random("writes");
    for (let op = 1; this.now < WRITES_UNTIL_S; op++) {
      yield draws.exponential(0.05);
      const key = `k${draws.integer(4)}`;
      const at = draws.integer(3);
      try {
        if (draws.integer(4) === 0) yield* this.ml.delete(key, { at });
        else yield* this.ml.put(key, this.index * 1000 + op, { at });
      } catch (error) {
        if (!(error instanceof RemoteError)) throw error;
      }
    }
  }
}

/** The model, with other options (default: last writer wins, anti-entropy every 0.3 s). */
export function buildMultiLeader(options: MultiLeaderOptions<number> = {}) {
  return ({ seed, params }: ModelContext): Simulation => {
    const clients = (params.clients as number | undefined) ?? shrinkable.clients.initial;
    const sim = new Simulation({ seed });
    new Network(sim, "net", {
      defaultLink: new NetworkLink(sim, "lan", conditions.datacenter()),
    });
    const ml = new MultiLeaderReplication<number>(sim, NAME, {
      nodes: 3,
      resolver: "lastWriterWins",
      antiEntropyInterval: 0.3,
      merkleDepth: 4,
      requestTimeout: 0.2,
      ...options,
    });
    for (let i = 0; i < clients; i++) new Writer(sim, `client-${i}`, i, ml);
    // The faults heal at the end of the safety phase: from then on the replicas have 3 s.
    const converge = replicasConverge(
      Object.fromEntries(NODES.map((name) => [name, () => ml.contentsOf(name)])),
    );
    sim.at(safety, () => eventually(sim, INVARIANT, converge, { within: CONVERGE_WITHIN_S }));
    return sim;
  };
}

export const build = buildMultiLeader();
export default build;

export function faults(seed: number): FaultScheduleSpec {
  const oneWay = (from: string, to: string) => ({
    kind: "partition-one-way",
    params: { from: [from], to: [to] },
  });
  return randomFaultSchedule({
    seed,
    horizon: safety - 0.5,
    classes: [
      {
        name: "nodes",
        targets: NODES,
        kinds: [{ kind: "crash", weight: 2 }, { kind: "pause" }],
        timeBetweenFailures: 1.5,
        timeToRepair: 0.5,
        maxConcurrent: 1,
      },
      {
        name: "network",
        targets: ["net"],
        kinds: [
          oneWay(NODES[0]!, NODES[1]!),
          oneWay(NODES[2]!, NODES[0]!),
          { kind: "loss", params: { probability: 0.3 } },
          { kind: "duplication", params: { probability: 0.3 } },
        ],
        timeBetweenFailures: 1,
        timeToRepair: 0.5,
      },
      {
        name: "partitions",
        targets: ["net"],
        partition: { nodes: NODES },
        timeBetweenFailures: 1.5,
        timeToRepair: 0.6,
      },
    ],
  });
}

export const liveness = {
  within: CONVERGE_WITHIN_S,
  progress: (sim: Simulation): number =>
    (sim.entity(NAME) as MultiLeaderReplication<number>).stats.antiEntropyRounds,
};
