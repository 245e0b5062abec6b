import { describe, expect, it } from "vitest";
import {
  type ConfigError,
  dist,
  type FaultScheduleSpec,
  faultScheduleJson,
  parseFaultSchedule,
  type RandomFaultOptions,
  randomFaultSchedule,
} from "../../src/index.js";

const targets = ["s0", "s1", "s2", "s3", "s4"];

function options(
  seed: number,
  extra: Partial<RandomFaultOptions["classes"][number]> = {},
): RandomFaultOptions {
  return {
    seed,
    horizon: 1000,
    classes: [{ name: "servers", targets, timeBetweenFailures: 50, timeToRepair: 10, ...extra }],
  };
}

/** Most faults active at once, over the schedule (a fault covers [at, at + for)). */
function mostAtOnce(schedule: FaultScheduleSpec): number {
  const edges = schedule.faults.flatMap((f) => [
    [f.at, 1],
    [f.at + (f.for ?? Number.POSITIVE_INFINITY), -1],
  ]);
  edges.sort((a, b) => a[0]! - b[0]! || a[1]! - b[1]!);
  let now = 0;
  let most = 0;
  for (const [, step] of edges) {
    now += step!;
    most = Math.max(most, now);
  }
  return most;
}

describe("random fault schedules", () => {
  it("are the same for the same seed and differ across seeds", () => {
    const a = randomFaultSchedule(options(7));
    expect(randomFaultSchedule(options(7))).toEqual(a);
    expect(a.faults.length).toBeGreaterThan(20);
    const others = [8, 9, 10].map((seed) => JSON.stringify(randomFaultSchedule(options(seed))));
    expect(new Set([JSON.stringify(a), ...others]).size).toBe(4);
  });

  it("are plain data: printed and replayed exactly", () => {
    const schedule = randomFaultSchedule(options(3));
    expect(parseFaultSchedule(faultScheduleJson(schedule))).toEqual(schedule);
  });

  it("are ordered by start, start within [start, horizon], one fault per target at a time", () => {
    const schedule = randomFaultSchedule({ ...options(5), start: 100, horizon: 600 });
    const starts = schedule.faults.map((f) => f.at);
    expect(starts).toEqual([...starts].sort((x, y) => x - y));
    expect(Math.min(...starts)).toBeGreaterThanOrEqual(100);
    expect(Math.max(...starts)).toBeLessThanOrEqual(600);
    for (const target of targets) {
      const own = schedule.faults.filter((f) => f.targets[0] === target);
      expect(mostAtOnce({ faults: own })).toBeLessThanOrEqual(1);
    }
  });

  it("respect the most targets down at once", () => {
    // Failures often and long repairs: without the cap several would overlap.
    const uncapped = randomFaultSchedule(
      options(11, { timeBetweenFailures: 20, timeToRepair: 30 }),
    );
    expect(mostAtOnce(uncapped)).toBeGreaterThan(2);
    for (const max of [1, 2]) {
      for (let seed = 0; seed < 20; seed++) {
        const capped = randomFaultSchedule(
          options(seed, { timeBetweenFailures: 20, timeToRepair: 30, maxConcurrent: max }),
        );
        expect(mostAtOnce(capped), `seed ${seed}, max ${max}`).toBeLessThanOrEqual(max);
      }
    }
  });

  it("draw each target from its own stream: a class's other targets do not shift it", () => {
    const alone = randomFaultSchedule({
      seed: 4,
      horizon: 1000,
      classes: [{ name: "c", targets: ["s1"], timeBetweenFailures: 40, timeToRepair: 5 }],
    });
    const withOthers = randomFaultSchedule(
      options(4, { name: "c", timeBetweenFailures: 40, timeToRepair: 5 }),
    );
    expect(withOthers.faults.filter((f) => f.targets[0] === "s1")).toEqual(alone.faults);
  });

  it("take distributions, crash-loop mode and parameters", () => {
    const schedule = randomFaultSchedule(
      options(2, {
        timeBetweenFailures: dist.uniform(40, 60),
        timeToRepair: dist.constant(12),
        crashLoop: { downSeconds: 1, upSeconds: 2 },
      }),
    );
    for (const fault of schedule.faults) {
      expect(fault.kind).toBe("crash-loop");
      expect(fault.for).toBe(12);
      expect(fault.params).toEqual({ downSeconds: 1, upSeconds: 2 });
    }
  });

  it("refuse bad options with a ConfigError naming the option", () => {
    const bad: [Partial<RandomFaultOptions> | Record<string, unknown>, string][] = [
      [{ seed: -1 }, "seed"],
      [{ horizon: Number.POSITIVE_INFINITY }, "horizon"],
      [
        { classes: [{ targets: [], timeBetweenFailures: 1, timeToRepair: 1 }] },
        "classes[0].targets",
      ],
      [
        { classes: [{ targets: ["a"], timeBetweenFailures: 0, timeToRepair: 1 }] },
        "classes[0].timeBetweenFailures",
      ],
      [
        { classes: [{ targets: ["a"], timeBetweenFailures: 1, timeToRepair: dist.constant(0) }] },
        "classes[0].timeToRepair",
      ],
      [
        {
          classes: [{ targets: ["a"], timeBetweenFailures: 1, timeToRepair: 1, maxConcurrent: 0 }],
        },
        "classes[0].maxConcurrent",
      ],
      [
        {
          classes: [
            {
              targets: ["a"],
              timeBetweenFailures: 1,
              timeToRepair: 1,
              crashLoop: { downSeconds: 1 },
            },
          ],
        },
        "classes[0].crashLoop.upSeconds",
      ],
    ];
    for (const [override, parameter] of bad) {
      expect(() =>
        randomFaultSchedule({ ...options(1), ...override } as RandomFaultOptions),
      ).toThrow(
        expect.objectContaining({ name: "ConfigError", parameter }) as unknown as ConfigError,
      );
    }
  });
});

describe("random network fault schedules", () => {
  const nodes = ["n0", "n1", "n2", "n3", "n4"];
  const network = (seed: number, shapes?: RandomFaultOptions["classes"][number]["partition"]) =>
    randomFaultSchedule({
      seed,
      horizon: 2000,
      classes: [
        {
          name: "partitions",
          targets: ["net"],
          timeBetweenFailures: 30,
          timeToRepair: 5,
          partition: shapes ?? { nodes },
        },
        {
          name: "loss",
          targets: ["net"],
          kind: "loss",
          timeBetweenFailures: 60,
          timeToRepair: 3,
          params: { probability: 0.3 },
        },
      ],
    });

  it("draw partitions of the given nodes, a mix of shapes, each node order a permutation", () => {
    const schedule = network(4);
    const partitions = schedule.faults.filter((f) => f.kind === "partition");
    const spells = schedule.faults.filter((f) => f.kind === "loss");
    expect(partitions.length).toBeGreaterThan(30);
    expect(spells.length).toBeGreaterThan(10);
    for (const spell of spells) expect(spell.params).toEqual({ probability: 0.3 });
    const shapes = new Set(partitions.map((f) => f.params!.shape));
    expect([...shapes].sort()).toEqual(["bridge", "halves", "isolate", "majority-ring"]);
    const orders = new Set<string>();
    for (const fault of partitions) {
      expect(fault.targets).toEqual(["net"]);
      const order = fault.params!.nodes as string[];
      expect([...order].sort()).toEqual(nodes);
      orders.add(order.join());
    }
    expect(orders.size).toBeGreaterThan(10);
    // One partition of the class at a time: the class's one target is in one fault at a time.
    expect(mostAtOnce({ faults: partitions })).toBe(1);
  });

  it("are the same for the same seed, differ across seeds, and replay from JSON", () => {
    const a = network(21);
    expect(network(21)).toEqual(a);
    expect(network(22)).not.toEqual(a);
    expect(parseFaultSchedule(faultScheduleJson(a))).toEqual(a);
    // A shape mix narrowed to two draws only those.
    const narrow = network(21, { nodes, shapes: ["bridge", "isolate"] });
    const shapes = new Set(
      narrow.faults.filter((f) => f.kind === "partition").map((f) => f.params!.shape),
    );
    expect([...shapes].sort()).toEqual(["bridge", "isolate"]);
  });

  it("refuse a partition class that cannot be drawn, naming the field", () => {
    const bad: [RandomFaultOptions["classes"][number], string][] = [
      [
        { targets: ["net"], timeBetweenFailures: 1, timeToRepair: 1, partition: { nodes: [] } },
        "classes[0].partition.nodes",
      ],
      [
        {
          targets: ["net"],
          timeBetweenFailures: 1,
          timeToRepair: 1,
          partition: { nodes: ["a", "b", "c"], shapes: ["majority-ring"] },
        },
        "classes[0].partition.shapes",
      ],
      [
        {
          targets: ["net", "net2"],
          timeBetweenFailures: 1,
          timeToRepair: 1,
          partition: { nodes: ["a", "b"] },
        },
        "classes[0].targets",
      ],
      [
        {
          targets: ["net"],
          kind: "crash",
          timeBetweenFailures: 1,
          timeToRepair: 1,
          partition: { nodes: ["a", "b"] },
        },
        "classes[0].kind",
      ],
    ];
    for (const [cls, parameter] of bad) {
      expect(() => randomFaultSchedule({ seed: 1, horizon: 10, classes: [cls] })).toThrow(
        expect.objectContaining({ name: "ConfigError", parameter }) as unknown as ConfigError,
      );
    }
  });
});
