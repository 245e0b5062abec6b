/**
 * Goal: `distsim check model.ts` as a user types it. A model with planted bugs exits 1 and
 * prints the counts, each failing seed's first violation and the groups by invariant and by
 * fault kind, and --json writes the library's bytes; a correct model exits 0; `--seed S`
 * replays one seed with its schedule; bad input or usage exits 2 before any seed runs.
 * Method: `main` in-process with the inline backend (the backends' bytes are compared in
 * test/check/exploreModel.test.ts), on the explore tests' fixture model file.
 */
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { ExitCode, main } from "../../src/cli/program.js";
import { exploreModel, exploreResultJson } from "../../src/index.js";
import * as fixture from "../check/exploreFixtureModel.js";

const model = join(import.meta.dirname, "../check/exploreFixtureModel.ts");
const source = join(import.meta.dirname, "../../src/index.ts");
const scratch = mkdtempSync(join(tmpdir(), "distsim-check-cli-"));
afterAll(() => rmSync(scratch, { recursive: true, force: true }));
/** A model for `distsim run` with no horizon: nothing says how long its safety phase is. */
const noSafety = join(scratch, "no-safety.ts");
writeFileSync(
  noSafety,
  `import { Simulation } from ${JSON.stringify(source)};\n` +
    `export default ({ seed }: { seed: number }) => new Simulation({ seed });\n`,
);
const notAFunction = join(scratch, "bad-checks.ts");
writeFileSync(
  notAFunction,
  `export { default, safety } from ${JSON.stringify(model)};\nexport const checks = 3;\n`,
);

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

describe("distsim check", () => {
  it("exits 1 on the planted bugs, prints the failures grouped, and writes the library's JSON", async () => {
    const json = join(scratch, "check.json");
    const { code, out } = await run(["check", model, "--inline", "--seeds", "24", "--json", json]);
    expect(code).toBe(ExitCode.violation);
    expect(out).toMatch(/^check .*exploreFixtureModel\.ts: 24 seeds \(0 to 23\); safety 20s/);
    const expected = await exploreModel({ model: fixture, modelId: model, seeds: 24 });
    expect(out).toContain(`${expected.passed} passed, ${expected.failed} failed\n`);
    const first = expected.failures[0]!;
    expect(out).toContain(`  seed ${first.seed}: ${first.violation.name} (`);
    expect(out).toContain("by invariant, then by the fault kinds active when it broke:");
    expect(out).toMatch(/\n {2}one node serves: \d+ seeds?\n {4}crash( \+ pause)?: /);
    expect(out).toMatch(/\nby fault kind active when it broke:\n {2}crash: \d+ seeds/);
    expect(out).toContain(`--seed ${first.seed} --inline`);
    expect(readFileSync(json, "utf8")).toBe(exploreResultJson(expected));
  });

  it("replays one seed with --seed and prints its fault schedule", async () => {
    const { code, out } = await run(["check", model, "--inline", "--seed", "21", "--quiet"]);
    expect(code).toBe(ExitCode.violation);
    expect(out).toContain("seed 21; safety 20s");
    expect(out).toContain("0 passed, 1 failed");
    expect(out).toContain("seed 21: one node serves (always) violated at");
    expect(out).toContain(`fault schedule of seed 21:\n${JSON.stringify(fixture.faults(21))}\n`);
  });

  it("exits 0 when every seed passes", async () => {
    const correct = join(scratch, "correct.ts");
    writeFileSync(
      correct,
      `import { Simulation, always } from ${JSON.stringify(source)};\n` +
        `export const until = 5;\n` +
        `export const checks = (sim: Simulation) => { always(sim, "fine", () => true); };\n` +
        `export default ({ seed }: { seed: number }) => {\n` +
        `  const sim = new Simulation({ seed });\n` +
        `  sim.at(1, () => {});\n` +
        `  return sim;\n` +
        `};\n`,
    );
    const { code, out, err } = await run(["check", correct, "--inline", "--seeds", "5"]);
    expect(err).toMatch(/5\/5 seeds {2}0 failed/);
    expect(code).toBe(ExitCode.ok);
    expect(out).toContain("5 seeds (0 to 4); safety 5s with faults, no liveness phase\n");
    expect(out).toContain("5 passed, 0 failed\n");
    expect(out).not.toContain("failing seeds");
  });

  it.each([
    [[model, "--seeds", "0"], /--seeds must be an integer >= 1/],
    [[model, "--seeds", "3", "--seed", "1"], /one of --seeds and --seed/],
    [[model, "--seed", "-1"], /--seed must be an integer >= 0/],
    [[model, "--workers", "2", "--inline"], /one of --workers, --inline and --redis/],
    [[model, "--redis", "ftp://x"], /redis:\/\/ or rediss:\/\//],
    [[], /check takes exactly one model file/],
    [[join(scratch, "missing.ts")], /no such file/],
    [[noSafety], /must export "safety" \(or "until"\)/],
    [[notAFunction], /exports "checks" that is not a function/],
  ])("refuses %j before any seed runs (exit 2)", async (args, message) => {
    const { code, err, out } = await run(["check", ...args]);
    expect(code).toBe(ExitCode.usage);
    expect(err).toMatch(message);
    expect(out).toBe("");
  });
});
