/**
 * The resource family: capacity, items and levels that processes wait for (SimPy's Resource,
 * Store and Container), locks and synchronization for processes (Mutex, Semaphore, RWLock,
 * Condition, Barrier), the queue disciplines that order the waiting, and `SlotPool`, the
 * slots-and-queue primitive every server-like component is built on.
 */

export { BrokenBarrierError } from "../../errors/errors.js";
export { type AdaptiveLifoOptions, adaptiveLifo } from "./adaptiveLifo.js";
export { Barrier, type BarrierOptions, type BarrierStats } from "./barrier.js";
export { type CodelOptions, codel } from "./codel.js";
export { Condition, type ConditionOptions, type ConditionStats } from "./condition.js";
export { Container, type ContainerOptions, type ContainerStats } from "./container.js";
export { deadlineQueue } from "./deadlineQueue.js";
export { type FairQueueOptions, fairQueue } from "./fairQueue.js";
export { Mutex, type MutexOptions } from "./mutex.js";
export { type PriorityOptions, priority } from "./priorityQueue.js";
export {
  type DropSink,
  fifo,
  lifo,
  type QueueDiscipline,
} from "./queueDiscipline.js";
export { type RedOptions, red } from "./red.js";
export {
  type AcquireOptions,
  Grant,
  Resource,
  type ResourceOptions,
  type ResourceStats,
} from "./resource.js";
export {
  RWLock,
  RWLockHold,
  type RWLockMode,
  type RWLockOptions,
  type RWLockStats,
} from "./rwLock.js";
export {
  type HolderCrashPolicy,
  LockHold,
  type LockStats,
  Semaphore,
  type SemaphoreAcquireOptions,
  type SemaphoreOptions,
} from "./semaphore.js";
export { type GetOptions, Store, type StoreOptions, type StoreStats } from "./store.js";
export type { WaitOptions } from "./waiting.js";
export { type WeightedFairQueueOptions, weightedFairQueue } from "./weightedFairQueue.js";
