/** The distsim catalog: every seed concept plus every implemented component. */
import { Client } from "../components/client/client.js";
import { Network } from "../components/network/network.js";
import { NetworkLink } from "../components/network/networkLink.js";
import { Server } from "../components/server/server.js";
import { ClosedLoopClients } from "../load/closedLoopClients.js";
import { Source } from "../load/source.js";
import { Catalog } from "./catalog.js";
import { conceptEntries } from "./concepts.js";
import type { CatalogEntry } from "./entry.js";

/** Entries of the implemented components, from the components themselves. */
export const COMPONENT_ENTRIES: readonly CatalogEntry[] = [
  Source.catalog,
  ClosedLoopClients.catalog,
  NetworkLink.catalog,
  Network.catalog,
  Server.catalog,
  Client.catalog,
];

/** Builds the catalog: concept entries first, then components (which may refine a concept). */
export function distsimCatalog(): Catalog {
  return new Catalog([...conceptEntries(), ...COMPONENT_ENTRIES]);
}
