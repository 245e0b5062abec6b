import { describe, expect, it } from "vitest";
import {
  ConfigError,
  checkFaultSchedule,
  type FaultScheduleSpec,
  faultScheduleJson,
  formatFaultSchedule,
  parseFaultSchedule,
} from "../../src/index.js";

function refusal(schedule: unknown): ConfigError {
  try {
    checkFaultSchedule(schedule);
  } catch (error) {
    expect(error).toBeInstanceOf(ConfigError);
    return error as ConfigError;
  }
  throw new Error("the schedule was accepted");
}

const good: FaultScheduleSpec = {
  faults: [
    { kind: "crash", targets: ["s1"], at: 1.5, for: 2 },
    { kind: "partition", targets: ["net"], at: 3, for: null, params: { groups: [["a"], ["b"]] } },
    {
      kind: "fault-point",
      targets: ["s2"],
      at: 0,
      for: 10,
      params: { point: "server.stall", probability: 0.25, delaySeconds: 0.1 },
    },
  ],
};

describe("schedule data", () => {
  it("names the fault index, the field, what was expected and what was given", () => {
    const cases: [unknown, string, string][] = [
      [{}, "faults", "an object { faults: [...] }"],
      [{ faults: [], seed: 1 }, "seed", "absent"],
      [{ faults: [3] }, "faults[0]", "an object"],
      [{ faults: [{ ...good.faults[0], kind: "" }] }, "faults[0].kind", "a non-empty string"],
      [
        { faults: [good.faults[0], { ...good.faults[0], targets: [] }] },
        "faults[1].targets",
        "a non-empty array",
      ],
      [{ faults: [{ ...good.faults[0], targets: ["a", "a"] }] }, "faults[0].targets", "distinct"],
      [{ faults: [{ ...good.faults[0], at: -1 }] }, "faults[0].at", ">= 0"],
      [{ faults: [{ ...good.faults[0], at: Number.NaN }] }, "faults[0].at", "finite"],
      [{ faults: [{ ...good.faults[0], for: "2s" }] }, "faults[0].for", "or null"],
      [{ faults: [{ ...good.faults[0], params: { f: () => 1 } }] }, "faults[0].params", "JSON"],
      [{ faults: [{ ...good.faults[0], duration: 2 }] }, "faults[0].duration", "absent"],
    ];
    for (const [schedule, parameter, expected] of cases) {
      const error = refusal(schedule);
      expect(error.component).toBe("FaultSchedule");
      expect(error.parameter).toBe(parameter);
      expect(error.expected).toContain(expected);
    }
    expect(refusal({ faults: [{ ...good.faults[0], at: -1 }] }).given).toBe(-1);
  });

  it("makes `for` explicit: omitted means until the end (null)", () => {
    const checked = checkFaultSchedule({ faults: [{ kind: "crash", targets: ["a"], at: 1 }] });
    expect(checked.faults[0]).toEqual({ kind: "crash", targets: ["a"], at: 1, for: null });
  });

  it("goes through JSON and back unchanged, and replays from the text", () => {
    const text = faultScheduleJson(good);
    expect(parseFaultSchedule(text)).toEqual(checkFaultSchedule(good));
    expect(parseFaultSchedule(JSON.stringify(good))).toEqual(checkFaultSchedule(good));
    // One fault a line, so a diff of two schedules reads fault by fault.
    expect(text.split("\n").filter((line) => line.includes('"kind"'))).toHaveLength(3);
    expect(() => parseFaultSchedule("{ faults: ")).toThrow(ConfigError);
  });

  it("prints one numbered fault a line", () => {
    expect(formatFaultSchedule(good)).toBe(
      [
        "#0 crash s1 at 1.5s for 2s",
        '#1 partition net at 3s until the end {"groups":[["a"],["b"]]}',
        '#2 fault-point s2 at 0s for 10s {"point":"server.stall","probability":0.25,"delaySeconds":0.1}',
        "",
      ].join("\n"),
    );
  });
});
