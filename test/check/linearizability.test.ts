/**
 * Goal: the linearizability checker accepts every history a sequential object can produce and
 * rejects the classic anomalies, naming the operation that cannot be placed.
 * Method: a property test over generated histories (operations take effect at a random point
 * inside their interval on one sequential object, some end indeterminate) for every built-in
 * model; hand-made known-bad histories (stale read, lost update, cas anomalies, queue
 * reordering) whose unplaceable operation is known; indeterminate operations; the budget.
 */
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import type { HistoryEvent } from "../../src/check/history/history.js";
import { checkLinearizability } from "../../src/check/linearizability/check.js";
import { type Model, models } from "../../src/check/linearizability/model.js";
import { formatLinearizability } from "../../src/check/linearizability/timeline.js";
import { type GeneratedModel, linearizableHistory } from "../support/linearizableHistories.js";

/** A history from compact rows: [process, type, f, value] (and a key for kv). */
function h(
  rows: readonly (readonly [number, HistoryEvent["type"], string, unknown, unknown?])[],
): HistoryEvent[] {
  return rows.map(([process, type, f, value, key]) => ({
    process,
    type,
    f,
    value,
    ...(key === undefined ? {} : { key }),
  }));
}

function unplaceable(history: HistoryEvent[], model: Model<never>): string[] {
  const result = checkLinearizability(history, model);
  expect(result.verdict).toBe("not-linearizable");
  const failure = result.failure!;
  return failure.unplaceable.map(
    (id) => failure.operations.find((op) => op.id === id)!.description,
  );
}

describe("histories of a sequential object", () => {
  // Indeterminate operations stay candidates for ever, and a queue's states are orders: the
  // search is exponential in them (as in Knossos and Porcupine), so those runs stay small.
  const shapes: Record<
    GeneratedModel,
    { clients: number; operations: number; infoRates: number[] }
  > = {
    register: { clients: 8, operations: 60, infoRates: [0, 0.1, 0.3] },
    kv: { clients: 8, operations: 60, infoRates: [0, 0.1, 0.3] },
    set: { clients: 8, operations: 60, infoRates: [0, 0.02] },
    counter: { clients: 8, operations: 60, infoRates: [0, 0.02] },
    queue: { clients: 4, operations: 30, infoRates: [0] },
  };
  for (const [name, shape] of Object.entries(shapes) as [GeneratedModel, (typeof shapes)["kv"]][]) {
    it(`are always linearizable: ${name}`, () => {
      fc.assert(
        fc.property(
          fc.integer({ min: 1, max: 2 ** 31 - 1 }),
          fc.integer({ min: 1, max: shape.clients }),
          fc.integer({ min: 0, max: shape.operations }),
          fc.constantFrom(...shape.infoRates),
          (seed, clients, operations, infoRate) => {
            const history = linearizableHistory({
              model: name,
              clients,
              operations,
              seed,
              keys: 3,
              infoRate,
            });
            const result = checkLinearizability(history, models[name]() as Model<unknown>);
            expect(result.verdict, formatLinearizability(result)).toBe("linearizable");
          },
        ),
        { numRuns: 100 },
      );
    });
  }
});

describe("known-bad histories", () => {
  it("a stale read: a read after a completed write returns the old value", () => {
    const history = h([
      [0, "invoke", "write", 1],
      [0, "ok", "write", 1],
      [1, "invoke", "read", null],
      [1, "ok", "read", null],
    ]);
    expect(unplaceable(history, models.register() as Model<never>)).toEqual(["read → nil"]);
    const result = checkLinearizability(history, models.register());
    expect(result.failure!.possibleStates).toEqual(["1"]);
    expect(result.failure!.linearized).toEqual([0]);
    expect(formatLinearizability(result)).toContain("cannot be placed");
  });

  it("a lost update: two cas from the same value both succeed", () => {
    const history = h([
      [0, "invoke", "write", 0],
      [0, "ok", "write", 0],
      [1, "invoke", "cas", [0, 1]],
      [2, "invoke", "cas", [0, 2]],
      [1, "ok", "cas", [0, 1]],
      [2, "ok", "cas", [0, 2]],
    ]);
    expect(unplaceable(history, models.register() as Model<never>)).toEqual(["cas [0 2]"]);
  });

  it("a cas anomaly: a cas succeeds on a value never written", () => {
    const history = h([
      [0, "invoke", "write", 1],
      [0, "ok", "write", 1],
      [1, "invoke", "cas", [5, 6]],
      [1, "ok", "cas", [5, 6]],
    ]);
    expect(unplaceable(history, models.register() as Model<never>)).toEqual(["cas [5 6]"]);
  });

  it("a read of a value from the future is not fine, from a concurrent write it is", () => {
    const future = h([
      [1, "invoke", "read", null],
      [1, "ok", "read", 3],
      [0, "invoke", "write", 3],
      [0, "ok", "write", 3],
    ]);
    expect(unplaceable(future, models.register() as Model<never>)).toEqual(["read → 3"]);
    const concurrent = h([
      [1, "invoke", "read", null],
      [0, "invoke", "write", 3],
      [1, "ok", "read", 3],
      [0, "ok", "write", 3],
    ]);
    expect(checkLinearizability(concurrent, models.register()).verdict).toBe("linearizable");
  });

  it("queue reordering: dequeued in another order than enqueued", () => {
    const history = h([
      [0, "invoke", "enqueue", 1],
      [0, "ok", "enqueue", 1],
      [0, "invoke", "enqueue", 2],
      [0, "ok", "enqueue", 2],
      [1, "invoke", "dequeue", null],
      [1, "ok", "dequeue", 2],
    ]);
    expect(unplaceable(history, models.queue() as Model<never>)).toEqual(["dequeue → 2"]);
  });

  it("a set read that misses an acknowledged add", () => {
    const history = h([
      [0, "invoke", "add", 1],
      [0, "ok", "add", 1],
      [1, "invoke", "read", null],
      [1, "ok", "read", []],
    ]);
    expect(unplaceable(history, models.set() as Model<never>)).toEqual(["read → []"]);
  });

  it("a set tells elements of different types apart, and maps whatever their key order", () => {
    const read = (added: unknown, seen: unknown[]) =>
      checkLinearizability(
        h([
          [0, "invoke", "add", added],
          [0, "ok", "add", added],
          [1, "invoke", "read", null],
          [1, "ok", "read", seen],
        ]),
        models.set(),
      ).verdict;
    expect(read(1, ["1"])).toBe("not-linearizable");
    expect(read([1, 2], ["[1 2]"])).toBe("not-linearizable");
    expect(read({ a: 1, b: 2 }, [{ b: 2, a: 1 }])).toBe("linearizable");
    expect(read("x", ["x"])).toBe("linearizable");
  });

  it("a counter that double-counts", () => {
    const history = h([
      [0, "invoke", "add", 1],
      [0, "ok", "add", 1],
      [1, "invoke", "read", null],
      [1, "ok", "read", 2],
    ]);
    expect(unplaceable(history, models.counter() as Model<never>)).toEqual(["read → 2"]);
  });

  it("kv: keys are checked apart, and the failing key is named", () => {
    const history = h([
      [0, "invoke", "put", "a", "x"],
      [0, "ok", "put", "a", "x"],
      [1, "invoke", "put", "b", "y"],
      [1, "ok", "put", "b", "y"],
      [2, "invoke", "get", null, "y"],
      [2, "ok", "get", "a", "y"],
    ]);
    const result = checkLinearizability(history, models.kv());
    expect(result.verdict).toBe("not-linearizable");
    expect(result.partitions.map((p) => [p.key, p.verdict])).toEqual([
      ["x", "linearizable"],
      ["y", "not-linearizable"],
    ]);
    expect(result.failure!.key).toBe("y");
  });

  it("kv: add's ok echoes the amount (Jepsen), increment's is the new number (a store's)", () => {
    const adds = h([
      [0, "invoke", "add", 1, "c"],
      [0, "ok", "add", 1, "c"],
      [0, "invoke", "add", 1, "c"],
      [0, "ok", "add", 1, "c"],
      [1, "invoke", "get", null, "c"],
      [1, "ok", "get", 2, "c"],
    ]);
    expect(checkLinearizability(adds, models.kv()).verdict).toBe("linearizable");
    const increments = h([
      [0, "invoke", "increment", 1, "c"],
      [0, "ok", "increment", 1, "c"],
      [0, "invoke", "increment", 1, "c"],
      [0, "ok", "increment", 1, "c"],
    ]);
    expect(unplaceable(increments, models.kv() as Model<never>)).toEqual(["increment 1"]);
  });

  it("kv: the failure explained is the earliest, whichever key it is on", () => {
    const history = h([
      [0, "invoke", "put", 1, "late"],
      [0, "ok", "put", 1, "late"],
      [1, "invoke", "put", 1, "early"],
      [1, "ok", "put", 1, "early"],
      [1, "invoke", "get", null, "early"],
      [1, "ok", "get", 2, "early"],
      [0, "invoke", "get", null, "late"],
      [0, "ok", "get", 2, "late"],
    ]);
    const failure = checkLinearizability(history, models.kv()).failure!;
    expect(failure.key).toBe("early");
    expect(failure.prefixEnd).toBe(5);
  });

  it('kv: keys compare by value and type: 1 and "1" apart, [1] and [1] one, "[1]" and [1] apart', () => {
    const keysOf = (keys: readonly unknown[]) =>
      checkLinearizability(
        h(
          keys.flatMap(
            (key, i) =>
              [
                [i, "invoke", "put", i, key],
                [i, "ok", "put", i, key],
              ] as const,
          ),
        ),
        models.kv(),
      ).partitions.map((p) => p.key);
    expect(keysOf([1, "1", 1])).toEqual([1, "1"]);
    expect(keysOf([[1], [1], "[1]", null, "null"])).toEqual([[1], "[1]", null, "null"]);
    // The value of the last write per key tells one part from another.
    const history = h([
      [0, "invoke", "put", "a", 1],
      [0, "ok", "put", "a", 1],
      [1, "invoke", "put", "b", "1"],
      [1, "ok", "put", "b", "1"],
      [2, "invoke", "get", null, 1],
      [2, "ok", "get", "a", 1],
      [3, "invoke", "get", null, "1"],
      [3, "ok", "get", "a", "1"],
    ]);
    expect(checkLinearizability(history, models.kv()).verdict).toBe("not-linearizable");
  });

  it("a search inside a model's step, and small searches after a large one, keep their verdicts", () => {
    // The search keeps its buffers for the next one: a search started while one runs gets
    // its own, and a small one after a large one starts empty.
    const stale = h([
      [0, "invoke", "write", 1],
      [0, "ok", "write", 1],
      [1, "invoke", "read", null],
      [1, "ok", "read", 2],
    ]);
    const inner: string[] = [];
    const register = models.register();
    const nesting: Model<unknown> = {
      ...register,
      name: "nesting",
      step(state, op) {
        inner.push(checkLinearizability(stale, models.register()).verdict);
        return register.step(state, op);
      },
    };
    const large = linearizableHistory({
      model: "register",
      clients: 10,
      operations: 2000,
      seed: 3,
    });
    expect(checkLinearizability(large, nesting, { explain: false }).verdict).toBe("linearizable");
    expect(new Set(inner)).toEqual(new Set(["not-linearizable"]));
    expect(checkLinearizability(stale, models.register()).verdict).toBe("not-linearizable");
    const small = linearizableHistory({ model: "register", clients: 3, operations: 20, seed: 4 });
    expect(checkLinearizability(small, models.register()).verdict).toBe("linearizable");
  });

  it("kv: Jepsen's independent [key value] tuples", () => {
    const history = h([
      [0, "invoke", "write", ["k", 1]],
      [0, "ok", "write", ["k", 1]],
      [1, "invoke", "read", ["k", null]],
      [1, "ok", "read", ["k", 0]],
    ]);
    const result = checkLinearizability(history, models.kv());
    expect(result.verdict).toBe("not-linearizable");
    expect(result.failure!.key).toBe("k");
  });

  it("the shortest failing prefix ends at the first completion that cannot be placed", () => {
    const history = h([
      [0, "invoke", "write", 1],
      [0, "ok", "write", 1],
      [1, "invoke", "read", null],
      [1, "ok", "read", 1],
      [1, "invoke", "read", null],
      [1, "ok", "read", 7],
      [0, "invoke", "write", 2],
      [0, "ok", "write", 2],
      [1, "invoke", "read", null],
      [1, "ok", "read", 9],
    ]);
    const failure = checkLinearizability(history, models.register()).failure!;
    expect(failure.prefixEnd).toBe(5);
    expect(failure.operations.map((op) => op.id)).toEqual([0, 1, 2]);
  });
});

describe("indeterminate operations", () => {
  it("an info write may have taken effect: a later read may see it", () => {
    const history = h([
      [0, "invoke", "write", 1],
      [0, "info", "write", 1],
      [1, "invoke", "read", null],
      [1, "ok", "read", 1],
    ]);
    expect(checkLinearizability(history, models.register()).verdict).toBe("linearizable");
  });

  it("...or not: a later read may miss it", () => {
    const history = h([
      [0, "invoke", "write", 1],
      [0, "info", "write", 1],
      [1, "invoke", "read", null],
      [1, "ok", "read", null],
    ]);
    expect(checkLinearizability(history, models.register()).verdict).toBe("linearizable");
  });

  it("but it cannot take effect before its invoke", () => {
    const history = h([
      [1, "invoke", "read", null],
      [1, "ok", "read", 1],
      [0, "invoke", "write", 1],
      [0, "info", "write", 1],
    ]);
    expect(checkLinearizability(history, models.register()).verdict).toBe("not-linearizable");
  });

  it("an invoke that never completes counts as info; a fail never took effect", () => {
    const history = h([
      [0, "invoke", "write", 1],
      [2, "invoke", "write", 2],
      [2, "fail", "write", 2],
      [1, "invoke", "read", null],
      [1, "ok", "read", 1],
    ]);
    const result = checkLinearizability(history, models.register());
    expect(result.verdict).toBe("linearizable");
    expect(result.failed).toBe(1);
    expect(result.indeterminate).toBe(1);
    const failedSeen = h([
      [2, "invoke", "write", 2],
      [2, "fail", "write", 2],
      [1, "invoke", "read", null],
      [1, "ok", "read", 2],
    ]);
    expect(checkLinearizability(failedSeen, models.register()).verdict).toBe("not-linearizable");
  });
});

describe("budget", () => {
  // Many concurrent writes and a read that matches none: the search must try every order.
  const hard: HistoryEvent[] = [];
  for (let p = 0; p < 12; p++) hard.push({ process: p, type: "invoke", f: "write", value: p });
  hard.push({ process: 99, type: "invoke", f: "read", value: null });
  for (let p = 0; p < 12; p++) hard.push({ process: p, type: "ok", f: "write", value: p });
  hard.push({ process: 99, type: "ok", f: "read", value: -1 });

  it("a step budget too small for the search gives unknown", () => {
    const result = checkLinearizability(hard, models.register(), { maxSteps: 50 });
    expect(result.verdict).toBe("unknown");
    expect(formatLinearizability(result)).toMatch(/^Unknown/);
  });

  it("with enough, the verdict", () => {
    expect(checkLinearizability(hard, models.register()).verdict).toBe("not-linearizable");
  });

  it("a bad budget is a ConfigError", () => {
    expect(() => checkLinearizability(hard, models.register(), { budget: 0 })).toThrow(
      /budget" must be a number of seconds > 0; given 0/,
    );
  });
});

describe("history errors", () => {
  it("a completion with no invoke, or an overlapping process, names the event", () => {
    expect(() => checkLinearizability(h([[0, "ok", "read", 1]]), models.register())).toThrow(
      /history event 0: process 0 completes read \(ok\) with no open invoke/,
    );
    expect(() =>
      checkLinearizability(
        h([
          [0, "invoke", "read", null],
          [0, "invoke", "read", null],
        ]),
        models.register(),
      ),
    ).toThrow(/history event 1: process 0 invokes read while/);
  });
});
