/**
 * Planted bug: a primary that acknowledges a write before replicating it. The primary batches
 * writes and ships them to the backup every 20 ms, but tells the client "ok" at once; a
 * primary that crashes with a batch unsent loses writes its clients were told succeeded (and
 * a batch sent while the backup is down is lost too). The backup's log survives crashes and is
 * the truth at the end: `AcknowledgedWrites` compares it with every acknowledged write.
 * The correct twin replicates first (a call to the backup) and acknowledges after.
 */
import {
  AcknowledgedWrites,
  Entity,
  type Message,
  randomFaultSchedule,
  Simulation,
} from "../../../src/index.js";
import { checkWhenDone, type PlantedModel, workload } from "./support.js";

const LINK_S = 0.002;
const CALL_TIMEOUT_S = 0.05;
const FLUSH_EVERY_S = 0.02;
const THINK_S = 0.1;
const RETRY_S = 0.05;
const MAX_ATTEMPTS = 40;
const SETTLE_S = 0.2;

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
  /** Writes acknowledged but not yet shipped: volatile, gone on a crash. */
  private pending: Put[] = [];
  private flushing = false;

  constructor(
    sim: Simulation,
    private readonly backup: Backup,
    private readonly correct: boolean,
  ) {
    super(sim, "primary");
  }

  override *handle(message: Message<Put>) {
    if (this.correct) {
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

export const ACK_INVARIANT = "no acknowledged write lost";

export function ackStore(correct: boolean): PlantedModel {
  return {
    invariant: ACK_INVARIANT,
    safety: 4,
    shrinkable: {
      clients: { initial: 3, min: 1 },
      operations: { initial: 10, min: 1 },
    },
    faults: (seed) =>
      randomFaultSchedule({
        seed,
        horizon: 2,
        classes: [
          {
            targets: ["primary", "backup"],
            timeBetweenFailures: 1,
            timeToRepair: 0.2,
            maxConcurrent: 1,
          },
        ],
      }),
    build: ({ seed, params }) => {
      const { clients, operations } = workload(params, { clients: 3, operations: 10 });
      const sim = new Simulation({ seed });
      const backup = new Backup(sim, "backup");
      const primary = new Primary(sim, backup, correct);
      const acknowledged = new AcknowledgedWrites();
      const done = checkWhenDone(sim, clients, SETTLE_S, ACK_INVARIANT, () =>
        acknowledged.check((key) => backup.values(key)),
      );
      for (let i = 0; i < clients; i++) {
        new Writer(sim, i, primary, operations, acknowledged, done);
      }
      return sim;
    },
  };
}
