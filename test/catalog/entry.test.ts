/**
 * Goal: the catalog's vocabulary and knobs are checked by the compiler: a misspelt concept, a
 * layer, role or property that does not exist, or a knob list that is not exactly the options
 * type fails to compile. (Component names have no central list, so an entry's name, requires
 * and composition_rules accept any string; catalog.test.ts checks them at run time.)
 * Method: `@ts-expect-error` lines; `npm test`'s typecheck fails if any of them compiles.
 */
import { expect, it } from "vitest";
import { type CatalogEntry, knobs, SCHEMA_FIELDS } from "../../src/catalog/entry.js";
import type { ConceptName } from "../../src/catalog/vocabulary.js";

it("knobs must list exactly the option names", () => {
  interface Options {
    rate: number;
    burst?: number;
  }
  expect(knobs<Options>()("rate", "burst")).toEqual(["rate", "burst"]);
  // @ts-expect-error a knob is missing
  knobs<Options>()("rate");
  // @ts-expect-error a knob that is not an option
  knobs<Options>()("rate", "burst", "speed");
});

it("names, layers and roles are typed", () => {
  const name: ConceptName = "Lease";
  expect(name).toBe("Lease");
  // @ts-expect-error a misspelt concept
  const misspelt: ConceptName = "Leese";
  // @ts-expect-error a layer that does not exist
  const badLayer: CatalogEntry["layer"] = "cloud";
  // @ts-expect-error a property that does not exist
  const badProvides: CatalogEntry["provides"] = ["Fast"];
  expect([misspelt, badLayer, badProvides]).toHaveLength(3);
  expect(SCHEMA_FIELDS).toHaveLength(13);
});
