/**
 * `distsim catalog [list | show NAME | graph [--layer L] [--group G] | check]`: the component
 * catalog from the terminal.
 */
import { LAYERS, type Layer, renderMarkdownPage, renderMermaid } from "../catalog/index.js";
import { distsimCatalog } from "../components/index.js";
import { ExitCode } from "./exitCodes.js";
import type { CommandIO } from "./runCommand.js";

export interface CatalogCommandOptions {
  readonly action: string;
  readonly name?: string;
  readonly layer?: string;
  readonly group?: string;
  /** Names of the components the package exports, for `check`. */
  readonly exportedComponents: readonly string[];
}

export function catalogCommand(options: CatalogCommandOptions, io: CommandIO): number {
  const catalog = distsimCatalog();
  switch (options.action) {
    case "list": {
      for (const layer of LAYERS) {
        const entries = catalog.byLayer(layer);
        if (entries.length === 0) continue;
        io.out(`${layer}\n`);
        for (const e of entries) io.out(`  ${e.name.padEnd(24)} ${e.kind.padEnd(10)} ${e.role}\n`);
      }
      return ExitCode.ok;
    }
    case "show": {
      const entry = options.name === undefined ? undefined : catalog.get(options.name);
      if (entry === undefined) {
        io.err(`distsim catalog: no entry named "${options.name ?? ""}"\n`);
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
