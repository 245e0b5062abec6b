/**
 * Goal: a crash fault recovers only the crash it made: if something else recovered its target
 * and the target crashed again (another restart, the model's own crash), the fault's end
 * leaves that crash alone.
 * Method: a scheduled crash, a recovery by hand, a restart with a long downtime, the status
 * after the scheduled fault ended.
 */
import { describe, expect, it } from "vitest";
import { Entity, FaultSchedule, Simulation } from "../../src/index.js";

describe("crash fault", () => {
  it("its end does not recover a later crash it did not make", () => {
    const sim = new Simulation({ seed: 1 });
    const node = new Entity(sim, "node");
    const schedule = new FaultSchedule(sim, {
      faults: [{ kind: "crash", targets: ["node"], at: 0, for: 10 }],
    });
    sim.at(2, () => node.recover());
    sim.at(5, () => node.restart({ downtime: 100 }));
    sim.run({ until: 20 });
    expect(schedule.rows()[0]!.status).toBe("healed");
    expect(node.status).toBe("crashed");
    sim.run({ until: 106 });
    expect(node.status).toBe("up");
  });

  it("one that ends at t heals before one that begins at t: never both down at that instant", () => {
    const sim = new Simulation({ seed: 1 });
    new Entity(sim, "a");
    new Entity(sim, "b");
    new FaultSchedule(sim, {
      faults: [
        { kind: "crash", targets: ["a"], at: 0, for: 5 },
        { kind: "crash", targets: ["b"], at: 5, for: 5 },
      ],
    });
    const changes: string[] = [];
    sim.onTrace((record) => {
      if (record.type === "state-changed" && record.subject === "status")
        changes.push(`${record.timeNs / 1e9} ${record.entity} ${record.to}`);
    });
    sim.at(20, () => {});
    sim.run();
    expect(changes).toEqual(["0 a crashed", "5 a up", "5 b crashed", "10 b up"]);
  });
});
