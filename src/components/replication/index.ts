/**
 * The replication family: protocols that keep copies of data on several nodes.
 */

import type { CataloguedComponent } from "../../catalog/entry.js";
import { ChainReplication } from "./chainReplication.js";

export {
  ChainClient,
  type ChainConfig,
  type ChainNode,
  type ChainNodeStats,
  ChainReplication,
  type ChainReplicationOptions,
  NOT_HEAD,
  NOT_SERVING,
} from "./chainReplication.js";

/** This family's component classes, in catalog order (src/components/index.ts gathers them). */
export const REPLICATION_COMPONENTS = [
  ChainReplication,
] as const satisfies readonly CataloguedComponent[];
