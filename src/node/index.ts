/**
 * `distsim/node`: what only Node can do for a simulation run in your own Node program. The
 * CLI installs it by itself.
 */
export { inspectorGeneratorLocator, installGeneratorLocator } from "./generatorLocator.js";
