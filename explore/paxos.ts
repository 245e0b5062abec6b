/**
 * Check model of single-decree Paxos (`distsim check explore/paxos.ts --seeds 5000`): three
 * `PaxosNode`s over a `Network`; the first `proposers` of them propose their own value at once
 * (a duel), under crashes with restarts, pauses, partitions (one-way included), loss and
 * duplication.
 *
 * Safety, after every event: agreement (every node that learned a value learned the same one,
 * and no node was ever told of a second one) and validity (only a proposed value is learned).
 * Liveness: once every fault is healed, each node asks again (a node that had learned answers
 * at once) and every one of them must learn within the phase.
 *
 * It imports the sources by path, so worker threads load it under tsx with no build.
 */
import {
  always,
  CancelledError,
  conditions,
  Entity,
  type FaultScheduleSpec,
  type ModelBuilder,
  Network,
  NetworkLink,
  PaxosNode,
  type PaxosNodeOptions,
  randomFaultSchedule,
  Simulation,
} from "../src/index.js";

export const safety = 2;
const HORIZON = 1.5;
const NODES = ["p1", "p2", "p3"];
const RETRY_AFTER_CRASH_S = 0.05;

/** How the model makes a node: the real one, or a test-only variant with a planted bug. */
export type PaxosNodeFactory = (
  sim: Simulation,
  name: string,
  options: PaxosNodeOptions,
) => PaxosNode<string>;

/** Proposes through its node until it learns, again after a crash; asks once more after the heal. */
class Driver extends Entity {
  confirmed = 0;
  constructor(
    sim: Simulation,
    private readonly node: PaxosNode<string>,
    value: string | null,
  ) {
    super(sim, `driver-${node.name}`);
    if (value !== null) this.start(this.run(value, this.random("start").uniform(0, 0.003)));
    // After the safety phase every fault is healed: every node must then learn.
    this.at(safety + 0.001, () => this.start(this.run(value ?? `late-${node.name}`, 0)));
  }

  private *run(value: string, delay: number) {
    yield delay;
    for (;;) {
      try {
        if (this.node.isUp) {
          yield* this.node.propose(value);
          if (this.now > safety) this.confirmed++;
          return;
        }
      } catch (error) {
        if (!(error instanceof CancelledError)) throw error;
      }
      yield RETRY_AFTER_CRASH_S;
    }
  }
}

/** The nodes of a built simulation, found by name. */
function nodesOf(sim: Simulation): PaxosNode<string>[] {
  return NODES.map((name) => sim.entity(name) as PaxosNode<string>);
}

export function makeBuild(makeNode: PaxosNodeFactory): ModelBuilder {
  return ({ seed, params }) => {
    const proposers = (params.proposers as number | undefined) ?? 3;
    const sim = new Simulation({ seed });
    new Network(sim, "net", { defaultLink: new NetworkLink(sim, "lan", conditions.datacenter()) });
    const nodes = NODES.map((name) => makeNode(sim, name, { members: NODES }));
    nodes.forEach((node, i) => {
      new Driver(sim, node, i < proposers ? `v-${node.name}` : null);
    });
    return sim;
  };
}

const build = makeBuild((sim, name, options) => new PaxosNode<string>(sim, name, options));
export default build;

export const shrinkable = { proposers: { initial: 3, min: 1 } };

export function faults(seed: number): FaultScheduleSpec {
  const nodes = { targets: NODES, maxConcurrent: 1 };
  return randomFaultSchedule({
    seed,
    horizon: HORIZON,
    classes: [
      {
        name: "nodes",
        ...nodes,
        kinds: [{ kind: "crash" }, { kind: "pause" }],
        timeBetweenFailures: 1,
        timeToRepair: 0.1,
      },
      {
        name: "partitions",
        targets: ["net"],
        partition: { nodes: NODES },
        timeBetweenFailures: 1.5,
        timeToRepair: 0.2,
      },
      {
        name: "one-way",
        targets: ["net"],
        kind: "partition-one-way",
        params: { from: ["p1"], to: ["p2", "p3"] },
        timeBetweenFailures: 3,
        timeToRepair: 0.2,
      },
      {
        name: "loss",
        targets: ["net"],
        kind: "loss",
        params: { probability: 0.3 },
        timeBetweenFailures: 1,
        timeToRepair: 0.2,
      },
      {
        name: "duplication",
        targets: ["net"],
        kind: "duplication",
        params: { probability: 0.5 },
        timeBetweenFailures: 1,
        timeToRepair: 0.3,
      },
    ],
  });
}

export const AGREEMENT = "agreement: at most one value chosen";
export const VALIDITY = "validity: only a proposed value chosen";

export function checks(sim: Simulation): void {
  const nodes = nodesOf(sim);
  const proposed = (value: string) => value.startsWith("v-") || value.startsWith("late-");
  // The definition of chosen, seen from outside: a quorum of acceptors answered an acceptance
  // in one ballot. Learners alone would miss a second value nobody went on to announce.
  const quorum = Math.floor(NODES.length / 2) + 1;
  const acceptors = new Map<string, { value: string; by: Set<string> }>();
  const seen = nodes.map(() => 0);
  let chosen: string | undefined;
  always(sim, AGREEMENT, () => {
    for (let i = 0; i < nodes.length; i++) {
      const node = nodes[i]!;
      for (; seen[i]! < node.acceptances.length; seen[i]!++) {
        const { ballot, value } = node.acceptances[seen[i]!]!;
        const key = `${ballot.round}.${ballot.node}`;
        let entry = acceptors.get(key);
        if (entry === undefined) {
          entry = { value, by: new Set() };
          acceptors.set(key, entry);
        }
        if (entry.value !== value) return `ballot ${key} carried ${entry.value} and ${value}`;
        entry.by.add(node.name);
        if (entry.by.size < quorum) continue;
        if (chosen === undefined) chosen = value;
        else if (chosen !== value) return `${chosen} and ${value} were both chosen (ballot ${key})`;
      }
    }
    let first: string | undefined;
    for (const node of nodes) {
      if (node.stats.conflictingDecisions > 0) return `${node.name} was told of a second value`;
      if (!node.hasLearned) continue;
      const value = node.decided as string;
      if (first === undefined) first = value;
      else if (value !== first) return `${node.name} learned ${value}, another node ${first}`;
    }
    return true;
  });
  always(sim, VALIDITY, () => {
    for (const node of nodes) {
      if (node.hasLearned && !proposed(node.decided as string)) {
        return `${node.name} learned ${String(node.decided)}, which nobody proposed`;
      }
    }
    return true;
  });
}

/** After the heal, every node's driver must have its answer. */
export const liveness = {
  within: 2,
  progress: (sim: Simulation) =>
    NODES.every((name) => (sim.entity(`driver-${name}`) as Driver).confirmed > 0) ? 1 : 0,
};
