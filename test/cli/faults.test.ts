/**
 * Goal: `distsim run --faults schedule.json` applies a fault schedule to a model, checked
 * against it before the run (a bad schedule is a usage error and nothing runs), prints what
 * each fault did after the summary, and `--report` lists the faults and hands them to every
 * chart as bands.
 * Method: call `main` with captured output on test/fixtures/models/queue.ts, which imports
 * "distsim" from the build: the CLI's schedule (from src/) must find the entities and fault
 * points of a model built with another copy of the modules.
 */
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { ExitCode, main } from "../../src/cli/program.js";

const root = join(import.meta.dirname, "../..");
const model = join(root, "test/fixtures/models/queue.ts");
const scratch = mkdtempSync(join(tmpdir(), "distsim-faults-"));
afterAll(() => rmSync(scratch, { recursive: true, force: true }));

async function run(argv: string[]): Promise<{ code: number; out: string; err: string }> {
  let out = "";
  let err = "";
  const code = await main(argv, {
    out: (text) => {
      out += text;
    },
    err: (text) => {
      err += text;
    },
    isTTY: false,
  });
  return { code, out, err };
}

function scheduleFile(name: string, schedule: unknown): string {
  const path = join(scratch, name);
  writeFileSync(path, typeof schedule === "string" ? schedule : JSON.stringify(schedule));
  return path;
}

const schedule = {
  faults: [
    { kind: "crash", targets: ["server"], at: 10, for: 5 },
    {
      kind: "fault-point",
      targets: ["server"],
      at: 20,
      for: 5,
      params: { point: "server.stall", probability: 0.5, delaySeconds: 0.1 },
    },
    { kind: "crash", targets: ["load"], at: 28 },
  ],
};

describe("distsim run --faults", () => {
  it("applies the schedule and prints what each fault did after the summary", async () => {
    const file = scheduleFile("faults.json", schedule);
    const { code, out, err } = await run([
      "run",
      model,
      "--seed",
      "7",
      "--quiet",
      "--faults",
      file,
    ]);
    expect(err).toBe("");
    expect(code).toBe(ExitCode.ok);
    const table = out.slice(out.indexOf(`Faults (${file}):`));
    const lines = table.split("\n").slice(1, 5);
    expect(lines[0]).toMatch(/^#\s+fault\s+targets\s+activated\s+healed\s+did$/);
    expect(lines[1]).toMatch(/^0\s+crash\s+server\s+10s\s+15s\s+crashes 1, .*messagesDropped \d+/);
    expect(lines[2]).toMatch(
      /^1\s+fault-point\s+server\s+20s\s+25s\s+server.stall p=0.5 \+0.1s; taken \d+$/,
    );
    expect(lines[3]).toMatch(/^2\s+crash\s+load\s+28s\s+still active\s+crashes 1/);
    // The same schedule and seed give the same run.
    const again = await run(["run", model, "--seed", "7", "--quiet", "--faults", file]);
    const trace = (text: string) => /trace\s+([0-9a-f]{16})/.exec(text)?.[1];
    expect(trace(again.out)).toBe(trace(out));
    const without = await run(["run", model, "--seed", "7", "--quiet"]);
    expect(trace(without.out)).not.toBe(trace(out));
  });

  it("refuses a schedule that does not fit the model, before anything runs", async () => {
    const cases: [unknown, string][] = [
      [
        { faults: [{ kind: "crash", targets: ["nobody"], at: 1 }] },
        'option "faults[0].targets" must be the name of an entity in the model; given "nobody"',
      ],
      [{ faults: [{ kind: "crash", targets: ["server"], at: 1, for: "5s" }] }, '"faults[0].for"'],
      [
        {
          faults: [
            {
              kind: "fault-point",
              targets: ["server"],
              at: 1,
              params: { point: "nope", probability: 1 },
            },
          ],
        },
        "server.stall, server.reply-error",
      ],
      ["{ not json", "valid JSON"],
    ];
    for (const [bad, message] of cases) {
      const { code, out, err } = await run([
        "run",
        model,
        "--quiet",
        "--faults",
        scheduleFile("bad.json", bad),
      ]);
      expect(code).toBe(ExitCode.usage);
      expect(err).toContain(message);
      expect(out).toBe("");
    }
    const missing = await run(["run", model, "--quiet", "--faults", join(scratch, "missing.json")]);
    expect(missing.code).toBe(ExitCode.usage);
    expect(missing.err).toContain("cannot read the fault schedule");
  });

  it("writes what each fault did into --json (a faults field) and --csv (fault rows)", async () => {
    const json = join(scratch, "faults.json.out");
    const csv = join(scratch, "faults.csv");
    const file = scheduleFile("faults.json", schedule);
    const { code, out } = await run([
      "run",
      model,
      "--seed",
      "7",
      "--quiet",
      "--faults",
      file,
      "--json",
      json,
      "--csv",
      csv,
    ]);
    expect(code).toBe(ExitCode.ok);
    const record = JSON.parse(readFileSync(json, "utf8"));
    // Added beside what was there: a consumer of the old fields reads them as before.
    expect(Object.keys(record)).toEqual(["model", "run", "summary", "series", "faults"]);
    const faults = record.faults as {
      index: number;
      faultId: number;
      kind: string;
      targets: string[];
      status: string;
      activatedAt: number | null;
      healedAt: number | null;
      detail: string;
      effects: Record<string, number>;
    }[];
    expect(
      faults.map((f) => [f.index, f.kind, f.targets, f.status, f.activatedAt, f.healedAt]),
    ).toEqual([
      [0, "crash", ["server"], "healed", 10, 15],
      [1, "fault-point", ["server"], "healed", 20, 25],
      [2, "crash", ["load"], "active", 28, null],
    ]);
    expect(faults[0]!.effects.crashes).toBe(1);
    expect(faults[0]!.effects.messagesDropped).toBeGreaterThan(0);
    expect(faults[1]!.detail).toBe("server.stall p=0.5 +0.1s");
    expect(faults[1]!.effects.taken).toBeGreaterThan(0);
    expect(new Set(faults.map((f) => f.faultId)).size).toBe(3);
    // The text table says the same.
    const table = out.slice(out.indexOf(`Faults (${file}):`));
    expect(table).toContain(`messagesDropped ${faults[0]!.effects.messagesDropped}`);

    const lines = readFileSync(csv, "utf8").trimEnd().split("\n");
    expect(lines[0]).toBe("entity,type,metric,time,value");
    const faultLines = lines.filter((line) => line.startsWith(",fault,"));
    // After the run rows, before the entities'.
    const lastRunLine = lines.filter((line) => line.startsWith(",run,")).at(-1)!;
    expect(lines.indexOf(faultLines[0]!)).toBe(lines.indexOf(lastRunLine) + 1);
    expect(faultLines.slice(0, 7)).toEqual([
      `,fault,faults[0].faultId,,${faults[0]!.faultId}`,
      ",fault,faults[0].kind,,crash",
      ",fault,faults[0].targets,,server",
      ",fault,faults[0].status,,healed",
      ",fault,faults[0].activatedAt,,10",
      ",fault,faults[0].healedAt,,15",
      ",fault,faults[0].detail,,",
    ]);
    for (const [name, value] of Object.entries(faults[0]!.effects)) {
      expect(faultLines).toContain(`,fault,faults[0].effects.${name},,${value}`);
    }
    expect(faultLines).toContain(",fault,faults[2].healedAt,,");
    expect(faultLines).toContain(",fault,faults[2].status,,active");
    expect(faultLines).toContain(`,fault,faults[1].effects.taken,,${faults[1]!.effects.taken}`);
    // Every fault row is one of the fields, or an effect.
    for (const line of faultLines) {
      expect(line).toMatch(
        /^,fault,faults\[\d\]\.(faultId|kind|targets|status|activatedAt|healedAt|detail|effects\.\w+),,/,
      );
    }
  });

  it("leaves --json and --csv as they were without --faults", async () => {
    const json = join(scratch, "plain.json");
    const csv = join(scratch, "plain.csv");
    const { code } = await run(["run", model, "--quiet", "--json", json, "--csv", csv]);
    expect(code).toBe(ExitCode.ok);
    expect(Object.keys(JSON.parse(readFileSync(json, "utf8")))).toEqual([
      "model",
      "run",
      "summary",
      "series",
    ]);
    expect(readFileSync(csv, "utf8")).not.toContain(",fault,");
  });

  it("lists the faults in the report and hands them to every chart as bands", async () => {
    const report = join(scratch, "faults.html");
    const file = scheduleFile("faults.json", schedule);
    const { code } = await run(["run", model, "--quiet", "--faults", file, "--report", report]);
    expect(code).toBe(ExitCode.ok);
    const html = readFileSync(report, "utf8");
    expect(html).toContain("<h2>Faults</h2>");
    const data = JSON.parse(
      /<script type="application\/json" id="report-data">(.*?)<\/script>/s.exec(html)![1]!,
    );
    expect(data.bands).toEqual([
      { from: 10, to: 15, label: "#0 crash server" },
      { from: 20, to: 25, label: "#1 fault-point server" },
      { from: 28, to: null, label: "#2 crash load" },
    ]);
    expect(data.charts.length).toBeGreaterThan(0);
  });
});
