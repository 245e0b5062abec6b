import { describe, expect, it } from "vitest";
import {
  arrivals,
  ConfigError,
  dist,
  Entity,
  type FaultRecord,
  FaultSchedule,
  type FaultScheduleSpec,
  LoadBalancer,
  type Message,
  Network,
  NetworkLink,
  randomFaultSchedule,
  Server,
  Simulation,
  Source,
  strategy,
} from "../../src/index.js";
import { genericIdentities } from "../support/laws.js";

/** Counts what it receives, by sender. */
class Receiver extends Entity<string> {
  readonly got: string[] = [];
  override handle(message: Message<string>) {
    this.got.push(`${message.source?.name}:${message.payload}`);
  }
}

/** Sends "tick" to each peer every `every` seconds, forever. */
class Ticker extends Entity {
  constructor(sim: Simulation, name: string, peers: () => Entity<string>[], every: number) {
    super(sim, name);
    this.start(function* (this: Ticker) {
      for (let i = 0; ; i++) {
        yield every;
        for (const peer of peers()) this.send(peer, "tick", String(i));
      }
    });
  }
}

function serverModel(seed = 1) {
  const sim = new Simulation({ seed });
  const server = new Server(sim, "server", { concurrency: 2, serviceTime: dist.exponential(0.02) });
  new Source(sim, "load", {
    target: server,
    arrivals: arrivals.poisson(100),
    stopAfter: { time: 10 },
  });
  return { sim, server };
}

function faultRecords(sim: Simulation): FaultRecord[] {
  const records: FaultRecord[] = [];
  sim.onTrace((record) => {
    if (record.type === "fault") records.push(record);
  });
  return records;
}

describe("FaultSchedule", () => {
  it("crashes a target at `at` and restarts it `for` seconds later, counting what it did", () => {
    const { sim, server } = serverModel();
    const schedule = new FaultSchedule(sim, {
      faults: [{ kind: "crash", targets: ["server"], at: 2, for: 1.5 }],
    });
    const seen: string[] = [];
    for (const t of [1.9, 2.1, 3.4, 3.6]) sim.at(t, () => seen.push(`${t}:${server.status}`));
    sim.run({ until: 10 });
    expect(seen).toEqual(["1.9:up", "2.1:crashed", "3.4:crashed", "3.6:up"]);
    const [row] = schedule.rows();
    expect(row).toMatchObject({
      index: 0,
      kind: "crash",
      status: "healed",
      activatedAt: 2,
      healedAt: 3.5,
    });
    expect(row!.effects.crashes).toBe(1);
    expect(row!.effects.messagesDropped).toBe(server.counters.droppedWhileDown);
    expect(row!.effects.messagesDropped).toBeGreaterThan(100);
    expect(row!.effects.lostToCrash).toBe(server.stats.lostToCrash);
    expect(schedule.table()).toContain("crash  server   2s         3.5s");
  });

  it("checks every fault against the model first: a bad one leaves nothing scheduled", () => {
    const { sim, server } = serverModel();
    const bad: [FaultScheduleSpec, string, string][] = [
      [
        {
          faults: [
            { kind: "crash", targets: ["server"], at: 1 },
            { kind: "crash", targets: ["nobody"], at: 2 },
          ],
        },
        "faults[1].targets",
        "an entity",
      ],
      [
        {
          faults: [
            { kind: "crash", targets: ["server"], at: 1 },
            { kind: "explode", targets: ["server"], at: 2 },
          ],
        },
        "faults[1].kind",
        "a known fault kind (crash, crash-loop",
      ],
      [
        { faults: [{ kind: "crash", targets: ["server"], at: 1, params: { hard: true } }] },
        "faults[0].params.hard",
        'absent (kind "crash" takes kind)',
      ],
      [
        {
          faults: [
            {
              kind: "partition",
              targets: ["server"],
              at: 1,
              params: { groups: [["server"], ["load"]] },
            },
          ],
        },
        "faults[0].targets",
        "a Network",
      ],
      [
        {
          faults: [{ kind: "crash-loop", targets: ["server"], at: 1, params: { downSeconds: 1 } }],
        },
        "faults[0].params.upSeconds",
        "> 0",
      ],
      [
        { faults: [{ kind: "crash-on-event", targets: ["server"], at: 1, params: { nth: 0 } }] },
        "faults[0].params.nth",
        "an integer >= 1",
      ],
      [
        {
          faults: [
            {
              kind: "fault-point",
              targets: ["load"],
              at: 1,
              params: { point: "x", probability: 1 },
            },
          ],
        },
        "faults[0].params.point",
        "declares none",
      ],
      [
        {
          faults: [
            {
              kind: "fault-point",
              targets: ["server"],
              at: 1,
              params: { point: "x", probability: 1 },
            },
          ],
        },
        "faults[0].params.point",
        "server.stall, server.reply-error",
      ],
      [
        {
          faults: [
            {
              kind: "fault-point",
              targets: ["server"],
              at: 1,
              params: { point: "server.stall", probability: 2 },
            },
          ],
        },
        "faults[0].params.probability",
        "<= 1",
      ],
    ];
    for (const [spec, parameter, expected] of bad) {
      let error: unknown;
      try {
        new FaultSchedule(sim, spec);
      } catch (caught) {
        error = caught;
      }
      expect(error, parameter).toBeInstanceOf(ConfigError);
      expect((error as ConfigError).parameter).toBe(parameter);
      expect((error as ConfigError).expected).toContain(expected);
    }
    sim.run({ until: 10 });
    expect(server.counters.crashes).toBe(0);
    // No fault id was taken either: the next schedule's first fault is 1.
    expect(sim.nextFaultId()).toBe(1);
  });

  it("refuses a fault in the past", () => {
    const { sim } = serverModel();
    sim.run({ until: 3 });
    expect(
      () => new FaultSchedule(sim, { faults: [{ kind: "crash", targets: ["server"], at: 2 }] }),
    ).toThrow(expect.objectContaining({ parameter: "faults[0].at" }) as unknown as Error);
  });

  it("cancels a fault before it fires; an active one heals early", () => {
    const { sim, server } = serverModel();
    const records = faultRecords(sim);
    const schedule = new FaultSchedule(sim, {
      faults: [
        { kind: "crash", targets: ["server"], at: 2, for: 1 },
        { kind: "crash", targets: ["server"], at: 5, for: 3 },
      ],
    });
    sim.at(1, () => expect(schedule.cancel(0)).toBe(true));
    sim.at(6, () => expect(schedule.heal(1)).toBe(true));
    sim.run({ until: 10 });
    expect(schedule.cancel(0)).toBe(false);
    expect(schedule.cancel(1)).toBe(false);
    expect(schedule.heal(1)).toBe(false);
    expect(() => schedule.cancel(2)).toThrow(ConfigError);
    expect(server.counters.crashes).toBe(1);
    expect(schedule.rows().map((row) => [row.status, row.activatedAt, row.healedAt])).toEqual([
      ["cancelled", null, null],
      ["healed", 5, 6],
    ]);
    expect(records.map((r) => [r.timeNs / 1e9, r.faultId, r.phase])).toEqual([
      [1, 1, "cancelled"],
      [5, 2, "activated"],
      [6, 2, "healed"],
    ]);
  });

  it("writes a fault record per activation and heal, in time order, paired by id", () => {
    const { sim } = serverModel();
    const records = faultRecords(sim);
    new FaultSchedule(sim, {
      faults: [
        { kind: "crash", targets: ["server"], at: 4, for: 1 },
        { kind: "crash", targets: ["load"], at: 1, for: 5 },
        {
          kind: "fault-point",
          targets: ["server"],
          at: 2,
          params: { point: "server.stall", probability: 0.5, delaySeconds: 0.01 },
        },
      ],
    });
    sim.run({ until: 10 });
    expect(records.map((r) => [r.timeNs / 1e9, r.faultId, r.fault, r.phase, r.targets])).toEqual([
      [1, 2, "crash", "activated", ["load"]],
      [2, 3, "fault-point", "activated", ["server"]],
      [4, 1, "crash", "activated", ["server"]],
      [5, 1, "crash", "healed", ["server"]],
      [6, 2, "crash", "healed", ["load"]],
    ]);
    expect(records[1]!.detail).toBe("server.stall p=0.5 +0.01s");
    // The load was down meanwhile: the server lost nothing and nothing came to it.
    expect(records[3]!.detail).toBe("crashes 1");
  });

  it("is deterministic: the same seed and schedule give the same trace hash", () => {
    const run = () => {
      const { sim } = serverModel(3);
      new FaultSchedule(sim, {
        faults: [
          {
            kind: "crash-loop",
            targets: ["server"],
            at: 1,
            for: 6,
            params: { downSeconds: 0.5, upSeconds: 1 },
          },
        ],
      });
      return sim.run({ until: 10 }).traceHash;
    };
    expect(run()).toBe(run());
  });
});

describe("built-in fault kinds", () => {
  it("crash-loop: down, up, down again until the fault ends, and up after", () => {
    const { sim, server } = serverModel();
    const schedule = new FaultSchedule(sim, {
      faults: [
        {
          kind: "crash-loop",
          targets: ["server"],
          at: 1,
          for: 5,
          params: { downSeconds: 0.5, upSeconds: 1 },
        },
      ],
    });
    const seen: string[] = [];
    for (const t of [1.2, 1.7, 2.7, 3.2, 6.1]) sim.at(t, () => seen.push(`${t}:${server.status}`));
    sim.run({ until: 10 });
    // Crashes at 1, 2.5, 4 and 5.5; the fault ends at 6 with the node down, and it recovers.
    expect(seen).toEqual(["1.2:crashed", "1.7:up", "2.7:crashed", "3.2:up", "6.1:up"]);
    expect(server.counters.crashes).toBe(4);
    expect(schedule.rows()[0]!.effects.crashes).toBe(4);
  });

  it("crash-on-event: crashes right after the nth message of a kind arrives", () => {
    const sim = new Simulation({ seed: 1 });
    const receiver = new Receiver(sim, "receiver");
    const sender = new Entity(sim, "sender");
    sender.start(function* () {
      for (let i = 0; i < 10; i++) {
        yield 1;
        sender.send(receiver, i % 2 === 0 ? "put" : "get", String(i));
      }
    });
    const schedule = new FaultSchedule(sim, {
      faults: [
        {
          kind: "crash-on-event",
          targets: ["receiver"],
          at: 0,
          params: { nth: 2, messageKind: "put", downSeconds: 2.5 },
        },
      ],
    });
    sim.run();
    // Puts arrive at 1, 3, 5, ...: the second (at 3) is handled, then the crash; 4 and 5 are
    // dropped while down, and it is back at 5.5.
    expect(receiver.got).toEqual([
      "sender:0",
      "sender:1",
      "sender:2",
      "sender:5",
      "sender:6",
      "sender:7",
      "sender:8",
      "sender:9",
    ]);
    expect(schedule.rows()[0]!.effects).toEqual({ crashes: 1, messagesDropped: 2 });
  });

  it("crash-on-event costs nothing once fired or healed: it stops listening", () => {
    const sim = new Simulation({ seed: 1 });
    new Receiver(sim, "receiver");
    new FaultSchedule(sim, {
      faults: [
        { kind: "crash-on-event", targets: ["receiver"], at: 0, for: 1, params: { nth: 1 } },
      ],
    });
    sim.run({ until: 2 });
    expect(sim._tracing).toBe(false);
  });

  it("partition: drops exactly the cut directions while active; overlapping faults heal apart", () => {
    const sim = new Simulation({ seed: 1 });
    const net = new Network(sim, "net", {
      defaultLink: new NetworkLink(sim, "link", { latency: dist.constant(0.001) }),
    });
    sim.transport = net;
    const [a, b, c] = ["a", "b", "c"].map((name) => new Receiver(sim, name)) as [
      Receiver,
      Receiver,
      Receiver,
    ];
    const everyone = [a, b, c];
    for (const node of everyone)
      new Ticker(sim, `t-${node.name}`, () => everyone.filter((p) => p !== node), 1);
    const schedule = new FaultSchedule(sim, {
      faults: [
        {
          kind: "partition",
          targets: ["net"],
          at: 1.5,
          for: 3,
          params: {
            groups: [
              ["t-a", "a"],
              ["t-b", "b"],
            ],
          },
        },
        {
          kind: "partition-one-way",
          targets: ["net"],
          at: 2.5,
          for: 4,
          params: { from: ["t-c"], to: ["a"] },
        },
      ],
    });
    sim.run({ until: 8.5 });
    const at = (receiver: Receiver, sender: string) =>
      receiver.got.filter((g) => g.startsWith(`${sender}:`)).map((g) => Number(g.split(":")[1]));
    // Ticks i are sent at i + 1 seconds: the partition covers ticks 1, 2, 3 (at 2, 3, 4 s).
    expect(at(b, "t-a")).toEqual([0, 4, 5, 6, 7]);
    expect(at(a, "t-b")).toEqual([0, 4, 5, 6, 7]);
    // The one-way cut c -> a covers 3, 4, 5 (at 3, 4, 5, 6 s: ticks 2..5), healed at 6.5 on its own.
    expect(at(a, "t-c")).toEqual([0, 1, 6, 7]);
    expect(at(c, "t-a")).toEqual([0, 1, 2, 3, 4, 5, 6, 7]);
    expect(at(b, "t-c")).toEqual([0, 1, 2, 3, 4, 5, 6, 7]);
    const [two, oneWay] = schedule.rows();
    // Each counts only its own drops, overlapping or not: each heals just its own cuts.
    expect(two!.effects).toEqual({ messagesDropped: 6 });
    expect(two!.detail).toBe("t-a,a | t-b,b");
    expect(oneWay!.effects).toEqual({ messagesDropped: 4 });
    expect(net.messagesDroppedByPartition).toBe(10);
  });

  it("fault-point: switched on for its window only, drawn from its own stream", () => {
    const plain = serverModel(5);
    plain.sim.run({ until: 10 });
    const { sim, server } = serverModel(5);
    const failures: number[] = [];
    sim.onTrace((record) => {
      if (record.type === "message-sent" && record.kind === "error")
        failures.push(record.timeNs / 1e9);
    });
    const schedule = new FaultSchedule(sim, {
      faults: [
        {
          kind: "fault-point",
          targets: ["server"],
          at: 2,
          for: 3,
          params: { point: "server.reply-error", probability: 0.5 },
        },
      ],
    });
    sim.run({ until: 10 });
    const taken = schedule.rows()[0]!.effects.taken!;
    expect(failures.length).toBe(taken);
    expect(taken).toBeGreaterThan(100);
    expect(taken).toBeLessThan(200);
    expect(Math.min(...failures)).toBeGreaterThanOrEqual(2);
    expect(Math.max(...failures)).toBeLessThanOrEqual(5);
    // The service times are drawn as without the fault: the same requests completed at the same times.
    expect(server.stats.completed).toBe((plain.sim.entity("server") as Server).stats.completed);
    expect(server.stats.meanSojourn).toBe((plain.sim.entity("server") as Server).stats.meanSojourn);
  });
});

describe("a random crash schedule against a load balancer and its servers", () => {
  function model(seed: number) {
    const sim = new Simulation({ seed });
    const servers = [0, 1, 2].map(
      (i) =>
        new Server(sim, `s${i}`, {
          concurrency: 2,
          serviceTime: dist.exponential(0.015),
          queueCapacity: 20,
        }),
    );
    const lb = new LoadBalancer(sim, "lb", {
      backends: servers,
      strategy: strategy.leastConnections(),
      timeout: 0.5,
    });
    new Source(sim, "load", {
      target: lb,
      arrivals: arrivals.poisson(200),
      stopAfter: { time: 20 },
    });
    const spec = randomFaultSchedule({
      seed,
      horizon: 20,
      classes: [
        {
          name: "servers",
          targets: ["s0", "s1", "s2"],
          timeBetweenFailures: 4,
          timeToRepair: 1,
          maxConcurrent: 2,
        },
        { name: "balancer", targets: ["lb"], timeBetweenFailures: 15, timeToRepair: 0.5 },
      ],
    });
    const schedule = new FaultSchedule(sim, spec);
    return { sim, lb, servers, schedule, spec };
  }

  it("keeps every identity at every instant, and the run drains", () => {
    for (const seed of [1, 2, 3]) {
      const { sim, lb, servers, schedule } = model(seed);
      const check = () => {
        for (const entity of [lb, ...servers]) {
          for (const [label, left, right] of genericIdentities(entity.metrics())) {
            expect(left, `seed ${seed}, ${entity.name} at ${sim.now}s: ${label}`).toBe(right);
          }
        }
        sim.after(0.01, check, undefined, { daemon: true });
      };
      sim.after(0, check, undefined, { daemon: true });
      const summary = sim.run({ until: 40 });
      expect(summary.reason).toBe("until");
      const rows = schedule.rows();
      expect(rows.length).toBeGreaterThan(5);
      expect(rows.every((row) => row.status === "healed")).toBe(true);
      expect(
        lb.stats.inFlight + servers.reduce((sum, s) => sum + s.stats.active + s.stats.queued, 0),
      ).toBe(0);
      const crashes = [lb, ...servers].reduce((sum, e) => sum + e.counters.crashes, 0);
      expect(rows.reduce((sum, row) => sum + (row.effects.crashes ?? 0), 0)).toBe(crashes);
    }
  });

  it("replays exactly from its printed schedule", () => {
    const first = model(9);
    const hash = first.sim.run({ until: 30 }).traceHash;
    const sim = new Simulation({ seed: 9 });
    const servers = [0, 1, 2].map(
      (i) =>
        new Server(sim, `s${i}`, {
          concurrency: 2,
          serviceTime: dist.exponential(0.015),
          queueCapacity: 20,
        }),
    );
    const lb = new LoadBalancer(sim, "lb", {
      backends: servers,
      strategy: strategy.leastConnections(),
      timeout: 0.5,
    });
    new Source(sim, "load", {
      target: lb,
      arrivals: arrivals.poisson(200),
      stopAfter: { time: 20 },
    });
    new FaultSchedule(sim, JSON.parse(JSON.stringify(first.spec)) as FaultScheduleSpec);
    expect(sim.run({ until: 30 }).traceHash).toBe(hash);
  });
});
