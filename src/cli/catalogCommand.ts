/**
 * `distsim catalog [list [--implemented] | show NAME | graph [--layer L] [--group G] | check]`:
 * the component catalog from the terminal. `show` with a name that is not in the catalog
 * suggests the near ones (case, prefix, substring, spelling).
 */
import {
  type Catalog,
  LAYERS,
  type Layer,
  renderMarkdownPage,
  renderMermaid,
} from "../catalog/index.js";
import { distsimCatalog } from "../components/index.js";
import { ExitCode } from "./exitCodes.js";
import type { CommandIO } from "./runCommand.js";

export interface CatalogCommandOptions {
  readonly action: string;
  readonly name?: string;
  readonly layer?: string;
  readonly group?: string;
  /** `list` shows only the entries distsim implements as components. */
  readonly implemented?: boolean;
  /** Names of the components the package exports, for `check`. */
  readonly exportedComponents: readonly string[];
}

export function catalogCommand(options: CatalogCommandOptions, io: CommandIO): number {
  const catalog = distsimCatalog();
  switch (options.action) {
    case "list": {
      for (const layer of LAYERS) {
        const entries = catalog
          .byLayer(layer)
          .filter((e) => options.implemented !== true || e.kind === "component");
        if (entries.length === 0) continue;
        io.out(`${layer}\n`);
        for (const e of entries) io.out(`  ${e.name.padEnd(24)} ${e.kind.padEnd(10)} ${e.role}\n`);
      }
      return ExitCode.ok;
    }
    case "show": {
      const entry = options.name === undefined ? undefined : catalog.get(options.name);
      if (entry === undefined) {
        const name = options.name ?? "";
        const { names, near } = nearNames(catalog, name);
        const suggestion =
          names.length === 0
            ? ""
            : near
              ? ` Near names: ${names.join(", ")}.`
              : ` Nothing near it; nearest by spelling: ${names.join(", ")}.`;
        io.err(
          `distsim catalog: no entry named "${name}".${suggestion} ` +
            "`distsim catalog list` lists every entry (--implemented: the components).\n",
        );
        return ExitCode.usage;
      }
      io.out(renderMarkdownPage(entry, catalog));
      return ExitCode.ok;
    }
    case "graph": {
      if (options.layer !== undefined && !(LAYERS as readonly string[]).includes(options.layer)) {
        io.err(
          `distsim catalog: --layer must be one of ${LAYERS.join(", ")}; given "${options.layer}"\n`,
        );
        return ExitCode.usage;
      }
      io.out(
        renderMermaid(catalog, {
          ...(options.layer === undefined ? {} : { layer: options.layer as Layer }),
          ...(options.group === undefined ? {} : { group: options.group }),
        }),
      );
      return ExitCode.ok;
    }
    case "check": {
      const problems = catalog.validate(options.exportedComponents);
      for (const p of problems) io.err(`${p.entry}.${p.field}: ${p.message}\n`);
      io.out(`${catalog.entries.length} entries, ${problems.length} problems\n`);
      return problems.length === 0 ? ExitCode.ok : ExitCode.modelFailed;
    }
    default:
      io.err(`distsim catalog: unknown action "${options.action}" (list, show, graph, check)\n`);
      return ExitCode.usage;
  }
}

/** Most names `show` suggests for a name that is not in the catalog. */
const MAX_SUGGESTIONS = 5;

/**
 * Catalog names near `query`, best first: the same name in another case, then names that
 * start with it (or it with them), then names containing it (or contained in it), then names
 * a few edits away (`near`); if none is that near, the three nearest by spelling.
 */
export function nearNames(catalog: Catalog, query: string): { names: string[]; near: boolean } {
  const wanted = query.toLowerCase();
  if (wanted === "") return { names: [], near: false };
  const scored = catalog.entries.map((entry) => {
    const name = entry.name.toLowerCase();
    const distance = editDistance(wanted, name);
    let rank: number;
    if (name === wanted) rank = 0;
    else if (name.startsWith(wanted) || wanted.startsWith(name)) rank = 1;
    else if (name.includes(wanted) || wanted.includes(name)) rank = 2;
    else if (distance <= Math.max(2, Math.floor(wanted.length / 3))) rank = 3;
    else rank = 4;
    return { name: entry.name, rank, distance };
  });
  scored.sort((a, b) => a.rank - b.rank || a.distance - b.distance || a.name.localeCompare(b.name));
  const near = scored.filter((s) => s.rank < 4).slice(0, MAX_SUGGESTIONS);
  return near.length > 0
    ? { names: near.map((s) => s.name), near: true }
    : { names: scored.slice(0, 3).map((s) => s.name), near: false };
}

/**
 * Levenshtein distance (insertions, deletions, substitutions), one row at a time. Written
 * here rather than taken from a package: a dozen lines, run over a few hundred short names.
 */
export function editDistance(a: string, b: string): number {
  let previous = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    const current = [i];
    for (let j = 1; j <= b.length; j++) {
      const substitution = previous[j - 1]! + (a[i - 1] === b[j - 1] ? 0 : 1);
      current.push(Math.min(previous[j]! + 1, current[j - 1]! + 1, substitution));
    }
    previous = current;
  }
  return previous[b.length]!;
}
