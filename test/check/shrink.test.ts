/**
 * Goal: `shrink` reduces a failing scenario to the smallest one it can find that fails first
 * with the same invariant, deterministically and within its run budget, reporting each step;
 * `replay` runs a scenario as `explore` runs a seed; the JSON and the test source say the same.
 * Method: a toy model whose minimal failing scenario is known (the invariant fails once node
 * "a" has crashed with at least 3 operations configured), shrunk from a noisy schedule.
 */
import ts from "typescript";
import { describe, expect, it } from "vitest";
import {
  always,
  ConfigError,
  Entity,
  eventually,
  explore,
  formatShrink,
  parseScenario,
  replay,
  type Scenario,
  type ScenarioModel,
  type ShrinkStep,
  Simulation,
  scenarioJson,
  scenarioTestSource,
  shrink,
} from "../../src/index.js";

class Node extends Entity {
  ticks = 0;
  constructor(sim: Simulation, name: string) {
    super(sim, name);
    this.after(0.1, this.tick);
  }
  private readonly tick = (): void => {
    this.ticks++;
    this.after(0.1, this.tick);
  };
  protected override onRecover(): void {
    this.after(0.1, this.tick);
  }
}

const toy: ScenarioModel = {
  shrinkable: { operations: { initial: 10, min: 1 }, clients: { initial: 4, min: 1 } },
  build: ({ seed, params }) => {
    const sim = new Simulation({ seed });
    const a = new Node(sim, "a");
    new Node(sim, "b");
    const operations = params.operations as number;
    always(sim, "a crashed while busy", () => a.counters.crashes === 0 || operations < 3);
    return sim;
  },
};

const noisy: Scenario = {
  seed: 7,
  params: {},
  faults: {
    faults: [
      { kind: "crash", targets: ["b"], at: 0.5, for: 1 },
      { kind: "pause", targets: ["b"], at: 2, for: 0.5 },
      { kind: "crash", targets: ["a"], at: 3.25, for: 2 },
      { kind: "crash", targets: ["b"], at: 4, for: null },
      { kind: "pause", targets: ["a"], at: 6, for: 1 },
    ],
  },
  until: 10,
};

describe("shrink", () => {
  it("shrinks to the smallest failing scenario: one fault, at 0, for 0, the fewest operations", () => {
    const seen: ShrinkStep[] = [];
    const result = shrink(toy, noisy, { onStep: (step) => seen.push(step) });
    expect(result.scenario).toEqual({
      seed: 7,
      params: { operations: 3, clients: 1 },
      faults: { faults: [{ kind: "crash", targets: ["a"], at: 0, for: 0 }] },
      until: 0,
    });
    expect(result.violation).toMatchObject({ name: "a crashed while busy", time: 0 });
    expect(result.original.params).toEqual({ operations: 10, clients: 4 });
    expect(result.exhausted).toBe(false);
    expect(seen).toEqual(result.steps);
    expect(result.steps[0]!.change).toBe("dropped faults #3-#4 (2)");
    expect(result.steps.map((step) => step.run)).toEqual(
      [...result.steps.map((step) => step.run)].sort((x, y) => x - y),
    );
    expect(result.runs).toBeGreaterThan(result.steps.length);
    expect(formatShrink(result)).toContain(
      `Shrunk in ${result.runs} runs: 5 → 1 faults, until 10s → 0s, operations 10 → 3, clients 4 → 1`,
    );
  });

  it("is deterministic: the same input gives the same steps and result", () => {
    const once = shrink(toy, noisy);
    const again = shrink(toy, noisy);
    expect(again).toEqual(once);
  });

  it("stops at maxRuns and says so", () => {
    const result = shrink(toy, noisy, { maxRuns: 4 });
    expect(result.runs).toBe(4);
    expect(result.exhausted).toBe(true);
    expect(replay(toy, result.scenario).violation?.name).toBe("a crashed while busy");
  });

  it("keeps the same invariant failing first: a candidate failing another way is rejected", () => {
    // A second invariant, registered first (so it is reported first at the same event): node
    // "a" must not crash unless "b" crashed before. Dropping b's crash makes it fail first.
    const model: ScenarioModel = {
      ...toy,
      build: ({ seed, params }) => {
        const sim = new Simulation({ seed });
        const a = new Node(sim, "a");
        const b = new Node(sim, "b");
        const operations = params.operations as number;
        always(sim, "b crashed before a", () => a.counters.crashes === 0 || b.counters.crashes > 0);
        always(sim, "a crashed while busy", () => a.counters.crashes === 0 || operations < 3);
        return sim;
      },
    };
    const result = shrink(model, noisy);
    expect(result.violation.name).toBe("a crashed while busy");
    expect(result.scenario.faults.faults.some((fault) => fault.targets[0] === "b")).toBe(true);
    expect(replay(model, result.scenario).violation?.name).toBe("a crashed while busy");
  });

  it("shrinks a liveness failure found by explore, with the explore options as the model", () => {
    class Stopper extends Node {
      protected override onRecover(): void {}
    }
    const options = {
      build: ({ seed }: { seed: number }) => {
        const sim = new Simulation({ seed });
        new Stopper(sim, "a");
        return sim;
      },
      seeds: 3,
      faults: (seed: number) => ({
        faults: [
          { kind: "pause", targets: ["a"], at: 0.5, for: 0.2 },
          { kind: "crash", targets: ["a"], at: 1 + seed, for: 0.5 },
        ],
      }),
      safety: 5,
      liveness: { within: 1, progress: (sim: Simulation) => (sim.entity("a") as Node).ticks },
    };
    const failure = explore(options).failures[0]!;
    expect(failure.violation.name).toBe("progress after heal");
    const scenario = {
      seed: failure.seed,
      params: {},
      faults: options.faults(failure.seed),
      until: options.safety,
    };
    const result = shrink(options, scenario);
    expect(result.violation.name).toBe("progress after heal");
    expect(result.scenario.faults.faults).toEqual([
      { kind: "crash", targets: ["a"], at: 0, for: 0 },
    ]);
    expect(replay(options, result.scenario).violation).toEqual(result.violation);
  });

  it("keeps a model-failed failing the same way: a schedule the smaller model cannot take is not it", () => {
    // The bug: "n2" throws when it recovers. Fewer nodes make the schedule name an entity the
    // model lacks, also "model-failed", but another failure: it must not be accepted.
    class Fragile extends Node {
      protected override onRecover(): void {
        throw new Error("n2 lost its state on recovery");
      }
    }
    const model: ScenarioModel = {
      shrinkable: { nodes: { initial: 3, min: 1 } },
      build: ({ seed, params }) => {
        const sim = new Simulation({ seed });
        const nodes = params.nodes as number;
        for (let i = 0; i < nodes; i++) new (i === 2 ? Fragile : Node)(sim, `n${i}`);
        return sim;
      },
    };
    const scenario: Scenario = {
      seed: 1,
      params: {},
      faults: { faults: [{ kind: "crash", targets: ["n2"], at: 1, for: 1 }] },
      until: 3,
    };
    const result = shrink(model, scenario);
    expect(result.violation.message).toMatch(/n2 lost its state/);
    expect(result.scenario.params.nodes).toBe(3);
    // The same error thrown earlier (its message names another time) is the same bug.
    expect(result.scenario.faults.faults).toEqual([
      { kind: "crash", targets: ["n2"], at: 0, for: 0 },
    ]);
    expect(replay(model, result.scenario).violation?.message).toMatch(/n2 lost its state/);
  });

  it("keeps the kind failing: an eventually of the same name as the always is another failure", () => {
    const model: ScenarioModel = {
      build: ({ seed }) => {
        const sim = new Simulation({ seed });
        const a = new Node(sim, "a");
        always(sim, "a serves", () => a.counters.crashes === 0);
        eventually(sim, "a serves", () => false, { within: 5 });
        return sim;
      },
    };
    const scenario: Scenario = {
      seed: 1,
      params: {},
      faults: { faults: [{ kind: "crash", targets: ["a"], at: 1, for: 1 }] },
      until: 6,
    };
    const result = shrink(model, scenario);
    expect(result.violation).toMatchObject({ name: "a serves", kind: "always" });
    expect(result.scenario.faults.faults).toHaveLength(1);
  });

  it("rejects a scenario that passes, a violation it does not fail first, and bad options", () => {
    const passing = { ...noisy, faults: { faults: [] } };
    expect(() => shrink(toy, passing)).toThrow(/a scenario whose run violates an invariant/);
    expect(() => shrink(toy, noisy, { violation: "other" })).toThrow(ConfigError);
    expect(() => shrink(toy, noisy, { maxRuns: 0 })).toThrow(/maxRuns/);
    expect(() => shrink(toy, { ...noisy, params: { operations: "ten" } })).toThrow(
      /scenario.params.operations/,
    );
    expect(() =>
      shrink({ ...toy, shrinkable: { operations: { initial: 0, min: 1 } } }, noisy),
    ).toThrow(/shrinkable.operations.initial/);
  });
});

describe("parseScenario", () => {
  it("rejects a malformed scenario naming the field", () => {
    const good = { seed: 1, params: {}, faults: { faults: [] }, until: 1 };
    expect(() => parseScenario("{")).toThrow(/valid JSON/);
    expect(() => parseScenario(JSON.stringify({ ...good, seed: -1 }))).toThrow(/seed/);
    expect(() => parseScenario(JSON.stringify({ ...good, until: "1" }))).toThrow(/until/);
    expect(() => parseScenario(JSON.stringify({ ...good, params: [] }))).toThrow(/params/);
    expect(() => parseScenario(JSON.stringify({ ...good, extra: 1 }))).toThrow(/extra/);
    expect(() =>
      parseScenario(JSON.stringify({ ...good, faults: { faults: [{ kind: "crash" }] } })),
    ).toThrow(/faults\[0\]\.targets/);
    expect(parseScenario(JSON.stringify(good))).toEqual(good);
  });
});

describe("replay", () => {
  it("reports a schedule the model cannot take as model-failed, never throws", () => {
    const run = replay(toy, {
      seed: 1,
      params: { operations: 3 },
      faults: { faults: [{ kind: "crash", targets: ["nobody"], at: 1 }] },
      until: 2,
    });
    expect(run.violation).toMatchObject({ name: "model-failed" });
    expect(run.violation?.message).toContain("faults[0].targets");
  });

  it("passes a scenario without a violation and hands back the simulation", () => {
    const run = replay(toy, { ...noisy, params: { operations: 2 } });
    expect(run.violation).toBeNull();
    expect(run.violations).toEqual([]);
    expect(run.sim?.now).toBe(10);
  });
});

describe("scenario output", () => {
  const scenario: Scenario = {
    seed: 3,
    params: { clients: 1, operations: 2 },
    faults: { faults: [{ kind: "crash", targets: ["primary"], at: 0.12, for: 0.03 }] },
    until: 0.5,
  };

  it("writes JSON that reads back as the scenario, one fault a line", () => {
    const json = scenarioJson(scenario);
    expect(JSON.parse(json)).toEqual(scenario);
    expect(parseScenario(json)).toEqual(scenario);
    expect(json).toContain('\n      {"kind":"crash","targets":["primary"],"at":0.12,"for":0.03}\n');
    expect(JSON.parse(scenarioJson({ ...scenario, faults: { faults: [] } })).faults).toEqual({
      faults: [],
    });
  });

  it("writes a vitest test that replays the scenario and expects the violation", () => {
    const source = scenarioTestSource(scenario, "no acknowledged write lost", {
      importModel: 'import { store } from "./store.js";',
      model: "store",
    });
    expect(source).toContain('import { replay, type Scenario } from "distsim";');
    expect(source).toContain('import { store } from "./store.js";');
    expect(source).toContain('it("no acknowledged write lost (seed 3, shrunk)", () => {');
    expect(source).toContain("const { violation } = replay(store, scenario);");
    expect(source).toContain('expect(violation?.name).toBe("no acknowledged write lost");');
    const json = source.slice(source.indexOf("= {") + 2, source.indexOf("};") + 1);
    expect(JSON.parse(json)).toEqual(scenario);
    expect(scenarioTestSource(scenario, "x")).toContain('import * as model from "./model.js";');
  });

  it("writes a test that parses as TypeScript", () => {
    // Type-checking it against the library takes a whole program (most of a minute on a loaded
    // machine): syntax here; examples/checkers/ack-before-replicate prints a whole one.
    const output = ts.transpileModule(scenarioTestSource(scenario, "x"), {
      reportDiagnostics: true,
      compilerOptions: { module: ts.ModuleKind.ESNext, target: ts.ScriptTarget.ES2022 },
    });
    expect(output.diagnostics ?? []).toEqual([]);
  });
});
