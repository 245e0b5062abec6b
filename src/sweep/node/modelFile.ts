/**
 * Loads a model file as `distsim run`, `distsim sweep` and the sweep workers do: TypeScript
 * through tsx (no build step), JavaScript as it is, and a module id (a package's model) from
 * the current folder; `distsim` resolves for a model kept anywhere.
 */
import { createHash } from "node:crypto";
import { existsSync } from "node:fs";
import { createRequire } from "node:module";
import { isAbsolute, join, resolve } from "node:path";
import { pathToFileURL } from "node:url";
import { tsImport } from "tsx/esm/api";
import { resolveDistsimForModels } from "../../node/modelResolution.js";
import type { SweepModel } from "../runTask.js";
import { type TaskKind, type TaskModel, taskModelOf } from "../taskKinds.js";

/** A file path (absolute, relative, or ending in a script extension) rather than a module id. */
function isFilePath(id: string): boolean {
  return isAbsolute(id) || id.startsWith(".") || /\.[cm]?[jt]sx?$/.test(id);
}

/**
 * Where a model id points: an absolute path for a file, or the file a module id resolves to
 * from the current folder. Returns the problem as text when there is none.
 */
export function resolveModelId(id: string): string | { error: string } {
  if (isFilePath(id)) {
    const path = resolve(id);
    return existsSync(path) ? path : { error: `no such file: ${id}` };
  }
  try {
    return createRequire(join(process.cwd(), "noop.js")).resolve(id);
  } catch {
    return { error: `cannot resolve the module "${id}" from ${process.cwd()}` };
  }
}

function versionedUrl(path: string, version: string | undefined): string {
  const url = pathToFileURL(path);
  if (version !== undefined) {
    url.searchParams.set("distsimModelVersion", createHash("sha256").update(version).digest("hex"));
  }
  return url.href;
}

/**
 * The model at `id` (a path or a module id) as a `SweepModel` (builder, `until`, `measure`),
 * or what is wrong with it, in words. A `version` other than the one loaded before in this
 * process loads the file again (tsx imports TypeScript afresh each time; JavaScript, cached
 * by URL, gets the version in its URL).
 */
export async function loadModelFile(id: string, version?: string): Promise<SweepModel | string> {
  return (await loadTaskModel("sweep", id, version)) as SweepModel | string;
}

/** The model at `id` as `kind` tasks read it (`CheckModel` for "explore"), as `loadModelFile`. */
export async function loadTaskModel(
  kind: TaskKind,
  id: string,
  version?: string,
): Promise<TaskModel | string> {
  const path = resolveModelId(id);
  if (typeof path !== "string") return path.error;
  resolveDistsimForModels();
  let module: Record<string, unknown>;
  try {
    module = /\.[cm]?tsx?$/.test(path)
      ? await tsImport(pathToFileURL(path).href, import.meta.url)
      : await import(versionedUrl(path, version));
  } catch (error) {
    return `could not load ${id}: ${(error as Error).message}`;
  }
  return taskModelOf(kind, module, id);
}
