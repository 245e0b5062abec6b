/**
 * Builds a catalog from the seed's concepts and the entries of the implemented components.
 * The components are an argument, not an import: the catalog knows the schema, the components
 * know their entries (src/components/index.ts gathers them and calls this), so neither folder
 * imports the other both ways.
 */
import { Catalog } from "./catalog.js";
import { conceptEntries } from "./concepts.js";
import type { CatalogEntry } from "./entry.js";

/**
 * The seed's concepts, then the components. A component named like a concept
 * (CircuitBreaker) is that concept implemented: its entry replaces the concept's.
 */
export function catalogWithComponents(componentEntries: readonly CatalogEntry[]): Catalog {
  const implemented = new Set<string>(componentEntries.map((e) => e.name));
  return new Catalog([
    ...conceptEntries().filter((e) => !implemented.has(e.name)),
    ...componentEntries,
  ]);
}
