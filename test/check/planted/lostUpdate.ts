/**
 * Planted bug: a register with a lost update. Its server does compare-and-set as two calls to
 * its storage (get, then set) with nothing held in between, so two clients that both read 0
 * can both succeed with `cas [0 1]`: one update is lost. A GC pause of the storage piles
 * requests up and makes the race likely. Linearizability of the recorded history (a register:
 * `read`, `cas`) catches it. The correct twin asks the storage for an atomic compare-and-set.
 */
import {
  Entity,
  HistoryRecorder,
  type Message,
  models,
  RemoteError,
  randomFaultSchedule,
  Simulation,
} from "../../../src/index.js";
import { checkWhenDone, linearizable, type PlantedModel, workload } from "./support.js";

const LINK_S = 0.001;
const CALL_TIMEOUT_S = 1;
const THINK_S = 0.05;
const SETTLE_S = 0.1;

type Value = number | null;
type Cas = readonly [Value, number];

class Storage extends Entity<number | Cas | null, Value | boolean> {
  /** Nothing written yet: null, as the register model starts. */
  private value: Value = null;

  override handle(message: Message<number | Cas | null>): void {
    if (message.kind === "get") {
      this.reply(message, this.value, { delay: LINK_S });
    } else if (message.kind === "set") {
      this.value = message.payload as number;
      this.reply(message, true, { delay: LINK_S });
    } else {
      const [expected, next] = message.payload as Cas;
      const applied = this.value === expected;
      if (applied) this.value = next;
      this.reply(message, applied, { delay: LINK_S });
    }
  }
}

class Server extends Entity<Cas | null, Value | boolean> {
  constructor(
    sim: Simulation,
    private readonly storage: Storage,
    private readonly correct: boolean,
  ) {
    super(sim, "server");
  }

  override *handle(message: Message<Cas | null>) {
    const options = { timeout: CALL_TIMEOUT_S, delay: LINK_S };
    if (message.kind === "read") {
      const value = yield* this.call(this.storage, "get", null, options);
      this.reply(message, value, { delay: LINK_S });
      return;
    }
    const [expected, next] = message.payload as Cas;
    let applied: boolean;
    if (this.correct) {
      applied = (yield* this.call(this.storage, "cas", [expected, next], options)) as boolean;
    } else {
      const value = yield* this.call(this.storage, "get", null, options);
      applied = value === expected;
      if (applied) yield* this.call(this.storage, "set", next, options);
    }
    if (applied) this.reply(message, true, { delay: LINK_S });
    else this.fail(message, "mismatch", { delay: LINK_S });
  }
}

class Client extends Entity {
  constructor(
    sim: Simulation,
    private readonly process: number,
    private readonly server: Server,
    private readonly history: HistoryRecorder,
    private readonly operations: number,
    private readonly done: () => void,
  ) {
    super(sim, `client-${process}`);
    this.start(this.work);
  }

  private *work() {
    const think = this.random("think");
    const options = { timeout: 2 * CALL_TIMEOUT_S, delay: LINK_S };
    // A refused cas (a mismatch) certainly did nothing.
    const classify = (error: unknown) => (error instanceof RemoteError ? "fail" : "info");
    for (let op = 0; op < this.operations; op++) {
      yield think.exponential(THINK_S);
      try {
        const value = (yield* this.history.record(
          { process: this.process, f: "read" },
          this.call(this.server, "read", null, options),
        )) as Value;
        const next = (value ?? 0) + 1;
        yield* this.history.record(
          { process: this.process, f: "cas", value: [value, next] },
          this.call(this.server, "cas", [value, next] as Cas, options),
          { classify },
        );
      } catch {
        // Refused or indeterminate: recorded.
      }
    }
    this.done();
  }
}

export const LOST_UPDATE_INVARIANT = "linearizable";

export function lostUpdate(correct: boolean): PlantedModel {
  return {
    invariant: LOST_UPDATE_INVARIANT,
    safety: 4,
    shrinkable: {
      clients: { initial: 3, min: 1 },
      operations: { initial: 10, min: 1 },
    },
    faults: (seed) =>
      randomFaultSchedule({
        seed,
        horizon: 1,
        classes: [
          { targets: ["storage"], kind: "pause", timeBetweenFailures: 0.3, timeToRepair: 0.05 },
        ],
      }),
    build: ({ seed, params }) => {
      const { clients, operations } = workload(params, { clients: 3, operations: 10 });
      const sim = new Simulation({ seed });
      const storage = new Storage(sim, "storage");
      const server = new Server(sim, storage, correct);
      const history = new HistoryRecorder(sim);
      const done = checkWhenDone(sim, clients, SETTLE_S, LOST_UPDATE_INVARIANT, () =>
        linearizable(history.history, models.register()),
      );
      for (let i = 0; i < clients; i++) new Client(sim, i, server, history, operations, done);
      return sim;
    },
  };
}
