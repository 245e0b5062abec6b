/**
 * Check model of a key-value store on Multi-Paxos (`distsim check explore/multi-paxos.ts
 * --seeds 5000`): three `MultiPaxosNode`s replicating a `KVStateMachine` over a `Network`,
 * and `clients` `PaxosKVClient`s doing gets, puts and compare-and-sets on two keys, recorded
 * with a `HistoryRecorder`, under crashes with restarts, pauses, partitions (one-way
 * included), loss and duplication.
 *
 * Safety: after every event, every node's applied prefix agrees with every other's (the same
 * command in each slot both applied, watched as each applies); once the clients are done (or at the end of the run), the
 * recorded history is linearizable (the `kv` model). Liveness: once every fault is healed, an
 * operation through each client (its workload's, or a probe write once that is over) must
 * succeed within the phase.
 *
 * It imports the sources by path, so worker threads load it under tsx with no build.
 */
import {
  always,
  checkLinearizability,
  conditions,
  Entity,
  type FaultScheduleSpec,
  HistoryRecorder,
  type KVCommand,
  type KVResult,
  KVStateMachine,
  type ModelBuilder,
  MultiPaxosNode,
  type MultiPaxosNodeOptions,
  models,
  Network,
  NetworkLink,
  PaxosKVClient,
  randomFaultSchedule,
  Simulation,
} from "../src/index.js";

export const safety = 3;
const HORIZON = 2.5;
const LIVENESS_S = 3;
const NODES = ["m1", "m2", "m3"];
const KEYS = ["x", "y"];
const THINK_S = 0.15;

type Command = KVCommand<number>;
type Result = KVResult<number>;

/** How the model makes a node (the real one, or a variant). */
export type MultiPaxosNodeFactory = (
  sim: Simulation,
  name: string,
  options: MultiPaxosNodeOptions<Command, Result>,
) => MultiPaxosNode<Command, Result>;

class Mismatch extends Error {}

/** A client's workload: reads, writes and compare-and-sets, each recorded. */
class Worker extends Entity {
  /** An operation of this client (the workload's or the probe's) succeeded after the heal. */
  servedAfterHeal = false;
  done = false;
  constructor(
    sim: Simulation,
    readonly process: number,
    private readonly client: PaxosKVClient<number>,
    private readonly history: HistoryRecorder,
    private readonly operations: number,
  ) {
    super(sim, `worker-${process}`);
    this.start(this.work);
    // After the heal a client whose workload is over still has to show it is served.
    this.at(safety + 0.01, () => this.start(this.probe));
  }

  private *work() {
    const draws = this.random("ops");
    const history = this.history;
    const process = this.process;
    const classify = (error: unknown) => (error instanceof Mismatch ? "fail" : "info");
    for (let op = 0; op < this.operations; op++) {
      yield draws.exponential(THINK_S);
      const key = KEYS[Math.floor(draws.next() * KEYS.length)]!;
      const choice = draws.next();
      try {
        if (choice < 0.4) {
          yield* history.record({ process, f: "get", key }, this.client.get(key), {
            output: (value) => value ?? null,
          });
        } else if (choice < 0.8) {
          const value = process * 1000 + op;
          yield* history.record({ process, f: "put", key, value }, this.client.put(key, value));
        } else {
          const expected = (yield* this.client.get(key)) ?? null;
          const value = process * 1000 + op;
          yield* history.record(
            { process, f: "cas", key, value: [expected, value] },
            this.cas(key, expected, value),
            { classify },
          );
        }
        if (this.now > safety) this.servedAfterHeal = true;
      } catch {
        // Recorded as fail or info; the next operation goes on.
      }
    }
    this.done = true;
  }

  /** A compare-and-set whose refusal is an error (it certainly did nothing). */
  private *cas(key: string, expected: number | null, value: number) {
    const applied = yield* this.client.cas(key, expected ?? undefined, value);
    if (!applied) throw new Mismatch("mismatch");
    return applied;
  }

  private *probe() {
    // One operation at a time per client (its session): wait for the workload to end.
    while (!this.done) yield 0.05;
    for (;;) {
      try {
        yield* this.client.put("probe", this.process);
        this.servedAfterHeal = true;
        return;
      } catch {
        yield 0.05;
      }
    }
  }
}

export function makeBuild(makeNode: MultiPaxosNodeFactory): ModelBuilder {
  return ({ seed, params }) => {
    const clients = (params.clients as number | undefined) ?? 3;
    const operations = (params.operations as number | undefined) ?? 12;
    const sim = new Simulation({ seed });
    new Network(sim, "net", { defaultLink: new NetworkLink(sim, "lan", conditions.datacenter()) });
    for (const name of NODES) {
      makeNode(sim, name, { members: NODES, stateMachine: new KVStateMachine<number>() });
    }
    const history = new HistoryRecorder(sim);
    HISTORIES.set(sim, history);
    for (let i = 0; i < clients; i++) {
      const client = new PaxosKVClient<number>(sim, `client-${i}`, {
        nodes: NODES,
        attemptTimeout: 0.15,
        maxAttempts: 10,
      });
      new Worker(sim, i, client, history, operations);
    }
    return sim;
  };
}

const HISTORIES = new WeakMap<Simulation, HistoryRecorder>();

const build = makeBuild(
  (sim, name, options) => new MultiPaxosNode<Command, Result>(sim, name, options),
);
export default build;

export const shrinkable = {
  clients: { initial: 3, min: 1 },
  operations: { initial: 12, min: 1 },
};

export function faults(seed: number): FaultScheduleSpec {
  return randomFaultSchedule({
    seed,
    horizon: HORIZON,
    classes: [
      {
        name: "nodes",
        targets: NODES,
        maxConcurrent: 1,
        kinds: [{ kind: "crash" }, { kind: "pause" }],
        timeBetweenFailures: 1,
        timeToRepair: 0.4,
      },
      {
        name: "partitions",
        targets: ["net"],
        partition: { nodes: NODES },
        timeBetweenFailures: 1.2,
        timeToRepair: 0.4,
      },
      {
        name: "one-way",
        targets: ["net"],
        kind: "partition-one-way",
        params: { from: ["m1"], to: ["m2", "m3"] },
        timeBetweenFailures: 2.5,
        timeToRepair: 0.4,
      },
      {
        name: "loss",
        targets: ["net"],
        kind: "loss",
        params: { probability: 0.2 },
        timeBetweenFailures: 1,
        timeToRepair: 0.3,
      },
      {
        name: "duplication",
        targets: ["net"],
        kind: "duplication",
        params: { probability: 0.3 },
        timeBetweenFailures: 1,
        timeToRepair: 0.3,
      },
    ],
  });
}

export const LINEARIZABLE = "kv history linearizable";
export const PREFIXES_AGREE = "applied prefixes agree";

export function checks(sim: Simulation): void {
  const nodes = NODES.map((name) => sim.entity(name) as MultiPaxosNode<Command, Result>);
  const history = HISTORIES.get(sim)!;
  // The command first applied at each slot by any node (its id; null for a no-op). Watched as
  // each node applies, since a node with snapshots drops a slot's entry soon after; a restarted
  // node re-applies from its snapshot and is compared again.
  const appliedAt = new Map<number, string | null>();
  let mismatch: string | null = null;
  for (const node of nodes) {
    node.onApplied = (slot, entry) => {
      if (mismatch !== null) return;
      const id = entry === null ? null : entry.id;
      const first = appliedAt.get(slot);
      if (first === undefined) appliedAt.set(slot, id);
      else if (first !== id) {
        mismatch = `${node.name} applied ${String(id)} at slot ${slot}, another node ${String(first)}`;
      }
    };
  }
  always(sim, PREFIXES_AGREE, () => mismatch ?? true);
  const workers = sim.entities.filter((e): e is Worker => e instanceof Worker);
  let verdict: true | string | null = null;
  const judge = () => {
    if (verdict !== null) return;
    const result = checkLinearizability(history.history, models.kv());
    verdict =
      result.verdict === "linearizable"
        ? true
        : result.verdict === "unknown"
          ? true // the budget ran out: no finding
          : `not linearizable: ${result.failure?.operations.map((op) => op.description).join("; ") ?? ""}`;
    always(sim, LINEARIZABLE, () => verdict as true | string);
  };
  const watch = () => {
    if (workers.every((w) => w.done)) judge();
    else if (sim.now < safety + LIVENESS_S - 0.1) sim.at(sim.now + 0.1, watch);
    else judge();
  };
  sim.at(0.1, watch);
}

/** After the heal, an operation through every client must succeed. */
export const liveness = {
  within: LIVENESS_S,
  progress: (sim: Simulation) =>
    sim.entities.every((e) => !(e instanceof Worker) || e.servedAfterHeal) ? 1 : 0,
};
