/**
 * The coordination family: services that let nodes agree on who may act. `DistributedLock`
 * (leases with fencing tokens over a pluggable `LockBackend`), `LockClient` (a client entity's
 * handle on it), `RaftLockBackend` and `MultiPaxosLockBackend` (the lease table on a consensus log) and `FencedStore` (the resource that refuses a stale holder's writes).
 */

import type { CataloguedComponent } from "../../catalog/entry.js";
import { DistributedLock } from "./distributedLock.js";
import { FencedStore } from "./fencedStore.js";

export {
  DistributedLock,
  type DistributedLockOptions,
  LEASE_LOST,
  LOCK_BUSY,
  LOCK_UNAVAILABLE,
  type LockGrant,
  type LockReply,
  type LockRequest,
  type ServiceClockOptions,
} from "./distributedLock.js";
export {
  type FencedPut,
  type FencedRequest,
  FencedStore,
  type FencedStoreOptions,
  STALE_TOKEN,
} from "./fencedStore.js";
export {
  isLockBackend,
  type LeaseCommand,
  type LeaseResult,
  type LeaseState,
  LeaseStateMachine,
  type LockBackend,
  standaloneLockBackend,
} from "./leaseTable.js";
export { type Lease, LockClient, type LockClientOptions } from "./lockClient.js";
export {
  MultiPaxosLockBackend,
  type MultiPaxosLockBackendOptions,
  type MultiPaxosLockNodeOptions,
} from "./multiPaxosLockBackend.js";
export {
  RaftLockBackend,
  type RaftLockBackendOptions,
  type RaftLockNodeOptions,
} from "./raftLockBackend.js";

/** This family's component classes, in catalog order (src/components/index.ts gathers them). */
export const COORDINATION_COMPONENTS = [
  DistributedLock,
  FencedStore,
] as const satisfies readonly CataloguedComponent[];
