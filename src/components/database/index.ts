/**
 * The database family: `Database` (connections, query latency, transactions), the
 * `LockManager` its row locks live in (shared and exclusive locks, FIFO waiting, upgrades, a
 * lock wait timeout and deadlock detection on the wait-for graph), and the
 * `TransactionManager` (transactions over any key-value store at three isolation levels).
 */

import type { CataloguedComponent } from "../../catalog/entry.js";
import { Database } from "./database.js";
import { LockManager } from "./lockManager.js";
import { TransactionManager } from "./transactionManager.js";

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
export {
  type BeginOptions,
  ISOLATION_LEVELS,
  type IsolationLevel,
  type KVAbortReason,
  KVTransaction,
  KVTransactionAbortedError,
  type KVTransactionStatus,
  TransactionManager,
  type TransactionManagerOptions,
  type TransactionManagerStats,
  type TransactOptions,
} from "./transactionManager.js";

/** This family's component classes, in catalog order (src/components/index.ts gathers them). */
export const DATABASE_COMPONENTS = [
  LockManager,
  Database,
  TransactionManager,
] as const satisfies readonly CataloguedComponent[];
