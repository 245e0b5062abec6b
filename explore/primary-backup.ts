/**
 * Check model: `PrimaryBackupReplication` in sync mode under crashes and restarts, pauses,
 * partitions (one-way included), loss and duplication. Three clients each write their own keys
 * one after another (retrying until acknowledged), so every acknowledged write stays visible:
 * once they are done and the system settled, the current primary must hold every one
 * ("no acknowledged write lost", over the clients' own record of acknowledgements); the
 * component's count of acknowledged writes a promoted primary lacked must stay 0 throughout
 * (the same invariant, seen at the failover). After the faults heal, writes must go on.
 *
 * `distsim check explore/primary-backup.ts --seeds 1000`; `buildPrimaryBackup` builds the
 * same model in another mode or with another class (test/components/replication: async and a
 * planted bug).
 */
import {
  AcknowledgedWrites,
  always,
  conditions,
  Entity,
  type FaultScheduleSpec,
  type ModelContext,
  Network,
  NetworkLink,
  type PrimaryBackupOptions,
  PrimaryBackupReplication,
  RemoteError,
  randomFaultSchedule,
  Simulation,
} from "../src/index.js";

export const INVARIANT = "no acknowledged write lost";
export const safety = 4;
const SETTLE_S = 1;
const THINK_S = 0.05;
const RETRY_S = 0.05;
const NAME = "pb";
const NODES = [`${NAME}.node-0`, `${NAME}.node-1`, `${NAME}.node-2`];

export const shrinkable = {
  clients: { initial: 3, min: 1 },
  operations: { initial: 8, min: 1 },
};

type Build = (
  sim: Simulation,
  name: string,
  options: PrimaryBackupOptions,
) => PrimaryBackupReplication<number>;

/** Writes `operations` keys of its own, each retried until acknowledged. */
class Writer extends Entity {
  constructor(
    sim: Simulation,
    name: string,
    private readonly index: number,
    private readonly pb: PrimaryBackupReplication<number>,
    private readonly operations: number,
    private readonly acknowledged: AcknowledgedWrites,
    private readonly done: () => void,
  ) {
    super(sim, name);
    this.start(this.work);
  }

  private *work() {
    const think = this.random("think");
    for (let op = 1; op <= this.operations; op++) {
      yield think.exponential(THINK_S);
      const key = `c${this.index}-${op}`;
      const value = this.index * 1000 + op;
      for (;;) {
        try {
          yield* this.pb.put(key, value);
          this.acknowledged.acknowledged(key, value);
          break;
        } catch (error) {
          if (!(error instanceof RemoteError)) throw error;
          yield RETRY_S;
        }
      }
    }
    this.done();
  }
}

/** After the checked writers: one write every 0.1 s, the progress the liveness phase watches. */
class Prober extends Entity {
  written = 0;
  constructor(
    sim: Simulation,
    private readonly pb: PrimaryBackupReplication<number>,
  ) {
    super(sim, "prober");
    this.start(this.work);
  }
  private *work() {
    for (let i = 1; ; i++) {
      yield 0.1;
      try {
        yield* this.pb.put("probe", i);
        this.written++;
      } catch (error) {
        if (!(error instanceof RemoteError)) throw error;
      }
    }
  }
}

/** The model, with the component built by `make` in `mode`. */
export function buildPrimaryBackup(
  mode: PrimaryBackupOptions["mode"] = "sync",
  make: Build = (sim, name, options) => new PrimaryBackupReplication<number>(sim, name, options),
) {
  return ({ seed, params }: ModelContext): Simulation => {
    const clients = (params.clients as number | undefined) ?? shrinkable.clients.initial;
    const operations = (params.operations as number | undefined) ?? shrinkable.operations.initial;
    const sim = new Simulation({ seed });
    new Network(sim, "net", {
      defaultLink: new NetworkLink(sim, "lan", conditions.datacenter()),
    });
    const pb = make(sim, NAME, {
      backups: 2,
      mode,
      store: { writeLatency: 0.002, readLatency: 0.001 },
      heartbeatInterval: 0.05,
      failureTimeout: 0.2,
      replicationTimeout: 0.2,
      requestTimeout: 0.2,
    });
    const acknowledged = new AcknowledgedWrites();
    always(sim, INVARIANT, () =>
      pb.stats.lostOnFailover === 0
        ? true
        : `${pb.stats.lostOnFailover} acknowledged write(s) missing on a promoted primary: ${JSON.stringify(pb.failovers)}`,
    );
    let remaining = clients;
    const done = () => {
      if (--remaining > 0) return;
      sim.at(sim.now + SETTLE_S, () => {
        const store = pb.storeOf(pb.primary);
        const answer = acknowledged.check((key) => store.peek(key));
        always(sim, INVARIANT, () => answer);
      });
    };
    for (let i = 0; i < clients; i++) {
      new Writer(sim, `client-${i}`, i, pb, operations, acknowledged, done);
    }
    new Prober(sim, pb);
    return sim;
  };
}

export const build = buildPrimaryBackup("sync");
export default build;

export function faults(seed: number): FaultScheduleSpec {
  const horizon = safety - SETTLE_S;
  const oneWay = (from: string, to: string) => ({
    kind: "partition-one-way",
    params: { from: [from], to: [to] },
  });
  return randomFaultSchedule({
    seed,
    horizon,
    classes: [
      {
        name: "nodes",
        targets: NODES,
        kinds: [{ kind: "crash", weight: 2 }, { kind: "pause" }],
        timeBetweenFailures: 1.5,
        timeToRepair: 0.3,
        maxConcurrent: 1,
      },
      {
        name: "network",
        targets: ["net"],
        kinds: [
          oneWay(NODES[0]!, NAME),
          oneWay(NAME, NODES[0]!),
          oneWay(NODES[0]!, NODES[1]!),
          { kind: "loss", params: { probability: 0.2 } },
          { kind: "duplication", params: { probability: 0.3 } },
        ],
        timeBetweenFailures: 1,
        timeToRepair: 0.4,
      },
      {
        name: "partitions",
        targets: ["net"],
        partition: { nodes: [NAME, ...NODES] },
        timeBetweenFailures: 2,
        timeToRepair: 0.4,
      },
    ],
  });
}

export const liveness = {
  within: 3,
  progress: (sim: Simulation): number => (sim.entity("prober") as Prober).written,
};
