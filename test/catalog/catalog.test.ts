/**
 * Goal: the catalog holds the whole seed graph plus every component, validates clean, and its
 * validator catches each kind of problem, naming the entry and the field; queries and group
 * propagation behave as the seed describes.
 * Method: the real catalog for the positive space; small hand-built catalogs, each with one
 * planted problem, for the negative space.
 */
import { describe, expect, it } from "vitest";
import { Catalog } from "../../src/catalog/catalog.js";
import type { CatalogEntry } from "../../src/catalog/entry.js";
import { SEED_EDGES, SEED_EXPANSIONS } from "../../src/catalog/seedGraph.js";
import { FAMILIES } from "../../src/catalog/vocabulary.js";
import { exportedComponentNames } from "../../src/cli/program.js";
import { distsimCatalog } from "../../src/components/index.js";

function entry(name: string, extra: Partial<CatalogEntry> = {}): CatalogEntry {
  return {
    name,
    kind: "concept",
    role: "timing",
    layer: "local",
    contract: "",
    requires: [],
    provides: [],
    inputs: [],
    outputs: [],
    state: "",
    failure_semantics: "",
    composition_rules: [],
    operational_knobs: [],
    ...extra,
  };
}

describe("the distsim catalog", () => {
  const catalog = distsimCatalog();

  it("validates clean against the exported components", () => {
    expect(catalog.validate(exportedComponentNames())).toEqual([]);
  });

  it("contains every concept of every seed family and every edge of the seed graph", () => {
    for (const { names } of FAMILIES)
      for (const name of names) expect(catalog.has(name)).toBe(true);
    for (const [from, to] of SEED_EDGES) {
      // The one resolved contradiction: DeadLetterQueue requires DurableQueue, not the reverse.
      expect(catalog.get(from)!.requires).toContain(to);
    }
  });

  it("declares each composite's expansion as its requires", () => {
    for (const [name, parts] of Object.entries(SEED_EXPANSIONS)) {
      expect([...catalog.get(name)!.requires].sort()).toEqual([...parts!].sort());
      expect(catalog.get(name)!.expansion).toEqual(parts);
    }
    expect(catalog.get("DurableQueue")!.composition_rules).toContain("DeadLetterQueue");
  });

  it("answers queries by layer, role, provider, dependency and path", () => {
    expect(catalog.byLayer("distributed").map((e) => e.name)).toContain("Consensus");
    expect(
      catalog
        .byRole("load")
        .map((e) => e.name)
        .sort(),
    ).toEqual(["ClosedLoopClients", "Source"]);
    expect(catalog.providersOf("Deterministic").map((e) => e.name)).toContain("Source");
    expect(catalog.dependenciesOf("RetryLoop", false)).toEqual([
      "RetryPolicy",
      "BackoffPolicy",
      "Timeout",
      "Cancellation",
    ]);
    expect(catalog.dependenciesOf("RetryLoop")).toEqual(expect.arrayContaining(["Timer", "Clock"]));
    expect(catalog.dependentsOf("Timer")).toEqual(
      expect.arrayContaining(["Timeout", "RetryLoop", "DurableQueue", "Workflow"]),
    );
    expect(catalog.path("Workflow", "Clock")).toEqual([
      "Workflow",
      "RetryLoop",
      "Timeout",
      "Timer",
      "Clock",
    ]);
    expect(catalog.path("Clock", "Workflow")).toBeNull();
  });
});

describe("validation catches each problem, naming entry and field", () => {
  const problems = (entries: CatalogEntry[], exported?: string[]) =>
    new Catalog(entries).validate(exported).map((p) => `${p.entry}.${p.field}: ${p.message}`);

  it("unknown names", () => {
    expect(problems([entry("Timer", { requires: ["Clok"] })])).toEqual([
      'Timer.requires: names unknown entry "Clok"',
    ]);
  });

  it("a component naming a component or concept that does not exist (names are checked here, not by the compiler)", () => {
    const misspelt = {
      ...entry("Cache", { kind: "component" }),
      requires: ["Sever", "Leese"],
      provides: ["Fast" as never],
      composition_rules: ["LoadBalancr"],
    };
    const found = new Catalog([...distsimCatalog().entries, misspelt])
      .validate([...exportedComponentNames(), "Cache"])
      .map((p) => `${p.entry}.${p.field}: ${p.message}`);
    expect(found).toEqual([
      'Cache.requires: names unknown entry "Sever"',
      'Cache.requires: names unknown entry "Leese"',
      'Cache.provides: names unknown entry "Fast"',
      'Cache.composition_rules: names unknown entry "LoadBalancr"',
    ]);
  });

  it("cycles", () => {
    const found = problems([entry("A", { requires: ["B"] }), entry("B", { requires: ["A"] })]);
    expect(found).toEqual(["A.requires: is part of a cycle: A -> B -> A"]);
  });

  it("a composite whose expansion is not its requires", () => {
    const found = problems([
      entry("Clock"),
      entry("Timer"),
      entry("Timeout", { requires: ["Timer"], expansion: ["Timer", "Clock"] }),
    ]);
    expect(found).toEqual(["Timeout.expansion: declares Clock + Timer but requires Timer"]);
  });

  it("components without entries, entries without components, duplicates, bad fields", () => {
    const found = problems(
      [
        entry("Source", { kind: "component" }),
        entry("Clock"),
        entry("Clock"),
        entry("Timer", { layer: "galaxy" as never, role: "fun" as never }),
        { ...entry("Queue"), contract: undefined as never },
      ],
      ["Server"],
    );
    expect(found).toEqual(
      expect.arrayContaining([
        "Server.name: is an exported component with no catalog entry",
        "Source.kind: is a component entry with no exported component",
        "Clock.name: is defined more than once",
        expect.stringMatching(/^Timer.layer: "galaxy" is not a layer/),
        'Timer.role: "fun" is not a role',
        "Queue.contract: is missing",
      ]),
    );
  });
});

describe("groups", () => {
  it("an assembler passes its group to helpers without one, transitively", () => {
    const catalog = new Catalog([
      entry("Clock"),
      entry("SequenceNumber", { group: "own" }),
      entry("SequenceCounter", { requires: ["SequenceNumber"] }),
      entry("LocalSensorSource", { requires: ["SequenceCounter", "Clock"], group: "sensors" }),
      entry("Timer", { requires: ["Clock"], group: "later" }),
    ]);
    expect(catalog.groupOf("SequenceCounter")).toBe("sensors");
    expect(catalog.groupOf("Clock")).toBe("sensors"); // the first assembler wins
    expect(catalog.groupOf("SequenceNumber")).toBe("own"); // its own group is kept
    expect(
      catalog
        .byGroup("sensors")
        .map((e) => e.name)
        .sort(),
    ).toEqual(["Clock", "LocalSensorSource", "SequenceCounter"]);
  });
});
