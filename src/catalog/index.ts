/**
 * The component catalog: schema, vocabulary, validation, queries and renderers. The catalog of
 * distsim's own components (`distsimCatalog`) is built in src/components/index.ts.
 */
export { Catalog, type CatalogProblem } from "./catalog.js";
export { catalogDocFiles } from "./docs.js";
export {
  type CatalogEntry,
  type CatalogName,
  type CataloguedComponent,
  type ComponentName,
  knobs,
  SCHEMA_FIELDS,
} from "./entry.js";
export { catalogWithComponents } from "./registry.js";
export {
  entryJsonSchema,
  type GraphFilter,
  renderJson,
  renderMarkdownIndex,
  renderMarkdownPage,
  renderMermaid,
} from "./render.js";
export { type ConceptName, LAYERS, type Layer, ROLES, type Role } from "./vocabulary.js";
