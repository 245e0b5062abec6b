export {
  checkScenario,
  parseScenario,
  replay,
  type Scenario,
  type ScenarioModel,
  type ScenarioRun,
  type ShrinkableParam,
  scenarioJson,
} from "./scenario.js";
export {
  formatShrink,
  type ShrinkOptions,
  type ShrinkResult,
  type ShrinkStep,
  shrink,
} from "./shrink.js";
export { scenarioTestSource, type TestSourceOptions } from "./testSource.js";
