/**
 * The database family: `Database` (connections, query latency, transactions) and the
 * `LockManager` its row locks live in (shared and exclusive locks, FIFO waiting, upgrades, a
 * lock wait timeout and deadlock detection on the wait-for graph).
 */

import type { CataloguedComponent } from "../../catalog/entry.js";
import { Database } from "./database.js";
import { LockManager } from "./lockManager.js";

export {
  type AbortReason,
  ConnectionTimeoutError,
  Database,
  type DatabaseOptions,
  type DatabaseStats,
  type Query,
  type QueryLatency,
  type QueryResult,
  Transaction,
  TransactionAbortedError,
  type TransactionStatus,
} from "./database.js";
export {
  type DeadlockDetection,
  DeadlockError,
  LockManager,
  type LockManagerOptions,
  type LockManagerStats,
  LockWaitTimeoutError,
} from "./lockManager.js";
export {
  type DeadlockVictimRule,
  type LockKey,
  type LockMode,
  LockOwner,
} from "./lockTable.js";

/** This family's component classes, in catalog order (src/components/index.ts gathers them). */
export const DATABASE_COMPONENTS = [
  LockManager,
  Database,
] as const satisfies readonly CataloguedComponent[];
