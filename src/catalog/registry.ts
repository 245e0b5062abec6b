/** The distsim catalog: every seed concept plus every implemented component. */
import { Client } from "../components/client/client.js";
import { ConnectionPool } from "../components/client/connectionPool.js";
import { PooledClient } from "../components/client/pooledClient.js";
import { ClosedLoopClients } from "../components/load/closedLoopClients.js";
import { Source } from "../components/load/source.js";
import { HealthChecker } from "../components/loadBalancer/healthChecker.js";
import { LoadBalancer } from "../components/loadBalancer/loadBalancer.js";
import { Probe } from "../components/measure/probe.js";
import { Sink } from "../components/measure/sink.js";
import { Network } from "../components/network/network.js";
import { NetworkLink } from "../components/network/networkLink.js";
import { Bulkhead } from "../components/resilience/bulkhead.js";
import { CircuitBreaker } from "../components/resilience/circuitBreaker.js";
import { Fallback } from "../components/resilience/fallback.js";
import { Hedge } from "../components/resilience/hedge.js";
import { TimeoutWrapper } from "../components/resilience/timeoutWrapper.js";
import { AsyncServer } from "../components/server/asyncServer.js";
import { Server } from "../components/server/server.js";
import { ThreadPool } from "../components/server/threadPool.js";
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
  AsyncServer.catalog,
  ThreadPool.catalog,
  Client.catalog,
  ConnectionPool.catalog,
  PooledClient.catalog,
  CircuitBreaker.catalog,
  Bulkhead.catalog,
  TimeoutWrapper.catalog,
  Fallback.catalog,
  Hedge.catalog,
  LoadBalancer.catalog,
  HealthChecker.catalog,
  Probe.catalog,
  Sink.catalog,
];

/**
 * Builds the catalog: the seed's concepts, then the components. A component named like a
 * concept (CircuitBreaker) is that concept implemented: its entry replaces the concept's.
 */
export function distsimCatalog(): Catalog {
  const implemented = new Set<string>(COMPONENT_ENTRIES.map((e) => e.name));
  return new Catalog([
    ...conceptEntries().filter((e) => !implemented.has(e.name)),
    ...COMPONENT_ENTRIES,
  ]);
}
