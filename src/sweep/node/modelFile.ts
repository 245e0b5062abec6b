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

/**
 * Failed loads of each file in this process. Node keeps a module under its URL, one that
 * failed to load (a syntax error, a throw at the top) too, and gives the same module or error
 * on every import of that URL even once the file is fixed: after each failure the file is
 * imported under a fresh URL. (tsx imports TypeScript afresh on each call only when it is not
 * itself running under tsx, as distsim's sources do, so TypeScript gets the same treatment.)
 */
const failedLoads = new Map<string, number>();

function moduleUrl(path: string, version: string | undefined): string {
  const url = pathToFileURL(path);
  if (version !== undefined) {
    url.searchParams.set("distsimModelVersion", createHash("sha256").update(version).digest("hex"));
  }
  const failures = failedLoads.get(path);
  if (failures !== undefined) url.searchParams.set("distsimLoadAttempt", String(failures + 1));
  return url.href;
}

/**
 * Whether `distsim` resolves from the model's own folder (an installed package, or distsim's
 * own folder), as Node resolves the model's import of it: then the fallback for models kept
 * anywhere is not needed, and not installed. It is a resolve hook on a loader thread of its
 * own, which costs each worker thread that installs it about 0.3 s of CPU at its start and
 * every later import a round trip to that thread.
 */
function resolvesDistsim(modelPath: string): boolean {
  try {
    createRequire(modelPath).resolve("distsim");
    return true;
  } catch {
    return false;
  }
}

/**
 * The model at `id` (a path or a module id) as a `SweepModel` (builder, `until`, `measure`),
 * or what is wrong with it, in words. A `version` other than the one loaded before in this
 * process loads the file again (the version is in the module's URL), and so does a load after
 * one that failed.
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
  if (!resolvesDistsim(path)) resolveDistsimForModels();
  const url = moduleUrl(path, version);
  let model: TaskModel | string;
  try {
    // tsx only for TypeScript: loading it costs each worker thread about 0.1 s of CPU.
    const module: Record<string, unknown> = /\.[cm]?tsx?$/.test(path)
      ? await (await import("tsx/esm/api")).tsImport(url, import.meta.url)
      : await import(url);
    model = taskModelOf(kind, module, id);
  } catch (error) {
    model = `could not load ${id}: ${(error as Error).message}`;
  }
  // A module that loaded but is no model stays under its URL too.
  if (typeof model === "string") failedLoads.set(path, (failedLoads.get(path) ?? 0) + 1);
  return model;
}
