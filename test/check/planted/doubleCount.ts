/**
 * Planted bug: a counter that double-counts on retry. A client adds with a 50 ms timeout and
 * retries the same request (same id) until it is answered; a GC pause of the counter holds
 * both the request and its retry, and the counter, which does not remember the ids it has
 * applied, adds both. Linearizability of the recorded history (a counter: `add`, `read`; the
 * retries of one add are one operation) catches a read above any possible count. The correct
 * twin applies each request id once.
 */
import {
  Entity,
  HistoryRecorder,
  type Message,
  models,
  randomFaultSchedule,
  Simulation,
  TimeoutError,
} from "../../../src/index.js";
import { checkWhenDone, linearizable, type PlantedModel, workload } from "./support.js";

const LINK_S = 0.001;
const CALL_TIMEOUT_S = 0.05;
const MAX_ATTEMPTS = 10;
const THINK_S = 0.05;
const SETTLE_S = 0.1;

interface Add {
  readonly id: string;
  readonly amount: number;
}

class Counter extends Entity<Add | null, number> {
  private count = 0;
  private readonly applied = new Set<string>();

  constructor(
    sim: Simulation,
    private readonly correct: boolean,
  ) {
    super(sim, "counter");
  }

  override handle(message: Message<Add | null>): void {
    const add = message.payload;
    if (add !== null && !(this.correct && this.applied.has(add.id))) {
      this.count += add.amount;
      if (this.correct) this.applied.add(add.id);
    }
    this.reply(message, this.count, { delay: LINK_S });
  }
}

class Client extends Entity {
  constructor(
    sim: Simulation,
    private readonly process: number,
    private readonly counter: Counter,
    private readonly history: HistoryRecorder,
    private readonly operations: number,
    private readonly done: () => void,
  ) {
    super(sim, `client-${process}`);
    this.start(this.work);
  }

  /** One add, retried with the same id until answered. */
  private *add(id: string) {
    for (let attempt = 1; ; attempt++) {
      try {
        return yield* this.call(
          this.counter,
          "add",
          { id, amount: 1 },
          {
            timeout: CALL_TIMEOUT_S,
            delay: LINK_S,
          },
        );
      } catch (error) {
        if (!(error instanceof TimeoutError) || attempt === MAX_ATTEMPTS) throw error;
      }
    }
  }

  private *work() {
    const think = this.random("think");
    for (let op = 0; op < this.operations; op++) {
      yield think.exponential(THINK_S);
      try {
        yield* this.history.record(
          { process: this.process, f: "add", value: 1 },
          this.add(`${this.process}.${op}`),
        );
        yield* this.history.record(
          { process: this.process, f: "read" },
          this.call(this.counter, "read", null, { timeout: 4 * CALL_TIMEOUT_S, delay: LINK_S }),
        );
      } catch {
        // Indeterminate: recorded as info.
      }
    }
    this.done();
  }
}

export const DOUBLE_COUNT_INVARIANT = "linearizable";

export function doubleCount(correct: boolean): PlantedModel {
  return {
    invariant: DOUBLE_COUNT_INVARIANT,
    safety: 4,
    shrinkable: {
      clients: { initial: 2, min: 1 },
      operations: { initial: 6, min: 1 },
    },
    faults: (seed) =>
      randomFaultSchedule({
        seed,
        horizon: 0.5,
        classes: [
          { targets: ["counter"], kind: "pause", timeBetweenFailures: 0.2, timeToRepair: 0.1 },
        ],
      }),
    build: ({ seed, params }) => {
      const { clients, operations } = workload(params, { clients: 2, operations: 6 });
      const sim = new Simulation({ seed });
      const counter = new Counter(sim, correct);
      const history = new HistoryRecorder(sim);
      const done = checkWhenDone(sim, clients, SETTLE_S, DOUBLE_COUNT_INVARIANT, () =>
        linearizable(history.history, models.counter()),
      );
      for (let i = 0; i < clients; i++) new Client(sim, i, counter, history, operations, done);
      return sim;
    },
  };
}
