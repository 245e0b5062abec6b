/**
 * A shrunk scenario as a vitest test a user pastes beside the model: it replays the scenario
 * and asserts the violation, so the bug stays caught (and the test turns red, to be inverted,
 * once the bug is fixed).
 */
import { ConfigError } from "../../errors/errors.js";
import { type Scenario, scenarioJson } from "./scenario.js";

export interface TestSourceOptions {
  /**
   * The import line(s) that bring the model (a `ScenarioModel`: `build`, `checks?`,
   * `liveness?`) into the test. Default `import * as model from "./model.js";`: a module whose
   * named exports are `build`, `checks` and `liveness`.
   */
  readonly importModel?: string;
  /** The expression that names the model once imported. Default `model`. */
  readonly model?: string;
  /** Where `replay` is imported from. Default "distsim". */
  readonly distsim?: string;
  /** The test's title. Default: the invariant and the seed. */
  readonly title?: string;
}

/** The source of a vitest test that replays `scenario` and expects `violation` to fail first. */
export function scenarioTestSource(
  scenario: Scenario,
  violation: string,
  options: TestSourceOptions = {},
): string {
  if (typeof violation !== "string" || violation === "") {
    throw new ConfigError("scenarioTestSource", "violation", "an invariant's name", violation);
  }
  const importModel = options.importModel ?? 'import * as model from "./model.js";';
  const model = options.model ?? "model";
  const distsim = options.distsim ?? "distsim";
  const title = options.title ?? `${violation} (seed ${scenario.seed}, shrunk)`;
  const json = scenarioJson(scenario).replaceAll("\n", "\n  ");
  return [
    `import { replay, type Scenario } from ${JSON.stringify(distsim)};`,
    'import { expect, it } from "vitest";',
    importModel,
    "",
    `it(${JSON.stringify(title)}, () => {`,
    `  const scenario: Scenario = ${json};`,
    `  const { violation } = replay(${model}, scenario);`,
    `  expect(violation?.name).toBe(${JSON.stringify(violation)});`,
    "});",
    "",
  ].join("\n");
}
