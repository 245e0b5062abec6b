/**
 * Lets a model kept anywhere `import ... from "distsim"`: a model in /tmp, or in a folder with
 * no node_modules, gets the package of the `distsim` command that runs it. A model whose own
 * folder resolves `distsim` (a project that installed it) keeps its own copy: the fallback is
 * used only where Node would fail with "Cannot find module".
 *
 * Node resolves a model's imports on two paths, so both get the fallback:
 * - ES modules (a model in a "type": "module" project, or .mts/.mjs): a resolve hook on
 *   Node's loader thread (`module.register`). It is loaded from a data: URL, so the same hook
 *   runs whether the CLI runs from dist/ or from src/ under tsx or vitest.
 * - CommonJS (a .ts model outside an ES module package, which tsx compiles to `require`):
 *   the CommonJS resolver, which Node 20 offers no hook for; it is wrapped, as tsx itself and
 *   module-alias do.
 * In both, the fallback resolves the same specifier as if it were imported by this file:
 * inside the distsim package, whose name resolves to itself through its exports map
 * (`distsim` and every `distsim/<subpath>`, `import` or `require` as the model asks).
 */
import Module, { createRequire, register } from "node:module";

const isDistsim = (specifier: string): boolean =>
  specifier === "distsim" || specifier.startsWith("distsim/");

/** Runs on Node's loader thread, so it is plain JavaScript that captures nothing from here. */
const RESOLVE_HOOK = `
let fallbackParentURL;
export function initialize(data) {
  fallbackParentURL = data.fallbackParentURL;
}
export async function resolve(specifier, context, nextResolve) {
  try {
    return await nextResolve(specifier, context);
  } catch (error) {
    const isDistsim = specifier === "distsim" || specifier.startsWith("distsim/");
    if (!isDistsim || error?.code !== "ERR_MODULE_NOT_FOUND") throw error;
    return nextResolve(specifier, { ...context, parentURL: fallbackParentURL });
  }
}
`;

type ResolveFilename = (
  request: string,
  parent: unknown,
  isMain: boolean,
  options?: unknown,
) => string;

let installed = false;

/** Installs the fallback for the rest of the process (once; later calls do nothing). */
export function resolveDistsimForModels(): void {
  if (installed) return;
  installed = true;
  register(`data:text/javascript,${encodeURIComponent(RESOLVE_HOOK)}`, {
    parentURL: import.meta.url,
    data: { fallbackParentURL: import.meta.url },
  });
  const requireFromHere = createRequire(import.meta.url);
  const commonJs = Module as unknown as { _resolveFilename: ResolveFilename };
  const resolveFilename = commonJs._resolveFilename;
  commonJs._resolveFilename = function (this: unknown, request, parent, isMain, options) {
    try {
      return resolveFilename.call(this, request, parent, isMain, options);
    } catch (error) {
      if (!isDistsim(request) || (error as { code?: string }).code !== "MODULE_NOT_FOUND") {
        throw error;
      }
      return requireFromHere.resolve(request);
    }
  };
}
