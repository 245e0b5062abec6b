/**
 * `distsim catalog [list [--implemented] | show NAME | graph [--layer L] [--group G] | check]`:
 * the component catalog from the terminal. `show` finds a name in any case, and for a name
 * that is not in the catalog suggests the near ones (prefix, substring, spelling), if any.
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
      const entry = options.name === undefined ? undefined : catalog.find(options.name);
      if (entry === undefined) {
        const name = options.name ?? "";
        const names = nearNames(catalog, name);
        const suggestion =
          names.length === 0
            ? " Nothing in the catalog is near it."
            : ` Near names: ${names.join(", ")}.`;
        io.err(
          `distsim catalog: no entry named "${name}".${suggestion} ` +
            "`distsim catalog list --implemented` lists distsim's components (without --implemented: every entry).\n",
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
      const groups = catalog.groupNames();
      if (options.group !== undefined && !groups.includes(options.group)) {
        io.err(
          `distsim catalog: no group named "${options.group}"; ${groups.length === 0 ? "no entry has a group yet" : `the groups are ${groups.join(", ")}`}. A group is the family an entry is installed with (the "group" field of an entry; helpers inherit their assembler's).\n`,
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
 * Catalog names near `query`, best first: names that start with it (or it with them), then
 * names containing it (or contained in it), then names a few edits away; none when nothing is
 * that near (the nearest spelling of an unrelated name helps nobody).
 */
export function nearNames(catalog: Catalog, query: string): string[] {
  const wanted = query.toLowerCase();
  if (wanted === "") return [];
  // A short name is near only one edit away: two edits turn "Cache" into half the catalog.
  const maxEdits = wanted.length <= 5 ? 1 : Math.max(2, Math.floor(wanted.length / 3));
  const near: { name: string; rank: number; distance: number }[] = [];
  for (const entry of catalog.entries) {
    const name = entry.name.toLowerCase();
    const distance = editDistance(wanted, name);
    let rank: number;
    if (name.startsWith(wanted) || wanted.startsWith(name)) rank = 1;
    // A query containing a short name ("Backpressure" holds "Ack") is a coincidence.
    else if (name.includes(wanted) || (name.length >= 4 && wanted.includes(name))) rank = 2;
    else if (distance <= maxEdits) rank = 3;
    else continue;
    near.push({ name: entry.name, rank, distance });
  }
  near.sort((a, b) => a.rank - b.rank || a.distance - b.distance || a.name.localeCompare(b.name));
  return near.slice(0, MAX_SUGGESTIONS).map((s) => s.name);
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
