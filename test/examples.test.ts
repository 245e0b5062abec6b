/**
 * Goal: every example under examples/ runs, and prints what it printed when it was last
 * reviewed. Examples are documentation; this keeps them from rotting.
 * Method: run each example in its own Node process (as a user would, through tsx) and compare
 * its standard output with the golden `<name>.out` beside it. Examples print only simulated
 * results (never wall times), so the output is exact for a fixed seed. Examples import
 * "distsim" as a user's code does; the `distsim-source` condition points that name at src/, so
 * they run the current sources, never a stale build. An example written as a model file for
 * the CLI (a default export) is run by the built `distsim run` instead (which imports it with
 * its own package, dist/: `npm test` builds first), and its golden output has the summary's
 * wall-clock figures blanked. After an intended change, regenerate with
 * `UPDATE_GOLDEN=1 npx vitest run test/examples.test.ts` and review the diff.
 */
import { execFileSync } from "node:child_process";
import { existsSync, readdirSync, readFileSync, statSync, writeFileSync } from "node:fs";
import { join, relative } from "node:path";
import { describe, expect, it } from "vitest";

const root = join(import.meta.dirname, "..");
const examplesDir = join(root, "examples");
const update = process.env.UPDATE_GOLDEN === "1";

function findExamples(dir: string): string[] {
  const found: string[] = [];
  for (const name of readdirSync(dir).sort()) {
    const path = join(dir, name);
    if (statSync(path).isDirectory()) {
      if (name !== "support") found.push(...findExamples(path));
    } else if (name.endsWith(".ts")) {
      found.push(path);
    }
  }
  return found;
}

const examples = findExamples(examplesDir);
const cli = join(root, "dist/cli/main.js");

/** A model file for `distsim run`: its builder is the default export. */
const isModelFile = (file: string) => /^export default /m.test(readFileSync(file, "utf8"));

/** The summary's wall-clock figures (events per wall second, wall time) vary run to run. */
const withoutWallClock = (output: string) =>
  output
    .replace(/\([\d,]+ per wall second\)/, "(… per wall second)")
    .replace(/ in [\d.]+s of wall time/, " in …s of wall time")
    .replace(/^( {2}wall time +)[\d.]+s$/m, "$1…s");

describe("examples", () => {
  it("there is at least one example", () => {
    expect(examples.length).toBeGreaterThan(0);
  });

  for (const example of examples) {
    const name = relative(root, example);
    it.concurrent(`${name} runs and prints its golden output`, () => {
      const output = isModelFile(example)
        ? withoutWallClock(
            execFileSync(process.execPath, [cli, "run", name], {
              cwd: root,
              encoding: "utf8",
              timeout: 60_000,
            }),
          )
        : execFileSync(
            process.execPath,
            ["--conditions=distsim-source", "--import", "tsx", example],
            { cwd: root, encoding: "utf8", timeout: 60_000 },
          );
      const golden = example.replace(/\.ts$/, ".out");
      if (update || !existsSync(golden)) {
        if (!update) throw new Error(`${name} has no golden output; run with UPDATE_GOLDEN=1`);
        writeFileSync(golden, output);
      }
      expect(output).toBe(readFileSync(golden, "utf8"));
    });
  }
});
