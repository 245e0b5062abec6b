/**
 * Check model (`distsim check explore/chain-replication.ts`): clients put and get two keys
 * through a `ChainReplication` of three nodes (CRAQ reads at any node by default; `params.craq`
 * 0 reads at the tail), recording a history, while the nemesis crashes, restarts and pauses
 * nodes (the master removes them and repairs the chain; a removed node heard from again
 * rejoins at the tail after copying its predecessor's state, so most seeds see rejoins), cuts the network (both ways and one
 * way, master to a node), loses and duplicates messages and drifts the nodes' clocks.
 *
 * Checked: the recorded history is linearizable (the `kv` model, key by key), once the
 * clients are done; and once every fault has healed, the chain serves again within 3 s (a
 * prober's put and get on a key of its own succeed: `liveness`). A put refused by a node that is not the head is a `fail` (not applied); a
 * put that timed out may have been applied (`info`).
 */
import {
  always,
  ChainClient,
  ChainReplication,
  type CheckResult,
  checkLinearizability,
  dist,
  Entity,
  type FaultScheduleSpec,
  HistoryRecorder,
  models,
  Network,
  NetworkLink,
  RemoteError,
  randomFaultSchedule,
  Simulation,
  TimeoutError,
} from "../src/index.js";

export const SAFETY = 4;
export const INVARIANT = "chain reads and writes are linearizable";
const KEYS = ["x", "y"];
const THINK_S = 0.02;
const SETTLE_S = 0.5;

/** The history checked against the kv model: true, or what cannot be placed. */
function linearizable(history: HistoryRecorder): CheckResult {
  const result = checkLinearizability(history.history, models.kv());
  if (result.verdict === "linearizable") return true;
  if (result.verdict === "unknown") return "unknown: the budget ran out";
  const id = result.failure?.unplaceable[0];
  const op = result.failure?.operations.find((operation) => operation.id === id);
  return op === undefined
    ? "not linearizable"
    : `not linearizable: ${op.description} cannot be placed`;
}

class Worker extends Entity {
  constructor(
    sim: Simulation,
    private readonly index: number,
    chain: ChainReplication<number>,
    history: HistoryRecorder,
    operations: number,
    done: () => void,
  ) {
    super(sim, `client-${index}`);
    const client = new ChainClient(chain, this, { timeout: 0.3 });
    const draws = this.random("ops");
    const classify = (error: unknown) => (error instanceof RemoteError ? "fail" : "info");
    this.start(function* (this: Worker) {
      for (let op = 1; op <= operations; op++) {
        yield draws.exponential(THINK_S);
        const key = KEYS[draws.integer(KEYS.length)]!;
        try {
          if (draws.bernoulli(0.5)) {
            const value = this.index * 1000 + op;
            yield* history.record(
              { process: this.index, f: "put", key, value },
              client.put(key, value),
              {
                classify,
              },
            );
          } else {
            yield* history.record({ process: this.index, f: "get", key }, client.get(key), {
              classify,
            });
          }
        } catch {
          // Recorded as fail or info; the client goes on.
        }
      }
      done();
    });
  }
}

/** Puts and gets a key of its own every 50 ms for the whole run; counts the pairs served. */
class Prober extends Entity {
  served = 0;

  constructor(sim: Simulation, chain: ChainReplication<number>) {
    super(sim, "prober");
    const client = new ChainClient(chain, this, { timeout: 0.3 });
    this.start(function* (this: Prober) {
      for (let value = 1; ; value++) {
        yield 0.05;
        try {
          yield* client.put("probe", value);
          yield* client.get("probe");
          this.served++;
        } catch (error) {
          if (!(error instanceof RemoteError) && !(error instanceof TimeoutError)) throw error;
        }
      }
    });
  }
}

export function buildChain(seed: number, params: Readonly<Record<string, unknown>>): Simulation {
  const clients = (params.clients as number | undefined) ?? 3;
  const operations = (params.operations as number | undefined) ?? 40;
  const craq = ((params.craq as number | undefined) ?? 1) === 1;
  const sim = new Simulation({ seed });
  new Network(sim, "net", {
    defaultLink: new NetworkLink(sim, "lan", { latency: dist.exponential(0.002) }),
  });
  const chain = new ChainReplication<number>(sim, "chain", { replicas: 3, craq });
  const history = new HistoryRecorder(sim);
  let remaining = clients;
  const done = () => {
    if (--remaining > 0) return;
    sim.at(sim.now + SETTLE_S, () => {
      const answer = linearizable(history);
      always(sim, INVARIANT, () => answer);
    });
  };
  for (let i = 0; i < clients; i++) new Worker(sim, i, chain, history, operations, done);
  new Prober(sim, chain);
  return sim;
}

const NODES = ["chain-0", "chain-1", "chain-2"];

export function chainFaults(seed: number): FaultScheduleSpec {
  return randomFaultSchedule({
    seed,
    horizon: SAFETY - 1,
    classes: [
      {
        name: "nodes",
        targets: NODES,
        kinds: [
          { kind: "pause", weight: 2 },
          { kind: "crash" },
          { kind: "clock-drift", params: { ppm: 50_000 } },
        ],
        timeBetweenFailures: 4,
        timeToRepair: 0.4,
        maxConcurrent: 1,
      },
      {
        name: "partitions",
        targets: ["net"],
        partition: { nodes: [...NODES, "chain"] },
        timeBetweenFailures: 4,
        timeToRepair: 0.4,
      },
      {
        name: "one-way",
        targets: ["net"],
        kind: "partition-one-way",
        params: { from: ["chain"], to: ["chain-2"] },
        timeBetweenFailures: 5,
        timeToRepair: 0.5,
      },
      {
        name: "loss",
        targets: ["net"],
        kinds: [
          { kind: "loss", params: { probability: 0.2 } },
          { kind: "duplication", params: { probability: 0.3, delay: 0.01 } },
        ],
        timeBetweenFailures: 3,
        timeToRepair: 0.5,
      },
    ],
  });
}

const build = ({ seed, params }: { seed: number; params: Readonly<Record<string, unknown>> }) =>
  buildChain(seed, params);
export default build;
export const safety = SAFETY;
export const faults = chainFaults;
export const shrinkable = {
  clients: { initial: 3, min: 1 },
  operations: { initial: 40, min: 1 },
};

/**
 * After every fault has healed the chain serves again: a master that lost every node, or an
 * old tail lost before its rejoined successor copied it, must not leave it refusing for good.
 */
export const liveness = {
  within: 3,
  progress: (sim: Simulation): number => (sim.entity("prober") as Prober).served,
};
