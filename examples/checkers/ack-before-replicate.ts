/**
 * Checkers: a store that acknowledges writes before replicating them, caught by exploring
 * seeds under random crashes, and shrunk to the smallest run that still loses a write.
 *
 * Scenario: a primary and a backup. Clients put values under key "x" through the primary
 * (retrying on timeouts). The buggy primary answers "ok" at once and ships writes to the
 * backup in batches every 20 ms; the correct one calls the backup first and answers after.
 * The backup's log survives crashes and is the truth at the end: `AcknowledgedWrites`, fed
 * every acknowledged write, compares it with the backup's log once the clients are done.
 * Random crashes of the primary (about one a second, 0.2 s each) are drawn from each seed.
 *
 * `explore` runs 100 seeds of the buggy store and reports the failing ones. `shrink` takes
 * the first and reduces it (fewer faults, shorter and earlier, fewer clients and writes, a
 * shorter run) while the same invariant still fails first; the result prints as a JSON
 * scenario and as a vitest test that replays it. The correct store passes 1,000 seeds.
 *
 * Run: npx tsx --conditions=distsim-source examples/checkers/ack-before-replicate.ts
 */
import {
  AcknowledgedWrites,
  always,
  Entity,
  explore,
  formatShrink,
  formatViolation,
  type Message,
  randomFaultSchedule,
  replay,
  type ScenarioModel,
  Simulation,
  scenarioJson,
  scenarioTestSource,
  shrink,
} from "distsim";

const LINK_S = 0.002;
const CALL_TIMEOUT_S = 0.05;
const FLUSH_EVERY_S = 0.02;
const THINK_S = 0.1;
const RETRY_S = 0.05;
const MAX_ATTEMPTS = 40;
const SETTLE_S = 0.2;
const SAFETY_S = 3;
const INVARIANT = "no acknowledged write lost";

interface Put {
  readonly key: string;
  readonly value: number;
}

class Backup extends Entity<readonly Put[], "ok"> {
  /** Durable: kept across crashes. */
  private readonly log = new Map<string, number[]>();

  override handle(message: Message<readonly Put[]>): void {
    for (const put of message.payload) {
      const values = this.log.get(put.key);
      if (values === undefined) this.log.set(put.key, [put.value]);
      else values.push(put.value);
    }
    this.reply(message, "ok", { delay: LINK_S });
  }

  values(key: string): number[] {
    return this.log.get(key) ?? [];
  }
}

class Primary extends Entity<Put, "ok"> {
  /** Writes acknowledged but not yet shipped: in memory, gone on a crash. */
  private pending: Put[] = [];
  private flushing = false;

  constructor(
    sim: Simulation,
    private readonly backup: Backup,
    private readonly replicateFirst: boolean,
  ) {
    super(sim, "primary");
  }

  override *handle(message: Message<Put>) {
    if (this.replicateFirst) {
      try {
        yield* this.call(this.backup, "replicate", [message.payload], {
          timeout: CALL_TIMEOUT_S,
          delay: LINK_S,
        });
      } catch {
        this.fail(message, "backup unavailable", { delay: LINK_S });
        return;
      }
      this.reply(message, "ok", { delay: LINK_S });
      return;
    }
    // The bug: "ok" now, replication later.
    this.pending.push(message.payload);
    this.reply(message, "ok", { delay: LINK_S });
    if (!this.flushing) {
      this.flushing = true;
      this.after(FLUSH_EVERY_S, this.flush);
    }
  }

  private readonly flush = (): void => {
    this.flushing = false;
    const batch = this.pending;
    this.pending = [];
    this.send(this.backup, "replicate", batch, { delay: LINK_S });
  };

  protected override onCrash(): void {
    this.pending = [];
    this.flushing = false;
  }
}

class Writer extends Entity {
  constructor(
    sim: Simulation,
    private readonly index: number,
    private readonly primary: Primary,
    private readonly operations: number,
    private readonly acknowledged: AcknowledgedWrites,
    private readonly done: () => void,
  ) {
    super(sim, `client-${index}`);
    this.start(this.work);
  }

  private *work() {
    const think = this.random("think");
    for (let op = 1; op <= this.operations; op++) {
      yield think.exponential(THINK_S);
      const value = this.index * 1000 + op;
      for (let attempt = 0; attempt < MAX_ATTEMPTS; attempt++) {
        try {
          yield* this.call(
            this.primary,
            "put",
            { key: "x", value },
            {
              timeout: CALL_TIMEOUT_S,
              delay: LINK_S,
            },
          );
          this.acknowledged.acknowledged("x", value);
          break;
        } catch {
          yield RETRY_S;
        }
      }
    }
    this.done();
  }
}

/** The store as a model to explore and shrink: `clients` and `operations` are its knobs. */
function store(replicateFirst: boolean): ScenarioModel {
  return {
    shrinkable: {
      clients: { initial: 2, min: 1 },
      operations: { initial: 8, min: 1 },
    },
    build: ({ seed, params }) => {
      const clients = (params.clients as number | undefined) ?? 2;
      const operations = (params.operations as number | undefined) ?? 8;
      const sim = new Simulation({ seed });
      const backup = new Backup(sim, "backup");
      const primary = new Primary(sim, backup, replicateFirst);
      const acknowledged = new AcknowledgedWrites();
      // Once every client is done and replication has settled, compare with the backup's log.
      let running = clients;
      const done = () => {
        if (--running > 0) return;
        sim.at(sim.now + SETTLE_S, () => {
          const verdict = acknowledged.check((key) => backup.values(key));
          always(sim, INVARIANT, () => verdict);
        });
      };
      for (let i = 0; i < clients; i++) {
        new Writer(sim, i, primary, operations, acknowledged, done);
      }
      return sim;
    },
  };
}

const faults = (seed: number) =>
  randomFaultSchedule({
    seed,
    horizon: 1.5,
    classes: [{ targets: ["primary"], timeBetweenFailures: 1, timeToRepair: 0.2 }],
  });

const buggy = store(false);
const found = explore({ ...buggy, seeds: 100, faults, safety: SAFETY_S });
console.log(`Acknowledge, then replicate: ${found.runs} seeds, ${found.failed} failed`);
for (const [name, seeds] of found.byInvariant) console.log(`  ${name}: ${seeds.length} seeds`);

const first = found.failures[0]!;
console.log(`\nFirst failing seed: ${first.seed}`);
console.log(`  ${formatViolation(first.violation)}`);
const scenario = { seed: first.seed, params: {}, faults: faults(first.seed), until: SAFETY_S };
console.log(`  ${scenario.faults.faults.length} faults, 2 clients x 8 writes, ${SAFETY_S}s`);

const result = shrink(buggy, scenario);
console.log(`\nShrinking seed ${first.seed}:`);
console.log(formatShrink(result));
console.log("Smallest reproduction:");
console.log(scenarioJson(result.scenario));
console.log(`  ${formatViolation(replay(buggy, result.scenario).violation!)}`);
console.log("\nAs a test to paste beside the model:\n");
console.log(
  scenarioTestSource(result.scenario, result.violation.name, {
    importModel: 'import { store } from "./store.js";',
    model: "store(false)",
  }),
);

const fixed = explore({ ...store(true), seeds: 1000, faults, safety: SAFETY_S });
console.log(`Replicate, then acknowledge: ${fixed.runs} seeds, ${fixed.failed} failed`);
