/**
 * Goal: every exported component carries a catalog entry, is listed in its family's index, and
 * its spec runs the component laws on it (test/support/laws.ts; among them, that its
 * operational_knobs are exactly its constructor options).
 * Method: compare the package's exported Entity subclasses with the registry's classes
 * (src/components/index.ts, gathered from the family indexes); read the specs under
 * test/components/ for a `componentLaws({ ..., type: <Name>, ... })` call per component, so
 * adding a component never edits a list here.
 */
import { readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { exportedComponentNames } from "../../src/cli/program.js";
import { COMPONENT_CLASSES, COMPONENT_ENTRIES } from "../../src/components/index.js";
import * as distsim from "../../src/index.js";

const specs = join(import.meta.dirname, "../components");

/** A `componentLaws({ ... type: Name, ... })` call (type arguments allowed): the first `type:` after its opening. */
const LAWS_CALL = /componentLaws(?:<[^(]*>)?\(\{[\s\S]*?\btype:\s*(\w+)\s*[,}]/g;

function specTexts(): string {
  return (readdirSync(specs, { recursive: true }) as string[])
    .filter((file) => file.endsWith(".test.ts"))
    .map((file) => readFileSync(join(specs, file), "utf8"))
    .join("\n");
}

describe("component catalog entries", () => {
  it("every exported component has an entry and every entry a component", () => {
    expect(exportedComponentNames().sort()).toEqual(COMPONENT_ENTRIES.map((e) => e.name).sort());
  });

  it("each component class is exported under its entry's name, and no name is used twice", () => {
    const exported = distsim as unknown as Record<string, unknown>;
    for (const Component of COMPONENT_CLASSES) {
      expect(exported[Component.catalog.name], Component.catalog.name).toBe(Component);
    }
    const names = COMPONENT_ENTRIES.map((e) => e.name);
    expect(new Set(names).size).toBe(names.length);
  });

  it("each component's spec runs the component laws on it (componentLaws with type: <Name>)", () => {
    const text = specTexts();
    const lawed = new Set([...text.matchAll(LAWS_CALL)].map((match) => match[1]));
    const unchecked = COMPONENT_ENTRIES.map((e) => e.name).filter((name) => !lawed.has(name));
    expect(unchecked).toEqual([]);
  });
});
