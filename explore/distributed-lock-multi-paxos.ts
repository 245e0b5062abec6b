/**
 * Check model (`distsim check explore/distributed-lock-multi-paxos.ts`): explore/distributed-lock.ts
 * with the lease table on three Multi-Paxos lock servers (`MultiPaxosLockBackend`), which the nemesis also
 * crashes, pauses and partitions. Checked the same: fresh grants carry strictly increasing
 * tokens, and no stale write is accepted; a grant must outlive the crash of the leading server.
 */
import type { FaultScheduleSpec, Simulation } from "../src/index.js";
import { buildLock, lockChecks, lockFaults, SAFETY } from "./distributed-lock.js";

const build = ({ seed, params }: { seed: number; params: Readonly<Record<string, unknown>> }) =>
  buildLock(seed, params, true, "multi-paxos");
export default build;
export const safety = SAFETY;
export const faults = (seed: number): FaultScheduleSpec => lockFaults(seed, 3, "multi-paxos");
export const checks = (sim: Simulation): void => lockChecks(sim);
export const shrinkable = {
  clients: { initial: 3, min: 1 },
  operations: { initial: 1000, min: 1 },
};
export { liveness } from "./distributed-lock.js";
