/**
 * Where a suspended generator stands in its source, for error messages ("model.ts:42:7").
 * JavaScript itself cannot tell: only a debugger can. So the engine asks a locator that a
 * Node entry point installs (the CLI does; `distsim/node` exports it for programs of your
 * own), and without one (in a browser) errors name the method and its first line instead.
 * Used only when a run is already failing, so it costs nothing otherwise.
 */

/** Returns "file:line:column" for a suspended generator, or null when it cannot tell. */
export type GeneratorLocator = (generator: object) => string | null;

/**
 * Kept on the global object, not in this module: a model loaded by the CLI (through tsx) gets
 * its own instance of the engine's modules, and it must see the locator the CLI installed.
 */
const SLOT = Symbol.for("distsim.generatorLocator");
const registry = globalThis as { [SLOT]?: GeneratorLocator | null };

/** Installs (or, with null, removes) the locator the engine asks on a bad `yield`. */
export function setGeneratorLocator(locator: GeneratorLocator | null): void {
  registry[SLOT] = locator;
}

/** Where `generator` is suspended, or null (no locator, or it failed: never worse than none). */
export function locateGenerator(generator: object): string | null {
  const installed = registry[SLOT] ?? null;
  if (installed === null) return null;
  try {
    return installed(generator);
  } catch {
    return null;
  }
}
