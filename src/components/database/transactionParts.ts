/**
 * What `Database` and `TransactionManager` share about their transactions: the lock manager
 * option, a statement's checks of its transaction's state, and the aborts counted by reason
 * (a total and a metric per reason). Not exported from the package.
 */
import type { EntityMetrics } from "../../core/entity.js";
import type { Simulation } from "../../core/simulation.js";
import { ConfigError } from "../../errors/errors.js";
import { requireEntity } from "../shared/validate.js";
import { LockManager } from "./lockManager.js";

/**
 * The `locks` option: the lock manager given, or null when the owner is to build its own
 * ("<name>.locks"), checked before the owner registers: that name must be free.
 */
export function checkLocksOption(
  sim: Simulation,
  component: string,
  name: string,
  given: unknown,
): LockManager | null {
  const locks =
    given === undefined
      ? null
      : (requireEntity(component, "locks", given, sim, LockManager) as LockManager);
  if (locks === null && sim.entity(`${name}.locks`) !== undefined) {
    throw new ConfigError(component, "locks", `given, since "${name}.locks" is taken`, given);
  }
  return locks;
}

/** What a statement checks of its transaction's state. */
interface StatementState {
  readonly id: number;
  readonly _status: "open" | "committed" | "aborted";
  readonly _busy: boolean;
}

/**
 * A statement (`api`) may run on `tx`: it is open (an aborted one throws its owner's abort
 * error, `aborted()`) and runs no other statement (misuse, `misuse(message)`).
 */
export function checkStatementState(
  tx: StatementState,
  api: string,
  aborted: () => Error,
  misuse: (message: string) => Error,
): void {
  if (tx._status === "aborted") throw aborted();
  if (tx._status === "committed") throw misuse(`${api}(): transaction ${tx.id} is committed`);
  if (tx._busy) {
    throw misuse(`${api}(): transaction ${tx.id} is running a statement (one at a time)`);
  }
}

/** Aborts of every reason. */
export function abortedTotal<R extends string>(
  abortedBy: Readonly<Record<R, number>>,
  reasons: readonly R[],
): number {
  return reasons.reduce((sum, reason) => sum + abortedBy[reason], 0);
}

/** Stats as flat metrics: `abortedBy` as one metric per reason, `aborted.<reason>`. */
export function metricsByAbortReason<R extends string>(
  stats: { readonly abortedBy: Readonly<Record<R, number>> },
  reasons: readonly R[],
): EntityMetrics {
  const { abortedBy, ...flat } = stats;
  const metrics: Record<string, number> = { ...(flat as Record<string, number>) };
  for (const reason of reasons) metrics[`aborted.${reason}`] = abortedBy[reason];
  return metrics;
}
