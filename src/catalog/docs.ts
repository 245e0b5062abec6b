/**
 * The generated catalog documentation, as a map from path (under docs/catalog/) to content.
 * Pure, so the test that checks docs/catalog/ is up to date compares these strings with the
 * files; `npm run catalog:docs` writes them.
 */
import type { Catalog } from "./catalog.js";
import {
  entryJsonSchema,
  renderJson,
  renderMarkdownIndex,
  renderMarkdownPage,
  renderMermaid,
} from "./render.js";
import { LAYERS } from "./vocabulary.js";

export function catalogDocFiles(catalog: Catalog): Map<string, string> {
  const files = new Map<string, string>();
  files.set("README.md", renderMarkdownIndex(catalog));
  const graphs = [
    "# Catalog dependency graph",
    "",
    "`A --> B` means A requires B. Components are highlighted. One graph per layer keeps them readable.",
    "",
  ];
  for (const layer of LAYERS) {
    if (catalog.byLayer(layer).length === 0) continue;
    graphs.push(
      `## ${layer}`,
      "",
      "```mermaid",
      renderMermaid(catalog, { layer }).trimEnd(),
      "```",
      "",
    );
  }
  files.set("graph.md", graphs.join("\n"));
  files.set("catalog.json", renderJson(catalog));
  files.set("entry.schema.json", `${JSON.stringify(entryJsonSchema(), null, 2)}\n`);
  for (const entry of catalog.entries)
    files.set(`${entry.name}.md`, renderMarkdownPage(entry, catalog));
  return files;
}
