/**
 * What the node fault kinds (`pause`, `slow`, `capacity`) share: each target gets one of the
 * entity's own fault methods (`Entity.pause`, `slowDown`, `reduceCapacity`), whose `NodeFault`
 * handles the fault heals and counts from, beside what the targets did meanwhile.
 */
import type { Entity, NodeFault } from "../core/entity.js";
import type { ActiveFault } from "./kind.js";

/** Metrics of the targets counted while the fault is in force (each only if a target reports it). */
const WATCHED = ["completed", "rejected", "timedOut"] as const;

function watched(entity: Entity<unknown, unknown>): Map<string, number> {
  const values = new Map<string, number>();
  const metrics = entity.metrics();
  for (const key of WATCHED) {
    const value = metrics[key];
    if (typeof value === "number") values.set(key, value);
  }
  return values;
}

/**
 * Opens `open(entity)` on each target (skipping, and naming in the detail, those `skip` says
 * no to), heals the handles together, and reports the handles' counts plus how the targets'
 * `completed`, `rejected` and `timedOut` moved while it was in force, under `countKey`
 * (`pauses`, `slowed`, ...) the number of targets it applied to.
 */
export function nodeFaults(
  targets: readonly Entity<unknown, unknown>[],
  countKey: string,
  detail: string,
  open: (entity: Entity<unknown, unknown>) => NodeFault,
  skip: (entity: Entity<unknown, unknown>) => string | null = () => null,
): ActiveFault {
  const handles: NodeFault[] = [];
  const before: Map<string, number>[] = [];
  const skipped: string[] = [];
  for (const entity of targets) {
    const reason = skip(entity);
    if (reason !== null) {
      skipped.push(`${entity.name} ${reason}`);
      continue;
    }
    before.push(watched(entity));
    handles.push(open(entity));
  }
  let frozen: Readonly<Record<string, number>> | null = null;
  const effects = (): Readonly<Record<string, number>> => {
    if (frozen !== null) return frozen;
    const out: Record<string, number> = {};
    const add = (key: string, amount: number) => {
      if (amount > 0) out[key] = (out[key] ?? 0) + amount;
    };
    add(countKey, handles.length);
    handles.forEach((handle, i) => {
      for (const [key, value] of Object.entries(handle.counts)) add(key, value);
      // A statistics reset while in force restarts a count: count what it shows since then.
      for (const [key, now] of watched(handle.entity)) {
        const then = before[i]!.get(key) ?? 0;
        add(key, now >= then ? now - then : now);
      }
    });
    return out;
  };
  return {
    detail: [detail, skipped.length > 0 ? `skipped: ${skipped.join(", ")}` : ""]
      .filter((text) => text !== "")
      .join("; "),
    heal: () => {
      for (const handle of handles) handle.heal();
      frozen = effects();
    },
    effects,
  };
}
