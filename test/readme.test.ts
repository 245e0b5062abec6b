/**
 * Goal: the README's quick start is real code that runs.
 * Method: its TypeScript block must equal examples/core/quick-start.ts (less the header
 * comment; the example imports "distsim" as a user does); the examples test runs that file and
 * checks its output.
 */
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { expect, it } from "vitest";

const root = join(import.meta.dirname, "..");

it("README quick start is examples/core/quick-start.ts", () => {
  const readme = readFileSync(join(root, "README.md"), "utf8");
  const block = /## Quick start\n\n```ts\n([\s\S]*?)```/.exec(readme)?.[1];
  expect(block, "README has a Quick start ts block").toBeDefined();
  const example = readFileSync(join(root, "examples/core/quick-start.ts"), "utf8");
  const body = example.replace(/^\/\*\*[\s\S]*?\*\/\n/, "");
  expect(body).toBe(block);
});
