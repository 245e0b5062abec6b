/**
 * The component registry: every family's component classes in one list, their catalog entries,
 * and the distsim catalog built from them. Adding a component adds it to its family's list
 * (its family's index.ts); nothing here names a component.
 */
import type { Catalog } from "../catalog/catalog.js";
import type { CatalogEntry } from "../catalog/entry.js";
import { catalogWithComponents } from "../catalog/registry.js";
import { CLIENT_COMPONENTS } from "./client/index.js";
import { CONSENSUS_COMPONENTS } from "./consensus/index.js";
import { DATABASE_COMPONENTS } from "./database/index.js";
import { ENGINE_COMPONENTS } from "./engine/index.js";
import { LOAD_COMPONENTS } from "./load/index.js";
import { LOAD_BALANCER_COMPONENTS } from "./loadBalancer/index.js";
import { MEASURE_COMPONENTS } from "./measure/index.js";
import { MESSAGING_COMPONENTS } from "./messaging/index.js";
import { NETWORK_COMPONENTS } from "./network/index.js";
import { REPLICATION_COMPONENTS } from "./replication/index.js";
import { RESILIENCE_COMPONENTS } from "./resilience/index.js";
import { SERVER_COMPONENTS } from "./server/index.js";
import { STORAGE_COMPONENTS } from "./storage/index.js";
import { STORE_COMPONENTS } from "./store/index.js";

/** Every component class, family by family (the catalog lists them in this order). */
export const COMPONENT_CLASSES = [
  ...LOAD_COMPONENTS,
  ...NETWORK_COMPONENTS,
  ...SERVER_COMPONENTS,
  ...CLIENT_COMPONENTS,
  ...RESILIENCE_COMPONENTS,
  ...LOAD_BALANCER_COMPONENTS,
  ...MEASURE_COMPONENTS,
  ...DATABASE_COMPONENTS,
  ...MESSAGING_COMPONENTS,
  ...STORAGE_COMPONENTS,
  ...STORE_COMPONENTS,
  ...ENGINE_COMPONENTS,
  ...CONSENSUS_COMPONENTS,
  ...REPLICATION_COMPONENTS,
] as const;

/** Entries of the implemented components, from the components themselves. */
export const COMPONENT_ENTRIES: readonly CatalogEntry[] = COMPONENT_CLASSES.map((c) => c.catalog);

/** The distsim catalog: every seed concept plus every implemented component. */
export function distsimCatalog(): Catalog {
  return catalogWithComponents(COMPONENT_ENTRIES);
}
