/**
 * The replication family: how data moves between replicas. `PrimaryBackupReplication` (a
 * primary ships its log to backups, sync, semi-sync or async, with failover and fencing),
 * `MultiLeaderReplication` (every node takes writes, vector clocks, a conflict resolver,
 * Merkle anti-entropy), `ChainReplication` (writes head to tail, reads at the tail or, with
 * CRAQ, at any node).
 */

import type { CataloguedComponent } from "../../catalog/entry.js";
import { ChainReplication } from "./chainReplication.js";
import { MultiLeaderReplication } from "./multiLeader.js";
import { PrimaryBackupReplication } from "./primaryBackup.js";

export type { FrontDoorCounts } from "../shared/frontDoor.js";
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
export {
  isTombstoneVersion,
  type MultiLeaderOptions,
  MultiLeaderReplication,
  type MultiLeaderStats,
  type ResolverOption,
} from "./multiLeader.js";
export {
  type FailoverRecord,
  type PrimaryBackupOptions,
  PrimaryBackupReplication,
  type PrimaryBackupStats,
  REPLICATION_MODES,
  type ReplicationMode,
} from "./primaryBackup.js";

/** This family's component classes, in catalog order (src/components/index.ts gathers them). */
export const REPLICATION_COMPONENTS = [
  PrimaryBackupReplication,
  MultiLeaderReplication,
  ChainReplication,
] as const satisfies readonly CataloguedComponent[];
