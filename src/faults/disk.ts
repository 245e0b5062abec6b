/**
 * What the disk fault kinds share: their targets are `Disk`s, recognised by shape (the CLI
 * applies `--faults` with its own copy of distsim's modules to a model loaded with another, and
 * the fault layer imports no component), each fault one of the disk's own fault methods, whose
 * `DiskFault` handles the fault heals, and what it did read from the disks' `stats`.
 */
import type { Entity } from "../core/entity.js";
import type { FaultHandle } from "../core/faultHandle.js";
import type { Simulation } from "../core/simulation.js";
import { type ActiveFault, entityNamed } from "./kind.js";
import { type FaultSpec, faultFieldError } from "./spec.js";

/** What the disk kinds use of a `Disk`. */
export interface FaultableDisk extends Entity<unknown, unknown> {
  slow(factor: number): FaultHandle;
  fill(): FaultHandle;
  readErrors(probability: number): FaultHandle;
  corrupt(target?: { readonly file: string; readonly index: number }): FaultHandle;
  lieOnSync(): FaultHandle;
  readonly stats: Readonly<Record<string, number>>;
}

function isDisk(entity: Entity<unknown, unknown>): entity is FaultableDisk {
  const candidate = entity as Partial<FaultableDisk>;
  return (
    typeof candidate.slow === "function" &&
    typeof candidate.fill === "function" &&
    typeof candidate.readErrors === "function" &&
    typeof candidate.corrupt === "function" &&
    typeof candidate.lieOnSync === "function" &&
    typeof candidate.stats?.powerLosses === "number"
  );
}

/** The fault's targets, each a `Disk`, or the schedule's error naming the one that is not. */
export function disksOf(fault: FaultSpec, index: number, sim: Simulation): FaultableDisk[] {
  return fault.targets.map((name, i) => {
    const entity = entityNamed(sim, name, index, "targets");
    if (!isDisk(entity)) {
      throw faultFieldError(index, `targets[${i}]`, "the name of a Disk", name);
    }
    return entity;
  });
}

/**
 * Opens `open(disk)` on each disk, heals the handles together, and reports how the disks'
 * `stats` named in `counted` moved while it was in force, with `countKey` the number of disks.
 */
export function diskFaults(
  disks: readonly FaultableDisk[],
  countKey: string,
  detail: string,
  counted: readonly string[],
  open: (disk: FaultableDisk) => FaultHandle | null,
): ActiveFault {
  const before = disks.map((disk) => counted.map((key) => disk.stats[key] ?? 0));
  const handles: FaultHandle[] = [];
  for (const disk of disks) {
    const handle = open(disk);
    if (handle !== null) handles.push(handle);
  }
  let frozen: Readonly<Record<string, number>> | null = null;
  const effects = (): Readonly<Record<string, number>> => {
    if (frozen !== null) return frozen;
    const out: Record<string, number> = {};
    if (handles.length > 0) out[countKey] = handles.length;
    disks.forEach((disk, d) => {
      const stats = disk.stats;
      counted.forEach((key, k) => {
        const now = stats[key] ?? 0;
        const then = before[d]![k]!;
        // A statistics reset while in force restarts a count: count what it shows since then.
        const moved = now >= then ? now - then : now;
        if (moved > 0) out[key] = (out[key] ?? 0) + moved;
      });
    });
    return out;
  };
  return {
    detail,
    heal: () => {
      for (const handle of handles) handle.heal();
      frozen = effects();
    },
    effects,
  };
}
