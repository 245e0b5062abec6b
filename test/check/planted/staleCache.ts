/**
 * Planted bug: a cache that serves stale reads after a restart. Reads go through the cache
 * (a miss fetches from the store); the store applies a write, then invalidates the cache's
 * entry (a call, awaited, or given up after a timeout when the cache is down) before it
 * acknowledges. The buggy cache restarts warm, with the entries it had before its crash, so
 * an invalidation it missed while down leaves it serving the old value: a read returns a value
 * older than a write that had already completed. Linearizability of the recorded history (a
 * register) catches it. The correct twin restarts cold.
 */
import {
  Entity,
  HistoryRecorder,
  type Message,
  models,
  randomFaultSchedule,
  Simulation,
} from "../../../src/index.js";
import { checkWhenDone, linearizable, type PlantedModel, workload } from "./support.js";

const LINK_S = 0.002;
const CALL_TIMEOUT_S = 0.05;
const WRITE_EVERY_S = 0.05;
const READ_EVERY_S = 0.03;
const SETTLE_S = 0.1;

type Value = number | null;

class Store extends Entity<Value | "read" | "fetch", Value | "ok"> {
  private value: Value = null;
  cache: Cache | null = null;

  override *handle(message: Message<Value | "read" | "fetch">) {
    if (message.kind !== "write") {
      this.reply(message, this.value, { delay: LINK_S });
      return;
    }
    this.value = message.payload as Value;
    try {
      yield* this.call(this.cache!, "invalidate", null, { timeout: CALL_TIMEOUT_S, delay: LINK_S });
    } catch {
      // The cache is down: it comes back without the entry (if it restarts cold).
    }
    this.reply(message, "ok", { delay: LINK_S });
  }
}

class Cache extends Entity<null, Value | "ok"> {
  private entry: { value: Value } | null = null;

  constructor(
    sim: Simulation,
    private readonly store: Store,
    private readonly correct: boolean,
  ) {
    super(sim, "cache");
  }

  override *handle(message: Message<null>) {
    if (message.kind === "invalidate") {
      this.entry = null;
      this.reply(message, "ok", { delay: LINK_S });
      return;
    }
    if (this.entry === null) {
      const value = (yield* this.call(this.store, "fetch", "fetch", {
        timeout: CALL_TIMEOUT_S,
        delay: LINK_S,
      })) as Value;
      this.entry = { value };
    }
    this.reply(message, this.entry.value, { delay: LINK_S });
  }

  protected override onCrash(): void {
    if (this.correct) this.entry = null;
  }
}

class Clients extends Entity {
  constructor(
    sim: Simulation,
    private readonly store: Store,
    private readonly cache: Cache,
    private readonly history: HistoryRecorder,
    clients: number,
    private readonly operations: number,
    private readonly done: () => void,
  ) {
    super(sim, "clients");
    this.start(this.write);
    for (let reader = 1; reader < clients; reader++) this.start(this.read(reader));
  }

  private *write() {
    const think = this.random("writer");
    for (let op = 1; op <= this.operations; op++) {
      yield think.exponential(WRITE_EVERY_S);
      try {
        yield* this.history.record(
          { process: 0, f: "write", value: op },
          this.call(this.store, "write", op, { timeout: 4 * CALL_TIMEOUT_S, delay: LINK_S }),
        );
      } catch {
        // Indeterminate: recorded as info.
      }
    }
    this.done();
  }

  private *read(process: number) {
    const think = this.random(`reader-${process}`);
    for (let op = 0; op < this.operations; op++) {
      yield think.exponential(READ_EVERY_S);
      try {
        yield* this.history.record(
          { process, f: "read" },
          this.call(this.cache, "get", null, { timeout: 2 * CALL_TIMEOUT_S, delay: LINK_S }),
        );
      } catch {
        // The cache is down: an indeterminate read, left out by the checker.
      }
    }
    this.done();
  }
}

export const STALE_INVARIANT = "linearizable";

export function staleCache(correct: boolean): PlantedModel {
  return {
    invariant: STALE_INVARIANT,
    safety: 4,
    shrinkable: {
      clients: { initial: 2, min: 2 },
      operations: { initial: 8, min: 1 },
    },
    faults: (seed) =>
      randomFaultSchedule({
        seed,
        horizon: 1,
        classes: [{ targets: ["cache"], timeBetweenFailures: 0.25, timeToRepair: 0.1 }],
      }),
    build: ({ seed, params }) => {
      const { clients, operations } = workload(params, { clients: 2, operations: 8 });
      const sim = new Simulation({ seed });
      const store = new Store(sim, "store");
      const cache = new Cache(sim, store, correct);
      store.cache = cache;
      const history = new HistoryRecorder(sim);
      const done = checkWhenDone(sim, clients, SETTLE_S, STALE_INVARIANT, () =>
        linearizable(history.history, models.register()),
      );
      new Clients(sim, store, cache, history, clients, operations, done);
      return sim;
    },
  };
}
