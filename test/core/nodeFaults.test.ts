/**
 * Goal: an entity's node faults do what they promise. A crashed node, of either kind, never
 * handles an event while down; a process crash fails its callers' open calls at once with a
 * connection reset (and refuses calls that reach it while down), a host crash leaves them to
 * their timeouts; a restart recovers after its downtime through the hooks in order; a paused
 * node runs nothing during the pause, its timers and the messages that arrived fire after it in
 * the order they fell due, and time has moved on; every fault writes `fault` records that pair
 * up by id; and with no fault the run is event for event what it was.
 * Method: small hand-written entities on a fresh simulation per test, logs stamped with
 * simulated time, counters, the trace stream.
 */
import { describe, expect, it } from "vitest";
import { Entity } from "../../src/core/entity.js";
import type { Message } from "../../src/core/message.js";
import { Simulation } from "../../src/core/simulation.js";
import type { FaultRecord, TraceRecord } from "../../src/core/trace.js";
import {
  ConfigError,
  ConnectionResetError,
  RemoteError,
  SimulationError,
} from "../../src/errors/errors.js";

/** Answers "echo <payload>" after `delay` seconds; logs what it handles and when. */
class Echo extends Entity<string, string> {
  delay = 1;
  readonly log: string[] = [];
  override *handle(request: Message<string>) {
    this.log.push(`${this.now}:handle ${request.payload}`);
    yield this.delay;
    this.log.push(`${this.now}:reply ${request.payload}`);
    this.reply(request, `echo ${request.payload}`);
  }
}

/** Calls `target` at the given times; logs each outcome with the time it came. */
class Caller extends Entity {
  readonly log: string[] = [];
  readonly errors: unknown[] = [];
  constructor(
    sim: Simulation,
    name: string,
    private readonly target: Entity<string, string>,
    times: readonly number[],
    private readonly timeout?: number,
  ) {
    super(sim, name);
    for (const time of times) this.at(time, this.fire, `call@${time}`);
  }
  private readonly fire = (label: string): void => {
    this.start(this.ask(label));
  };
  private *ask(label: string) {
    try {
      const answer = yield* this.call(
        this.target,
        "ask",
        label,
        this.timeout === undefined ? undefined : { timeout: this.timeout },
      );
      this.log.push(`${this.now}:${answer}`);
    } catch (error) {
      this.errors.push(error);
      this.log.push(`${this.now}:${(error as Error).name} ${label}`);
    }
  }
}

function traced(sim: Simulation): TraceRecord[] {
  const records: TraceRecord[] = [];
  sim.onTrace((record) => records.push(record));
  return records;
}

function faults(records: readonly TraceRecord[]): FaultRecord[] {
  return records.filter((record): record is FaultRecord => record.type === "fault");
}

describe("crash kinds", () => {
  it("a host crash is silence: an open call learns only by its timeout", () => {
    const sim = new Simulation({ seed: 1 });
    const server = new Echo(sim, "server");
    const caller = new Caller(sim, "caller", server, [0], 5);
    sim.at(0.5, () => server.crash());
    sim.run();
    expect(server.crashKind).toBe("host");
    expect(caller.log).toEqual(["5:TimeoutError call@0"]);
    expect(server.counters.callsReset).toBe(0);
  });

  it("a process crash resets every open call to it at once, with a typed error", () => {
    const sim = new Simulation({ seed: 1 });
    const server = new Echo(sim, "server");
    server.delay = 2;
    const withTimeout = new Caller(sim, "a", server, [0, 0.25], 5);
    const withoutTimeout = new Caller(sim, "b", server, [0.1]);
    sim.at(0.5, () => server.crash({ kind: "process" }));
    const summary = sim.run();
    expect(server.crashKind).toBe("process");
    expect(withTimeout.log).toEqual([
      "0.5:ConnectionResetError call@0",
      "0.5:ConnectionResetError call@0.25",
    ]);
    expect(withoutTimeout.log).toEqual(["0.5:ConnectionResetError call@0.1"]);
    const error = withoutTimeout.errors[0] as ConnectionResetError;
    expect(error).toBeInstanceOf(ConnectionResetError);
    expect(error).toBeInstanceOf(RemoteError);
    expect(error.refused).toBe(false);
    expect(error.entity).toBe("server");
    expect(error.reason).toBe("connection reset by server");
    expect(server.counters.callsReset).toBe(3);
    // The reset cancelled the timeouts: nothing is left pending.
    expect(summary.pendingEvents).toBe(0);
    expect(withTimeout.pendingCallCount).toBe(0);
  });

  it("a process-crashed node refuses calls that reach it while down; plain sends are dropped", () => {
    const sim = new Simulation({ seed: 1 });
    const server = new Echo(sim, "server");
    const caller = new Caller(sim, "caller", server, [2, 6], 10);
    sim.at(1, () => server.crash({ kind: "process" }));
    sim.at(1.5, () => sim.send(server, "note", "fire and forget"));
    sim.at(5, () => server.recover());
    sim.run();
    expect(caller.log).toEqual(["2:ConnectionResetError call@2", "7:echo call@6"]);
    expect((caller.errors[0] as ConnectionResetError).refused).toBe(true);
    expect(server.counters.droppedWhileDown).toBe(2);
    expect(server.counters.callsReset).toBe(1);
    expect(server.crashKind).toBeNull();
  });

  it("a crashed node never handles an event while down, of either kind", () => {
    for (const kind of ["host", "process"] as const) {
      const sim = new Simulation({ seed: 1 });
      const handled: number[] = [];
      class Busy extends Entity<string, string> {
        constructor() {
          super(sim, "busy");
          this.tick();
        }
        private readonly tick = (): void => {
          handled.push(this.now);
          this.after(0.25, this.tick);
        };
        override *handle(request: Message<string>) {
          handled.push(this.now);
          yield 0.1;
          handled.push(this.now);
          this.reply(request, "ok");
        }
        protected override onRecover(): void {
          this.tick();
        }
      }
      const busy = new Busy();
      new Caller(sim, "caller", busy, [0.3, 1.1, 1.6, 2.2, 3.05], 0.5);
      sim.at(1, () => busy.crash({ kind }));
      sim.at(3, () => busy.recover());
      sim.run({ until: 4 });
      const whileDown = handled.filter((t) => t >= 1 && t < 3);
      expect(whileDown, `${kind} crash`).toEqual([]);
      expect(handled).toContain(3.05);
    }
  });

  it("a balancer waiting on a process-crashed server gets the reset and relays it", () => {
    // A hand-written relay (the LoadBalancer case is in test/components/loadBalancer).
    const sim = new Simulation({ seed: 1 });
    const server = new Echo(sim, "server");
    server.delay = 3;
    class Relay extends Entity<string, string> {
      override *handle(request: Message<string>) {
        try {
          this.reply(request, yield* this.call(server, request.kind, request.payload));
        } catch (error) {
          if (!(error instanceof RemoteError)) throw error;
          this.fail(request, error.reason);
        }
      }
    }
    const relay = new Relay(sim, "relay");
    const caller = new Caller(sim, "caller", relay, [0]);
    sim.at(1, () => server.crash({ kind: "process" }));
    sim.run();
    expect(caller.log).toEqual(["1:RemoteError call@0"]);
    expect((caller.errors[0] as RemoteError).reason).toBe("connection reset by server");
  });

  it("refuses a bad kind with a ConfigError", () => {
    const sim = new Simulation({ seed: 1 });
    const server = new Echo(sim, "server");
    expect(() => server.crash({ kind: "power" as "host" })).toThrow(ConfigError);
    expect(server.isUp).toBe(true);
  });
});

describe("restart", () => {
  it("crashes now and recovers after the downtime: hooks first, then onRecover", () => {
    const sim = new Simulation({ seed: 1 });
    const order: string[] = [];
    class Node extends Entity {
      protected override onCrash(): void {
        order.push(`${this.now}:onCrash`);
      }
      protected override onRecover(): void {
        order.push(`${this.now}:onRecover`);
      }
    }
    const node = new Node(sim, "node");
    node.addLifecycleHook({
      onCrash: () => order.push(`${sim.now}:hook crash`),
      onRecover: () => order.push(`${sim.now}:hook recover`),
    });
    const records = traced(sim);
    sim.at(1, () => node.restart({ downtime: 2.5 }));
    sim.run();
    expect(order).toEqual(["1:hook crash", "1:onCrash", "3.5:hook recover", "3.5:onRecover"]);
    expect(node.isUp).toBe(true);
    expect(node.counters.crashes).toBe(1);
    const [activated, healed] = faults(records);
    expect(activated).toMatchObject({
      fault: "host-crash",
      phase: "activated",
      targets: ["node"],
      timeNs: 1e9,
      detail: "host crash, down for 2.5s",
    });
    expect(healed).toMatchObject({ fault: "host-crash", phase: "healed", timeNs: 3.5e9 });
    expect(healed!.faultId).toBe(activated!.faultId);
    // The crash's and the recovery's state-changed records are still written.
    expect(records.filter((r) => r.type === "state-changed")).toHaveLength(2);
  });

  it("without a downtime stays down until healed; a process restart counts the resets", () => {
    const sim = new Simulation({ seed: 1 });
    const server = new Echo(sim, "server");
    new Caller(sim, "caller", server, [0]);
    const records = traced(sim);
    let fault: ReturnType<Entity["restart"]> | null = null;
    sim.at(0.5, () => {
      fault = server.restart({ kind: "process" });
    });
    sim.at(10, () => {
      expect(server.isUp).toBe(false);
      expect(fault!.heal()).toBe(true);
      expect(fault!.heal()).toBe(false);
    });
    sim.run();
    expect(server.isUp).toBe(true);
    expect(fault!.active).toBe(false);
    expect(faults(records).map((r) => [r.fault, r.phase, r.detail, r.timeNs])).toEqual([
      ["process-crash", "activated", "process crash, 1 open call reset", 0.5e9],
      ["process-crash", "healed", "recovered", 10e9],
    ]);
  });
});

/** Logs its timers, and the messages it handles, with the time each ran. */
class Sleeper extends Entity<string> {
  readonly log: string[] = [];
  override handle(message: Message<string>): void {
    this.log.push(`${this.now}:message ${message.payload}`);
  }
  timer(label: string, delay: number): number {
    return this.after(delay, this.fired, label);
  }
  private readonly fired = (label: string): void => {
    this.log.push(`${this.now}:timer ${label}`);
  };
}

describe("pause", () => {
  it("runs nothing during the pause; timers and messages run after it, in the order they fell due", () => {
    const sim = new Simulation({ seed: 1 });
    const node = new Sleeper(sim, "node");
    // Scheduled in one order, due in another: the pause must keep the due order.
    node.timer("late", 3);
    node.timer("early", 1.5);
    node.timer("after the pause", 6);
    sim.at(2, () => sim.send(node, "m", "sent at 2, due at 4", { delay: 2 }));
    sim.at(2.5, () => sim.send(node, "m", "sent at 2.5, due at 2.5"));
    sim.at(1, () => node.pause(4));
    const ran: number[] = [];
    sim.at(5, () => ran.push(sim.now)); // someone else's event, during the pause
    sim.run();
    expect(node.log).toEqual([
      "5:timer early",
      "5:message sent at 2.5, due at 2.5",
      "5:timer late",
      "5:message sent at 2, due at 4",
      "6:timer after the pause",
    ]);
    expect(ran).toEqual([5]);
    expect(node.counters.pauses).toBe(1);
    expect(node.isPaused).toBe(false);
  });

  it("holds a process's sleep and a call's timeout; replies that arrived wait too", () => {
    const sim = new Simulation({ seed: 1 });
    const server = new Echo(sim, "server");
    server.delay = 1;
    const caller = new Caller(sim, "caller", server, [0], 1.5);
    const steps: number[] = [];
    class Stepper extends Entity {
      constructor() {
        super(sim, "stepper");
        this.start(this.run);
      }
      private *run() {
        for (let i = 0; i < 3; i++) {
          yield 1;
          steps.push(this.now);
        }
      }
    }
    const stepper = new Stepper();
    sim.at(0.5, () => {
      caller.pause(2);
      stepper.pause(2);
    });
    sim.run();
    // The reply came at 1 (held), the timeout fell due at 1.5 (held): the reply runs first.
    expect(caller.log).toEqual(["2.5:echo call@0"]);
    expect(caller.counters.lateReplies).toBe(0);
    expect(steps).toEqual([2.5, 3.5, 4.5]);
  });

  it("a paused node is up: its callers wait and may time out, and it answers later", () => {
    const sim = new Simulation({ seed: 1 });
    const server = new Echo(sim, "server");
    server.delay = 0.1;
    const caller = new Caller(sim, "caller", server, [1, 3], 1);
    sim.at(0.5, () => {
      server.pause(2);
      expect(server.isUp).toBe(true);
      expect(server.status).toBe("up");
      expect(server.isPaused).toBe(true);
    });
    sim.run();
    expect(caller.log).toEqual(["2:TimeoutError call@1", "3.1:echo call@3"]);
    // The request was handled after the pause; its answer came too late.
    expect(server.log.slice(0, 2)).toEqual(["2.5:handle call@1", "2.6:reply call@1"]);
    expect(caller.counters.lateReplies).toBe(1);
  });

  it("a cancelled held timer does not run; overlapping pauses end with the last", () => {
    const sim = new Simulation({ seed: 1 });
    const node = new Sleeper(sim, "node");
    const token = node.timer("cancelled", 1);
    node.timer("kept", 1.5);
    sim.at(0.5, () => node.pause(2));
    sim.at(1.25, () => node.pause(3)); // until 4.25
    sim.at(2, () => expect(node.cancelTimer(token)).toBe(true));
    sim.at(3, () => expect(node.isPaused).toBe(true));
    sim.run();
    expect(node.log).toEqual(["4.25:timer kept"]);
    expect(node.counters.pauses).toBe(2);
  });

  it("heal() ends a pause early; without a duration only heal() ends it", () => {
    const sim = new Simulation({ seed: 1 });
    const node = new Sleeper(sim, "node");
    node.timer("t", 1);
    const records = traced(sim);
    sim.at(0.5, () => {
      const pause = node.pause();
      sim.at(7, () => pause.heal());
    });
    sim.run();
    expect(node.log).toEqual(["7:timer t"]);
    expect(faults(records).map((r) => [r.fault, r.phase, r.detail, r.timeNs])).toEqual([
      ["pause", "activated", "paused until healed", 0.5e9],
      ["pause", "healed", "resumed: 1 held event (0 messages) run now", 7e9],
    ]);
  });

  it("a crash ends a pause: held messages are lost and counted, the timers cancelled", () => {
    const sim = new Simulation({ seed: 1 });
    const node = new Sleeper(sim, "node");
    node.timer("t", 1);
    const records = traced(sim);
    sim.at(0.5, () => node.pause(5));
    sim.at(1, () => sim.send(node, "m", "held"));
    sim.at(2, () => node.crash());
    sim.at(3, () => node.recover());
    const summary = sim.run();
    expect(node.log).toEqual([]);
    expect(node.counters.droppedWhileDown).toBe(1);
    expect(node.isPaused).toBe(false);
    expect(summary.pendingEvents).toBe(0);
    const pause = faults(records);
    expect(pause.map((r) => [r.phase, r.detail, r.timeNs])).toEqual([
      ["activated", "paused for 5s", 0.5e9],
      ["healed", "ended by a crash; 1 held message lost", 2e9],
    ]);
  });

  it("refuses to pause a crashed entity, and a bad duration", () => {
    const sim = new Simulation({ seed: 1 });
    const node = new Sleeper(sim, "node");
    expect(() => node.pause(-1)).toThrow(ConfigError);
    node.crash();
    expect(() => node.pause(1)).toThrow(SimulationError);
  });
});

describe("slowDown", () => {
  it("multiplies what workTime returns while in force, then restores it", () => {
    const sim = new Simulation({ seed: 1 });
    const node = new Sleeper(sim, "node");
    const records = traced(sim);
    expect(node.workTime(0.1)).toBe(0.1);
    const slow = node.slowDown(3, 10);
    const slower = node.slowDown(2);
    expect(node.slowdown).toBe(6);
    expect(node.workTime(0.5)).toBe(3);
    slower.heal();
    expect(node.slowdown).toBe(3);
    sim.run();
    expect(slow.active).toBe(false);
    expect(node.slowdown).toBe(1);
    expect(faults(records).map((r) => [r.fault, r.phase, r.detail])).toEqual([
      ["slow", "activated", "service times x3 for 10s"],
      ["slow", "activated", "service times x2"],
      ["slow", "healed", "speed restored"],
      ["slow", "healed", "speed restored"],
    ]);
    expect(() => node.slowDown(0)).toThrow(ConfigError);
  });
});

describe("reduceCapacity", () => {
  it("needs a station to reduce", () => {
    const sim = new Simulation({ seed: 1 });
    const node = new Sleeper(sim, "node");
    expect(() => node.reduceCapacity(0.5, 1)).toThrow(SimulationError);
    expect(() => node.reduceCapacity(1.5, 1)).toThrow(ConfigError);
  });
});

describe("without faults", () => {
  it("fault ids are unique and the trace hash of a run is what it was", () => {
    // A run of a caller and an echo, with its hash pinned before node faults existed.
    const sim = new Simulation({ seed: 11 });
    const server = new Echo(sim, "server");
    new Caller(sim, "caller", server, [0, 0.5, 3], 2);
    sim.at(1, () => server.crash());
    sim.at(2, () => server.recover());
    const summary = sim.run();
    expect(summary.traceHash).toBe(PINNED_HASH);
    expect(sim.nextFaultId()).toBe(1);
  });
});

// Computed on a8989a6, the commit before node faults, with the same model.
const PINNED_HASH = "882e9b3736f1b387";
