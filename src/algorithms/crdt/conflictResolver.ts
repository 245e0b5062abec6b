/**
 * `ConflictResolver`: how a replicated store settles the versions of one key that replicas
 * wrote without coordination (happy-simulator's LastWriterWins, VectorClockMerge and
 * CustomResolver; Cassandra, Riak and Dynamo respectively). A resolver takes the versions a
 * read or an anti-entropy pass found and returns the ones that survive:
 *
 * - `lastWriterWins(clock)`: the version with the latest HLC timestamp, ties by node id (the
 *   `LWWRegister` order). The resolving node's `HybridLogicalClock` receives the winner's
 *   timestamp, so the node's next write is stamped after the value it kept (a remote timestamp
 *   past the clock's maximum offset throws `ClockOffsetError`, as a receive does).
 * - `vectorClockMerge(merge?)`: drops every version whose vector clock happened before
 *   another's; of the concurrent ones left, returns them all (siblings, as Riak does) or, given
 *   `merge`, one version whose value is `merge(values)` and whose clock covers them all.
 * - `custom(fn)`: whatever `fn` returns from the versions.
 *
 * Deterministic whatever order the versions come in: versions are sorted (by node id, then
 * timestamp) before a merge function or a custom one sees them.
 */
import { type HlcTimestamp, HybridLogicalClock } from "../../clocks/hybridLogicalClock.js";
import { VectorClock } from "../../clocks/vectorClock.js";
import { ConfigError } from "../../errors/errors.js";
import { LWWRegister } from "./lwwRegister.js";
import { byCodeUnits, checkNodeId } from "./validate.js";

/** One replica's version of a key: its value, its writer, and what orders it. */
export interface Version<T> {
  readonly value: T;
  /** The writer's node id (for a merged version, the smallest of the merged writers'). */
  readonly node: string;
  /** For `lastWriterWins`: the write's HLC timestamp. */
  readonly timestamp?: HlcTimestamp;
  /** For `vectorClockMerge`: the version's vector clock. */
  readonly clock?: VectorClock;
}

export interface ConflictResolver<T> {
  /** "lastWriterWins", "vectorClockMerge" or "custom", for reports. */
  readonly name: string;
  /** The surviving versions (one, or siblings), from one or more versions of a key. */
  resolve(versions: readonly Version<T>[]): Version<T>[];
}

export const ConflictResolver = {
  lastWriterWins<T>(clock: HybridLogicalClock): ConflictResolver<T> {
    if (!(clock instanceof HybridLogicalClock)) {
      throw new ConfigError(
        "ConflictResolver.lastWriterWins",
        "clock",
        "a HybridLogicalClock",
        clock,
      );
    }
    return {
      name: "lastWriterWins",
      resolve(versions) {
        checkVersions("lastWriterWins", versions, "timestamp");
        let winner = versions[0]!;
        for (const version of versions) {
          if (LWWRegister.compareWrites(toWrite(version), toWrite(winner)) > 0) winner = version;
        }
        clock.receive(winner.timestamp!);
        return [winner];
      },
    };
  },

  vectorClockMerge<T>(merge?: (values: T[]) => T): ConflictResolver<T> {
    if (merge !== undefined && typeof merge !== "function") {
      throw new ConfigError(
        "ConflictResolver.vectorClockMerge",
        "merge",
        "a function or undefined",
        merge,
      );
    }
    return {
      name: "vectorClockMerge",
      resolve(versions) {
        checkVersions("vectorClockMerge", versions, "clock");
        const sorted = sortVersions(versions);
        const survivors: Version<T>[] = [];
        for (const version of sorted) {
          const dominated = sorted.some((other) => version.clock!.happenedBefore(other.clock!));
          const duplicate = survivors.some(
            (kept) => kept.clock!.compare(version.clock!) === "equal",
          );
          if (!dominated && !duplicate) survivors.push(version);
        }
        if (merge === undefined || survivors.length === 1) return survivors;
        const clock = new VectorClock();
        for (const version of survivors) clock.merge(version.clock!);
        return [{ value: merge(survivors.map((v) => v.value)), node: survivors[0]!.node, clock }];
      },
    };
  },

  custom<T>(fn: (versions: Version<T>[]) => Version<T>[]): ConflictResolver<T> {
    if (typeof fn !== "function") {
      throw new ConfigError("ConflictResolver.custom", "fn", "a function", fn);
    }
    return {
      name: "custom",
      resolve(versions) {
        checkVersions("custom", versions);
        return fn(sortVersions(versions));
      },
    };
  },
};

function toWrite<T>(version: Version<T>) {
  return { value: version.value, timestamp: version.timestamp!, node: version.node };
}

function sortVersions<T>(versions: readonly Version<T>[]): Version<T>[] {
  return [...versions].sort(
    (a, b) =>
      byCodeUnits(a.node, b.node) ||
      (a.timestamp !== undefined && b.timestamp !== undefined
        ? HybridLogicalClock.compare(a.timestamp, b.timestamp)
        : 0),
  );
}

function checkVersions(resolver: string, versions: unknown, needs?: "timestamp" | "clock"): void {
  const component = `ConflictResolver.${resolver}.resolve`;
  if (!Array.isArray(versions) || versions.length === 0) {
    throw new ConfigError(component, "versions", "a non-empty array of versions", versions);
  }
  for (const version of versions as Partial<Version<unknown>>[]) {
    if (typeof version !== "object" || version === null) {
      throw new ConfigError(
        component,
        "versions",
        "{ value, node, timestamp?, clock? } objects",
        version,
      );
    }
    checkNodeId(component, "versions[].node", version.node);
    if (
      needs === "timestamp" &&
      (typeof version.timestamp !== "object" ||
        version.timestamp === null ||
        !Number.isSafeInteger(version.timestamp.wallNs) ||
        !Number.isSafeInteger(version.timestamp.logical))
    ) {
      throw new ConfigError(
        component,
        "versions[].timestamp",
        "an HLC timestamp",
        version.timestamp,
      );
    }
    if (needs === "clock" && !(version.clock instanceof VectorClock)) {
      throw new ConfigError(component, "versions[].clock", "a VectorClock", version.clock);
    }
  }
}
