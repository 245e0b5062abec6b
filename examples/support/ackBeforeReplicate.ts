/**
 * The store of examples/checkers/ack-before-replicate.ts, as a model to explore and shrink: a
 * primary and a backup, and clients that put values under key "x" through the primary
 * (retrying on timeouts). The buggy primary answers "ok" at once and ships writes to the backup
 * in batches every 20 ms, so a crash with a batch unsent loses writes its clients were told
 * succeeded; the correct one calls the backup first and answers after. The backup's log
 * survives crashes and is the truth at the end: `AcknowledgedWrites`, fed every acknowledged
 * write, compares it with the backup's log once the clients are done and replication settled.
 *
 * The planted-bug test (test/check/planted/ackStore.ts) explores the same model, with its own
 * workload and faults.
 */
import {
  AcknowledgedWrites,
  always,
  Entity,
  type Message,
  type ScenarioModel,
  Simulation,
} from "distsim";

const LINK_S = 0.002;
const CALL_TIMEOUT_S = 0.05;
const FLUSH_EVERY_S = 0.02;
const THINK_S = 0.1;
const RETRY_S = 0.05;
const MAX_ATTEMPTS = 40;
const SETTLE_S = 0.2;

export const ACK_INVARIANT = "no acknowledged write lost";

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

/** The workload a run starts from: `clients` writers of `operations` puts each. */
export interface AckStoreWorkload {
  readonly clients: number;
  readonly operations: number;
}

/**
 * The store as a model: `replicateFirst` false plants the bug. `clients` and `operations` are
 * its knobs (shrinking lowers them to 1), starting from `workload`.
 */
export function ackStore(replicateFirst: boolean, workload: AckStoreWorkload): ScenarioModel {
  return {
    shrinkable: {
      clients: { initial: workload.clients, min: 1 },
      operations: { initial: workload.operations, min: 1 },
    },
    build: ({ seed, params }) => {
      const clients = (params.clients as number | undefined) ?? workload.clients;
      const operations = (params.operations as number | undefined) ?? workload.operations;
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
          always(sim, ACK_INVARIANT, () => verdict);
        });
      };
      for (let i = 0; i < clients; i++) {
        new Writer(sim, i, primary, operations, acknowledged, done);
      }
      return sim;
    },
  };
}
