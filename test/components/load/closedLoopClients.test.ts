/**
 * Goal: closed-loop users behave as a closed queueing network. With N users, think time Z and
 * one FIFO exponential server of mean S, exact Mean Value Analysis gives the response time
 * R(N) and throughput X(N) = N / (R(N) + Z); the interactive response-time law must hold on
 * the sample path.
 * Method: 10 seeded replications of 2,000 simulated seconds; the 99% interval of the mean
 * response time (t = 3.25) must contain the MVA value; timeouts and stop conditions checked
 * directly.
 */
import { describe, expect, it } from "vitest";
import { ClosedLoopClients } from "../../../src/components/load/closedLoopClients.js";
import { Entity } from "../../../src/core/entity.js";
import type { Message } from "../../../src/core/message.js";
import { Simulation } from "../../../src/core/simulation.js";
import { constant, exponential } from "../../../src/random/distributions/closedForm.js";
import { step } from "../../../src/random/profile.js";
import { componentLaws, SUBJECT } from "../../support/laws.js";
import { confidenceInterval99 } from "../../support/statistics.js";
import { EchoTarget, type Job, ScriptedTarget } from "../../support/targets.js";

const S = 0.1;
const Z = 0.5;
const N = 10;

class FifoServer extends Entity<number, number> {
  private readonly service = this.random("service");
  private readonly waiting: Message<number>[] = [];
  private busy = false;
  constructor(
    sim: Simulation,
    private readonly meanService: number,
  ) {
    super(sim, "server");
  }
  override *handle(request: Message<number>) {
    this.waiting.push(request);
    if (this.busy) return;
    this.busy = true;
    while (this.waiting.length > 0) {
      const next = this.waiting.shift()!;
      yield this.service.exponential(this.meanService);
      this.reply(next, next.payload);
    }
    this.busy = false;
  }
}

/** Exact MVA for one FIFO exponential station plus a think-time delay station. */
function mva(users: number, service: number, think: number) {
  let queue = 0;
  let response = 0;
  let throughput = 0;
  for (let n = 1; n <= users; n++) {
    response = service * (1 + queue);
    throughput = n / (response + think);
    queue = throughput * response;
  }
  return { response, throughput };
}

const job = (index: number): Job => ({
  id: String(index),
  // Some requests outlast the timeout, some are refused: every outcome occurs.
  takes: index % 7 === 0 ? 0.5 : 0.02,
  ...(index % 5 === 0 ? { rejects: "busy" } : {}),
});

componentLaws({
  type: ClosedLoopClients,
  options: (sim) => ({
    target: new ScriptedTarget(sim, "target"),
    users: 2,
    thinkTime: constant(0.1),
    kind: "job",
    payload: job,
    timeout: 1,
    stopAfter: { count: 10, time: 5 },
  }),
  construct: (sim, name, options) =>
    new ClosedLoopClients<Job, string>(sim, name, options as never),
  invalid: [
    { target: null },
    { users: 0 },
    { users: 1.5 },
    { thinkTime: 1 },
    { thinkTime: constant(-1) },
    { kind: 3 },
    { payload: "index" },
    { timeout: 0 },
    { stopAfter: { count: -1 } },
    { stopAfter: { time: -1 } },
  ],
  scenario(sim) {
    const target = new ScriptedTarget(sim, "target");
    return new ClosedLoopClients<Job, string>(sim, SUBJECT, {
      target,
      users: 5,
      thinkTime: exponential(0.05),
      payload: job,
      timeout: 0.2,
      stopAfter: { time: 1 },
    });
  },
  crashAt: 0.4,
  recoverAt: 0.6,
  identities: (users) => {
    const m = users.metrics() as Record<string, number>;
    return [
      [
        "sent = succeeded + timedOut + failed + lostToCrash + inFlight",
        users.forwarded,
        users.succeeded + users.timedOut + users.failed + users.lostToCrash + m.inFlight!,
      ],
    ];
  },
});

describe("ClosedLoopClients", () => {
  it("matches exact Mean Value Analysis and the response-time law", () => {
    const theory = mva(N, S, Z);
    const runs = Array.from({ length: 10 }, (_, r) => {
      const sim = new Simulation({ seed: 500 + r });
      const server = new FifoServer(sim, S);
      const users = new ClosedLoopClients(sim, "users", {
        target: server,
        users: N,
        thinkTime: exponential(Z),
        stopAfter: { time: 2000 },
      });
      sim.run();
      return users;
    });
    const interval = confidenceInterval99(runs.map((u) => u.meanLatency));
    expect(interval.low).toBeLessThan(theory.response);
    expect(interval.high).toBeGreaterThan(theory.response);
    for (const users of runs) {
      // N = X (R + Z), with X measured over the run.
      const x = users.succeeded / users.now;
      expect(Math.abs((x * (users.meanLatency + Z)) / N - 1)).toBeLessThan(0.02);
    }
  });

  it("counts timeouts and keeps going; stops after a count", () => {
    const sim = new Simulation({ seed: 1 });
    const slow = new FifoServer(sim, 10);
    const users = new ClosedLoopClients(sim, "users", {
      target: slow,
      users: 2,
      thinkTime: constant(0),
      timeout: 0.5,
      stopAfter: { count: 6 },
    });
    sim.run({ until: 100 });
    expect(users.forwarded).toBe(6);
    expect(users.timedOut + users.succeeded).toBe(6);
    expect(users.timedOut).toBeGreaterThan(0);
  });

  it("reads a timeout profile as each request is sent", () => {
    // One user, a server answering in 0.3 s, no think time; the timeout steps from 1 s to
    // 0.1 s at t = 3: every request sent before 3 s is answered, every one after times out.
    const sim = new Simulation({ seed: 1 });
    const server = new EchoTarget<number>(sim, "server");
    server.delay = 0.3;
    const users = new ClosedLoopClients(sim, "users", {
      target: server,
      users: 1,
      thinkTime: constant(0),
      timeout: step(1, [{ at: 3, value: 0.1 }]),
      stopAfter: { time: 4 },
    });
    sim.run({ until: 10 });
    // Sent at 0, 0.3, ..., 2.7 (10 answered), then at 3.0, 3.1, ..., 3.9 (10 timed out).
    expect(users.succeeded).toBe(10);
    expect(users.timedOut).toBe(10);
    expect(
      () =>
        new ClosedLoopClients(sim, "bad", {
          target: server,
          users: 1,
          thinkTime: constant(1),
          timeout: step(1, [{ at: 3, value: 0 }]),
        }),
    ).toThrow(/timeout/);
  });

  it("counts refusals and keeps going (a full queue is an answer, not a crash)", () => {
    const sim = new Simulation({ seed: 1 });
    const refusing = new ScriptedTarget(sim, "server");
    const users = new ClosedLoopClients<Job, string>(sim, "users", {
      target: refusing,
      users: 3,
      thinkTime: constant(1),
      payload: (index) => ({
        id: String(index),
        takes: 0,
        ...(index % 2 === 0 ? { rejects: "queue full" } : {}),
      }),
      stopAfter: { count: 10 },
    });
    sim.run();
    expect(users.forwarded).toBe(10);
    expect(users.failed).toBe(5);
    expect(users.succeeded).toBe(5);
    expect(users.metrics()).toMatchObject({ failed: 5, succeeded: 5, timedOut: 0 });
  });

  it("builds payloads with the user index", () => {
    const sim = new Simulation({ seed: 1 });
    const seen: string[] = [];
    const target = new (class extends Entity<string, string> {
      override handle(message: Message<string>) {
        seen.push(message.payload);
        this.reply(message, "ok");
      }
    })(sim, "target");
    new ClosedLoopClients<string, string>(sim, "users", {
      target,
      users: 2,
      thinkTime: constant(1),
      payload: (index, user) => `${index}/${user}`,
      stopAfter: { count: 4 },
    });
    sim.run();
    expect(seen).toEqual(["0/0", "1/1", "2/0", "3/1"]);
  });

  it("a crash abandons the outstanding requests; recovered users go on", () => {
    const sim = new Simulation({ seed: 1 });
    const server = new EchoTarget<number>(sim, "server");
    server.delay = 1;
    const users = new ClosedLoopClients(sim, "users", {
      target: server,
      users: 2,
      thinkTime: constant(0),
      stopAfter: { time: 5 },
    });
    // Both users sent at 0 and at 1; the crash at 1.5 abandons the two requests sent at 1.
    sim.at(1.5, () => users.crash());
    sim.at(2.5, () => users.recover());
    sim.run();
    expect(users.lostToCrash).toBe(2);
    // Sent again at 2.5, 3.5 and 4.5, all answered; none were sent while down.
    expect(users.succeeded).toBe(2 + 6);
    expect(users.forwarded).toBe(users.succeeded + users.lostToCrash);
    expect(users.metrics()).toMatchObject({ lostToCrash: 2, inFlight: 0 });
  });

  it("a refused population leaves its name free and starts nobody", () => {
    const sim = new Simulation({ seed: 1 });
    const server = new FifoServer(sim, 0.1);
    expect(
      () =>
        new ClosedLoopClients(sim, "users", { target: server, users: 0, thinkTime: constant(1) }),
    ).toThrow(/"users"/);
    expect(sim.entity("users")).toBeUndefined();
    expect(sim.run().eventsProcessed).toBe(0);
  });

  it("without stopAfter the users are daemons", () => {
    const sim = new Simulation({ seed: 1 });
    const server = new FifoServer(sim, 0.1);
    new ClosedLoopClients(sim, "users", { target: server, users: 3, thinkTime: constant(1) });
    expect(sim.run({ until: 10 }).time).toBe(10);
  });

  it("refuses bad options", () => {
    const sim = new Simulation({ seed: 1 });
    const server = new FifoServer(sim, 0.1);
    const ok = { target: server, users: 1, thinkTime: constant(1) };
    expect(() => new ClosedLoopClients(sim, "a", { ...ok, users: 0 })).toThrow(/"users"/);
    expect(() => new ClosedLoopClients(sim, "b", { ...ok, thinkTime: 1 as never })).toThrow(
      /thinkTime/,
    );
    expect(() => new ClosedLoopClients(sim, "c", { ...ok, timeout: 0 })).toThrow(/timeout/);
    expect(() => new ClosedLoopClients(sim, "d", { ...ok, target: null as never })).toThrow(
      /target/,
    );
  });
});
