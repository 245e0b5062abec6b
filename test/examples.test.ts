/**
 * Goal: every example under examples/ runs, and prints what it printed when it was last
 * reviewed. Examples are documentation; this keeps them from rotting.
 * Method: run each example in its own Node process (as a user would, through tsx) and compare
 * its standard output with the golden `<name>.out` beside it. Examples print only simulated
 * results (never wall times), so the output is exact for a fixed seed. After an intended
 * change, regenerate with `UPDATE_GOLDEN=1 npx vitest run test/examples.test.ts` and review the
 * diff.
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

describe("examples", () => {
  it("there is at least one example", () => {
    expect(examples.length).toBeGreaterThan(0);
  });

  for (const example of examples) {
    const name = relative(root, example);
    it.concurrent(`${name} runs and prints its golden output`, () => {
      const output = execFileSync(process.execPath, ["--import", "tsx", example], {
        cwd: root,
        encoding: "utf8",
        timeout: 60_000,
      });
      const golden = example.replace(/\.ts$/, ".out");
      if (update || !existsSync(golden)) {
        if (!update) throw new Error(`${name} has no golden output; run with UPDATE_GOLDEN=1`);
        writeFileSync(golden, output);
      }
      expect(output).toBe(readFileSync(golden, "utf8"));
    });
  }
});
