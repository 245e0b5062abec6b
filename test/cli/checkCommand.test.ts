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
import { join, relative } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { ExitCode, main } from "../../src/cli/program.js";
import { exploreModel, exploreResultJson, replay, scenarioJson } from "../../src/index.js";
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

/** The fixture with a workload knob it ignores: the shrinker lowers it to its minimum. */
const withShrinkable = join(scratch, "shrinkable.ts");
writeFileSync(
  withShrinkable,
  `export * from ${JSON.stringify(model)};\nexport { default } from ${JSON.stringify(model)};\n` +
    `export const shrinkable = { clients: { initial: 4, min: 1 } };\n`,
);
const badShrinkable = join(scratch, "bad-shrinkable.ts");
writeFileSync(
  badShrinkable,
  `export { default, safety } from ${JSON.stringify(model)};\n` +
    `export const shrinkable = { clients: { initial: 0, min: 1 } };\n`,
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
    expect(out).toContain("by invariant, then by the fault kinds started before it broke:");
    expect(out).toMatch(/\n {2}one node serves: \d+ seeds?\n {4}crash( \+ pause)?: /);
    expect(out).toMatch(/\nby fault kind started before it broke:\n {2}crash: \d+ seeds/);
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
    [
      [badShrinkable],
      /exports "shrinkable" whose "clients"\.initial is not a finite number >= min \(1\); given 0/,
    ],
    [[model, "--shrink-runs", "5"], /--shrink-runs goes with --shrink/],
    [[model, "--shrink", "--shrink-runs", "0"], /--shrink-runs must be an integer >= 1/],
    [
      [model, "--replay", "s.json", "--seeds", "3", "--inline"],
      /--replay .*drop --seeds, --inline/,
    ],
  ])("refuses %j before any seed runs (exit 2)", async (args, message) => {
    const { code, err, out } = await run(["check", ...args]);
    expect(code).toBe(ExitCode.usage);
    expect(err).toMatch(message);
    expect(out).toBe("");
  });

  it("--shrink shrinks the first seed of each group and prints its scenario and a test", async () => {
    const json = join(scratch, "shrunk.json");
    const args = ["check", withShrinkable, "--inline", "--seeds", "3", "--quiet", "--shrink"];
    const { code, out } = await run([...args, "--json", json]);
    expect(code).toBe(ExitCode.violation);
    const explored = await exploreModel({ model: fixture, modelId: model, seeds: 3 });
    const written = JSON.parse(readFileSync(json, "utf8"));
    // The exploration's own bytes, with the shrinks added.
    const { shrunk, ...rest } = written;
    expect(`${JSON.stringify(rest, null, 2)}\n`).toBe(
      exploreResultJson({ ...explored, model: withShrinkable }),
    );
    expect(shrunk).toHaveLength(explored.groups.length);
    const scenarioModel = { ...fixture, build: fixture.default, shrinkable: {} };
    for (const [index, group] of explored.groups.entries()) {
      const entry = shrunk[index];
      expect(entry).toMatchObject({ invariant: group.invariant, seed: group.seeds[0] });
      expect(entry.original.params).toEqual({ clients: 4 });
      expect(entry.scenario.params).toEqual({ clients: 1 });
      expect(entry.scenario.faults.faults.length).toBeLessThanOrEqual(
        entry.original.faults.faults.length,
      );
      // The shrunk scenario still fails first with the group's invariant, replayed here.
      expect(replay(scenarioModel, entry.scenario).violation?.name).toBe(group.invariant);
      expect(out).toContain(`${scenarioJson(entry.scenario)}\n`);
    }
    expect(out).toContain("shrunk, the first failing seed of each group:");
    expect(out).toContain("clients 4 → 1");
    expect(out).toMatch(/--replay scenario\.json\):\n\{\n {2}"seed": /);
    const relativeModel = relative(process.cwd(), withShrinkable).replace(/\.ts$/, ".js");
    expect(out).toContain(
      `import * as file from "${relativeModel.startsWith(".") ? "" : "./"}${relativeModel}";`,
    );
    expect(out).toContain("replay({ ...file, build: file.default }, scenario);");
    expect(out).toContain(`expect(violation?.name).toBe(${JSON.stringify(shrunk[0].invariant)});`);
  });

  it("--shrink-runs bounds each shrink", async () => {
    const args = ["check", model, "--inline", "--seed", "21", "--quiet", "--shrink"];
    const { code, out } = await run([...args, "--shrink-runs", "3"]);
    expect(code).toBe(ExitCode.violation);
    expect(out).toContain("Shrunk in 3 runs (run budget exhausted: it may shrink further)");
  });

  it("--replay runs a stored scenario: exit 1 when it fails, 0 when it passes, 2 when bad", async () => {
    const failing = join(scratch, "failing.json");
    writeFileSync(
      failing,
      scenarioJson({ seed: 21, params: {}, faults: fixture.faults(21), until: fixture.SAFETY }),
    );
    const failed = await run(["check", model, "--replay", failing]);
    expect(failed.code).toBe(ExitCode.violation);
    expect(failed.out).toContain(`replay ${failing} on ${model}: seed 21, `);
    expect(failed.out).toContain("failed: one node serves (always) violated at");

    const passing = join(scratch, "passing.json");
    writeFileSync(passing, scenarioJson({ seed: 0, params: {}, faults: { faults: [] }, until: 3 }));
    const passed = await run(["check", model, "--replay", passing]);
    expect(passed.code).toBe(ExitCode.ok);
    expect(passed.out).toContain("seed 0, 0 faults, safety 3s\npassed\n");

    const bad = join(scratch, "bad.json");
    writeFileSync(bad, JSON.stringify({ seed: 1, params: {}, faults: { faults: [] }, until: -1 }));
    for (const [file, message] of [
      [bad, /Scenario: option "until" must be a finite number of seconds >= 0; given -1/],
      [join(scratch, "absent.json"), /ENOENT/],
    ] as const) {
      const refused = await run(["check", model, "--replay", file]);
      expect(refused.code).toBe(ExitCode.usage);
      expect(refused.err).toMatch(message);
      expect(refused.out).toBe("");
    }
  });
});
