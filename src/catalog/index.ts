/** The component catalog: schema, vocabulary, registry, validation, queries and renderers. */
export { Catalog, type CatalogProblem } from "./catalog.js";
export { catalogDocFiles } from "./docs.js";
export {
  type CatalogEntry,
  type CatalogName,
  COMPONENT_NAMES,
  type ComponentName,
  knobs,
  SCHEMA_FIELDS,
} from "./entry.js";
export { COMPONENT_ENTRIES, distsimCatalog } from "./registry.js";
export {
  entryJsonSchema,
  type GraphFilter,
  renderJson,
  renderMarkdownIndex,
  renderMarkdownPage,
  renderMermaid,
} from "./render.js";
export { type ConceptName, LAYERS, type Layer, ROLES, type Role } from "./vocabulary.js";
