/**
 * Goal: `distsim sweep` and `distsim worker` as a user types them. A bad grid, count or URL is
 * a usage error (exit 2) before any model runs; a sweep prints each point's figures with
 * their intervals, lists a failed run with the command that repeats it (exit 3), and writes
 * the same JSON as the library, and an HTML report charting figures against parameters.
 * Method: `main` in-process with the inline backend, on the sweep tests' fixture model.
 */
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { ExitCode, main } from "../../src/cli/program.js";
import { replicationSeeds, sweep, sweepResultJson } from "../../src/index.js";
import * as fixture from "../sweep/fixtureModel.js";

const model = join(import.meta.dirname, "../sweep/fixtureModel.ts");
const scratch = mkdtempSync(join(tmpdir(), "distsim-sweep-cli-"));
afterAll(() => rmSync(scratch, { recursive: true, force: true }));

async function run(args: string[]): Promise<{ code: number; out: string; err: string }> {
  let out = "";
  let err = "";
  const code = await main(args, {
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

describe("distsim sweep", () => {
  it.each([
    [["--grid", "rate=10..1:1"], /grid rate/],
    [["--grid", "rate"], /name=value/],
    [["--replications", "0"], /--replications must be an integer >= 1/],
    [["--workers", "2", "--inline"], /one of --workers, --inline and --redis/],
    [["--redis", "ftp://x"], /redis:\/\/ or rediss:\/\//],
  ])("refuses %j before any run (exit 2)", async (args, message) => {
    const { code, err, out } = await run(["sweep", model, ...args]);
    expect(code).toBe(ExitCode.usage);
    expect(err).toMatch(message);
    expect(out).toBe("");
  });

  it("prints the points, reports a failed seed, writes the library's JSON and a report", async () => {
    const bad = replicationSeeds(1, 3)[2]!;
    const json = join(scratch, "out.json");
    const html = join(scratch, "out.html");
    const grid = ["rate=5..10:5", "servers=1,2", `failSeed=${bad}`];
    const args = [
      "sweep",
      model,
      "--inline",
      "--replications",
      "3",
      "--json",
      json,
      "--report",
      html,
    ];
    const { code, out } = await run([...args, ...grid.flatMap((g) => ["--grid", g])]);
    expect(code).toBe(ExitCode.modelFailed);
    expect(out).toMatch(/4 point\(s\) × 3 replication\(s\), root seed 1/);
    expect(out).toMatch(/runs: 8 ok, 4 failed/);
    expect(out).toMatch(/completed\s+utilization/);
    expect(out).toContain(`distsim run ${model} --seed ${bad} --param rate=5 --param servers=1`);
    const library = await sweep({ model: fixture, modelId: model, grid, replications: 3 });
    const written = JSON.parse(readFileSync(json, "utf8"));
    expect(written.points).toEqual(JSON.parse(sweepResultJson(library)).points);
    const page = readFileSync(html, "utf8");
    expect(page).toContain("completed against rate");
    expect(page).toContain("utilization against servers");
  });

  it("quotes a failed run's command for the shell", async () => {
    const bad = replicationSeeds(1, 1)[0]!;
    const grid = ["region=us east", `failSeed=${bad}`];
    const { code, out } = await run([
      "sweep",
      model,
      "--inline",
      "--quiet",
      ...grid.flatMap((g) => ["--grid", g]),
    ]);
    expect(code).toBe(ExitCode.modelFailed);
    expect(out).toContain(
      `distsim run ${model} --seed ${bad} --param 'region=us east' --param failSeed=${bad}`,
    );
  });

  it("takes --param values as the grid reads them", async () => {
    const { code, out } = await run([
      "run",
      model,
      "--param",
      "rate=5",
      "--param",
      "servers=2",
      "--quiet",
    ]);
    expect(code).toBe(ExitCode.ok);
    expect(out).toMatch(/rate.*5/);
  });
});

describe("distsim worker", () => {
  it("needs --redis and refuses an unreachable one", async () => {
    expect((await run(["worker"])).err).toMatch(/worker needs --redis URL/);
    const { code, err } = await run(["worker", "--redis", "redis://127.0.0.1:1", "--quiet"]);
    expect(code).toBe(ExitCode.usage);
    expect(err).toMatch(/reachable Redis/);
  });

  it("refuses a bad thread or job count before connecting", async () => {
    for (const option of ["--threads", "--concurrency"]) {
      const { code, err } = await run(["worker", "--redis", "redis://127.0.0.1:1", option, "0"]);
      expect(code).toBe(ExitCode.usage);
      expect(err).toContain(`${option} must be an integer >= 1; given 0`);
    }
  });
});
