/**
 * Goal: a run exports as data without loss: every entity's counters and metrics and every
 * recorded series, as JSON (NaN as null) and as one tidy, correctly quoted CSV; with run
 * information, whether the run finished (and why not) and its parameters too; with a fault
 * schedule's rows, what each fault did.
 */
import { describe, expect, it } from "vitest";
import { Probe } from "../../src/components/measure/probe.js";
import { Sink } from "../../src/components/measure/sink.js";
import { Simulation } from "../../src/core/simulation.js";
import { FaultSchedule } from "../../src/faults/schedule.js";
import { csvField, runRecord, runRecordCsv, runRecordJson } from "../../src/metrics/export.js";

describe("run export", () => {
  it("records the summary and every entity's series, and writes them as JSON and CSV", () => {
    const sim = new Simulation({ seed: 1 });
    const sink = new Sink(sim, 'done, "fast"', { window: 1 });
    let level = 0;
    new Probe(sim, "level", { read: () => level, interval: 1, unit: "items" });
    sim.at(0.5, () => {
      level = 3;
      sim.send(sink, "job", 0);
    });
    const summary = sim.run({ until: 2 });
    const record = runRecord(sim, summary);
    expect(record.series.map((s) => [s.entity, s.name, s.unit])).toEqual([
      ['done, "fast"', 'done, "fast" p50', "s"],
      ['done, "fast"', 'done, "fast" p99', "s"],
      ['done, "fast"', 'done, "fast" throughput', "per second"],
      ["level", "level", "items"],
    ]);
    const json = JSON.parse(runRecordJson(record));
    expect(json.summary.entities[0].metrics.received).toBe(1);
    expect(json.series[3].points).toEqual([
      [0, 0],
      [1, 3],
      [2, 3],
    ]);
    const csv = runRecordCsv(record).trimEnd().split("\n");
    expect(csv[0]).toBe("entity,type,metric,time,value");
    expect(csv).toContain('"done, ""fast""",Sink,received,,1');
    expect(csv).toContain("level,Probe,level,1,3");
    expect(csv).toContain("level,Probe,crashes,,0");
  });

  it("writes NaN as null in JSON and as an empty cell in CSV", () => {
    const sim = new Simulation({ seed: 1 });
    new Sink(sim, "idle");
    const record = runRecord(sim, sim.run());
    expect(JSON.parse(runRecordJson(record)).summary.entities[0].metrics.p99Latency).toBeNull();
    expect(runRecordCsv(record)).toContain("idle,Sink,p99Latency,,\n");
  });

  it("carries run information: finished or why not, until and params, first in the CSV", () => {
    const sim = new Simulation({ seed: 1 });
    new Sink(sim, "done");
    const summary = sim.run({ until: 1 });
    expect(runRecord(sim, summary)).not.toHaveProperty("run");
    const record = runRecord(sim, summary, {
      finished: false,
      stopped: "failed",
      error: 'entity "api" at t=1s: runaway queue, "big"',
      until: 60,
      params: { rate: 200, region: "eu, west", warm: true },
    });
    expect(JSON.parse(runRecordJson(record)).run).toEqual(record.run);
    expect(runRecordCsv(record).split("\n").slice(0, 8)).toEqual([
      "entity,type,metric,time,value",
      ",run,finished,,false",
      ",run,stopped,,failed",
      ',run,error,,"entity ""api"" at t=1s: runaway queue, ""big"""',
      ",run,until,,60",
      ",run,params.rate,,200",
      ',run,params.region,,"eu, west"',
      ",run,params.warm,,true",
    ]);
  });

  it("carries a fault schedule's rows: a faults field in JSON, rows of type fault in the CSV", () => {
    const sim = new Simulation({ seed: 1 });
    new Sink(sim, "a");
    new Sink(sim, "b");
    const schedule = new FaultSchedule(sim, {
      faults: [
        { kind: "crash", targets: ["a", "b"], at: 1, for: 0.5 },
        { kind: "crash", targets: ["a"], at: 5 },
      ],
    });
    sim.at(2, () => schedule.cancel(1));
    const summary = sim.run({ until: 3 });
    expect(runRecord(sim, summary)).not.toHaveProperty("faults");
    const rows = schedule.rows();
    const record = runRecord(sim, summary, { finished: true, params: {} }, { faults: rows });
    expect(Object.keys(record)).toEqual(["run", "summary", "series", "faults"]);
    expect(JSON.parse(runRecordJson(record)).faults).toEqual(rows);
    const csv = runRecordCsv(record).trimEnd().split("\n");
    const faultLines = csv.filter((line) => line.startsWith(",fault,"));
    expect(faultLines).toEqual([
      `,fault,faults[0].faultId,,${rows[0]!.faultId}`,
      ",fault,faults[0].kind,,crash",
      ',fault,faults[0].targets,,"a,b"',
      ",fault,faults[0].status,,healed",
      ",fault,faults[0].activatedAt,,1",
      ",fault,faults[0].healedAt,,1.5",
      ",fault,faults[0].detail,,",
      ",fault,faults[0].effects.crashes,,2",
      `,fault,faults[1].faultId,,${rows[1]!.faultId}`,
      ",fault,faults[1].kind,,crash",
      ",fault,faults[1].targets,,a",
      ",fault,faults[1].status,,cancelled",
      ",fault,faults[1].activatedAt,,",
      ",fault,faults[1].healedAt,,",
      ",fault,faults[1].detail,,",
    ]);
    // Between the run rows and the entities' rows.
    expect(csv.indexOf(faultLines[0]!)).toBe(2);
    expect(csv[2 + faultLines.length]).toMatch(/^a,Sink,/);
  });

  it("quotes CSV fields by RFC 4180", () => {
    expect(csvField("plain")).toBe("plain");
    expect(csvField("a,b")).toBe('"a,b"');
    expect(csvField('say "hi"')).toBe('"say ""hi"""');
    expect(csvField("two\nlines")).toBe('"two\nlines"');
  });
});
