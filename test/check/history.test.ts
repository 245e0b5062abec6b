/**
 * Goal: histories round-trip through Jepsen's EDN and JSON, the EDN reader takes what Jepsen
 * and Porcupine files hold, and the recorder writes what processes, clients and stores did,
 * at simulated time, with timeouts as info.
 * Method: round trips of generated histories; hand-written EDN lines; a small simulation with a
 * KVStore and a Client recorded, then checked.
 */
import { describe, expect, it } from "vitest";
import { EdnError, formatEdnHistory, parseEdnHistory } from "../../src/check/history/edn.js";
import { historyFromJson, historyToJson } from "../../src/check/history/json.js";
import { HistoryRecorder } from "../../src/check/history/recorder.js";
import { checkLinearizability } from "../../src/check/linearizability/check.js";
import { models } from "../../src/check/linearizability/model.js";
import { KVStore } from "../../src/components/store/kvStore.js";
import { Client, Entity, type Message, Simulation } from "../../src/index.js";
import { linearizableHistory } from "../support/linearizableHistories.js";

describe("EDN", () => {
  it("round-trips generated histories, and so does JSON", () => {
    for (const model of ["register", "kv", "set", "queue"] as const) {
      const history = linearizableHistory({
        model,
        clients: 4,
        operations: 40,
        seed: 3,
        keys: 2,
        infoRate: 0.2,
      });
      expect(parseEdnHistory(formatEdnHistory(history)).history).toEqual(history);
      expect(historyFromJson(historyToJson(history))).toEqual(history);
    }
  });

  it("reads Jepsen's lines: keywords, nil, vectors, nemesis left out, :time, tagged records", () => {
    const text = `{:type :invoke, :f :cas, :value [1 2], :process 0, :time 12, :index 0}
; a comment
{:type :info, :f :start-partition, :value nil, :process :nemesis}
#jepsen.history.Op{:index 2, :time 30, :type :fail, :process 0, :f :cas, :value [1 2], :error [:cas-failed "x"]}
{:process 1, :type :invoke, :f :read, :value nil}, {:process 1, :type :ok, :f :read, :value #{3 4}}`;
    const { history, nemesisEvents } = parseEdnHistory(text);
    expect(nemesisEvents).toBe(1);
    expect(history).toEqual([
      { type: "invoke", process: 0, f: "cas", value: [1, 2], time: 12 },
      { type: "fail", process: 0, f: "cas", value: [1, 2], time: 30, error: '["cas-failed" "x"]' },
      { type: "invoke", process: 1, f: "read", value: null },
      { type: "ok", process: 1, f: "read", value: [3, 4] },
    ]);
  });

  it("reads one vector of operations and Porcupine's :key", () => {
    const { history } = parseEdnHistory(
      '[{:process 0, :type :invoke, :f :get, :key "6", :value nil} {:process 0, :type :ok, :f :get, :key "6", :value ""}]',
    );
    expect(history.map((e) => e.key)).toEqual(["6", "6"]);
  });

  it("discards #_ forms anywhere, and keeps every string and integer exact", () => {
    const { history } = parseEdnHistory(
      `{:process 0, :type :invoke, :f :write, :value 9007199254740993 #_ :ignored}
#_ {:process 9, :type :invoke, :f :read, :value nil}
{:process 0, :type :ok, :f :write, :value 9007199254740993}
{:process 1, :type :invoke, :f :read, :value nil}
{:process 1, :type :ok, :f :read, :value 9007199254740992N}
#_ {:process 9}`,
    );
    expect(history.map((e) => e.process)).toEqual([0, 0, 1, 1]);
    // Beyond 2^53 two integers must not read as one number: the read saw another value.
    expect(checkLinearizability(history, models.register()).verdict).toBe("not-linearizable");
    const strange = [
      { type: "invoke", process: 0, f: "write", value: "a\bb\fc\u0001d\u2028" },
    ] as const;
    expect(parseEdnHistory(formatEdnHistory(strange)).history).toEqual(strange);
  });

  it("names the line of bad input", () => {
    expect(() => parseEdnHistory("{:process 0, :type :invoke\n{:process 1")).toThrow(EdnError);
    expect(() => parseEdnHistory("{:process 0, :type :begin, :f :read, :value nil}")).toThrow(
      /:type must be :invoke, :ok, :fail or :info; given begin/,
    );
  });
});

describe("HistoryRecorder", () => {
  it("records a store's operations and a client's timeouts as info, at simulated time", () => {
    const sim = new Simulation({ seed: 1 });
    const store = new KVStore<number>(sim, "store", { readLatency: 0.01, writeLatency: 0.02 });
    class Slow extends Entity<string, string> {
      override *handle(message: Message<string>) {
        yield 1;
        this.reply(message, "late");
      }
    }
    const client = new Client<string, string>(sim, "client", {
      target: new Slow(sim, "slow"),
      timeout: 0.1,
    });
    const history = new HistoryRecorder(sim);
    const recorded = history.store(store, { process: 0 });
    const recordedClient = history.client(client, {
      process: 1,
      describe: (value) => ({ f: "write", key: "y", value }),
    });
    class Driver extends Entity {
      constructor() {
        super(sim, "driver");
        this.start(this.work);
        this.start(this.other);
      }
      private *work() {
        yield* recorded.put("x", 1);
        const value = yield* recorded.get("x");
        expect(value).toBe(1);
        yield* recorded.get("missing");
      }
      private *other() {
        try {
          yield* recordedClient.issue("v");
        } catch {
          // recorded as info
        }
      }
    }
    new Driver();
    sim.run();
    expect(history.history).toEqual([
      { type: "invoke", process: 0, f: "put", key: "x", value: 1, time: 0 },
      { type: "invoke", process: 1, f: "write", key: "y", value: "v", time: 0 },
      { type: "ok", process: 0, f: "put", key: "x", value: 1, time: 20_000_000 },
      { type: "invoke", process: 0, f: "get", key: "x", value: null, time: 20_000_000 },
      { type: "ok", process: 0, f: "get", key: "x", value: 1, time: 30_000_000 },
      { type: "invoke", process: 0, f: "get", key: "missing", value: null, time: 30_000_000 },
      { type: "ok", process: 0, f: "get", key: "missing", value: null, time: 40_000_000 },
      {
        type: "info",
        process: 1,
        f: "write",
        key: "y",
        value: "v",
        time: 100_000_000,
        error: "timed out after 0.1s",
      },
    ]);
    expect(checkLinearizability(history.history, models.kv()).verdict).toBe("linearizable");
  });

  it("an operation cut short by its process's crash ends info, so the process can go on after recovery", () => {
    const sim = new Simulation({ seed: 1 });
    const store = new KVStore<number>(sim, "store", { readLatency: 0.01, writeLatency: 0.02 });
    const history = new HistoryRecorder(sim);
    const recorded = history.store(store, { process: 0 });
    class Worker extends Entity {
      constructor() {
        super(sim, "worker");
        this.start(this.work);
      }
      private *work() {
        yield* recorded.put("x", 1);
        yield* recorded.get("x");
      }
      protected override onRecover() {
        this.start(this.work);
      }
    }
    const worker = new Worker();
    class Chaos extends Entity {
      constructor() {
        super(sim, "chaos");
        this.start(this.strike);
      }
      private *strike() {
        yield 0.005;
        worker.crash();
        yield 0.01;
        worker.recover();
      }
    }
    new Chaos();
    sim.run();
    expect(history.history.slice(0, 2)).toEqual([
      { type: "invoke", process: 0, f: "put", key: "x", value: 1, time: 0 },
      {
        type: "info",
        process: 0,
        f: "put",
        key: "x",
        value: 1,
        time: 5_000_000,
        error: "cancelled: its process ended (a crash) before an answer",
      },
    ]);
    expect(checkLinearizability(history.history, models.kv()).verdict).toBe("linearizable");
  });
});
