/**
 * Sharding strategies: how a `ShardedStore` places each key on one of its shards. Each builder
 * returns a description; the store asks it for a router over its shards' names, and for a new
 * router when a shard is added at run time. Routers are immutable, so a store migrating keys
 * can still ask where a key was before.
 *
 * - `hashSharding()`: the key's hash modulo the number of shards. Even, but adding a shard
 *   moves about n/(n+1) of the keys.
 * - `rangeSharding({ splits })`: shard i holds the keys from split i-1 (inclusive) to split i
 *   (exclusive), in JavaScript's string order. A scan touches only the shards its range
 *   overlaps, and adding a shard at a new split point moves only the keys of the range it
 *   splits; but a hot range stays on one shard.
 * - `consistentHashSharding({ virtualNodes })`: the hash ring the load balancer's
 *   `strategy.consistentHash` uses (src/components/shared/hashRing.ts). Adding one shard to n
 *   moves about 1/(n+1) of the keys, all of them to the new shard.
 *
 * Every hash is MurmurHash3 with a fixed seed, the same on every platform and run.
 *
 * @example
 * new ShardedStore(sim, "users", { shards, sharding: rangeSharding({ splits: ["h", "p"] }) });
 */
import { ConfigError } from "../../errors/errors.js";
import { HashRing, ringHash } from "../shared/hashRing.js";

/** Where the keys go, for one fixed list of shards. */
export interface ShardRouter {
  /** The index of the shard holding `key`. */
  shardOf(key: string): number;
  /**
   * The indices of the shards that may hold keys in `[from, to)` (`to` undefined: to the end),
   * in ascending order.
   */
  shardsFor(from: string, to: string | undefined): readonly number[];
  /**
   * The router after adding a shard named `name` (`split`: where its range starts, for range
   * sharding), and the index the new shard takes in the shard list.
   */
  withShard(name: string, split: string | undefined): { router: ShardRouter; index: number };
}

/** A sharding strategy: a description and a way to route over a list of shards. */
export interface Sharding {
  readonly kind: "sharding";
  /** What it is, for tables and messages ("hash", "range (2 splits)"). */
  readonly description: string;
  /** A router over the shards named `names` (in shard order); `component` for errors. */
  router(names: readonly string[], component: string): ShardRouter;
}

/** True if `value` is a strategy made by one of the builders here (or shaped like one). */
export function isSharding(value: unknown): value is Sharding {
  return (
    typeof value === "object" &&
    value !== null &&
    (value as { kind?: unknown }).kind === "sharding" &&
    typeof (value as { router?: unknown }).router === "function"
  );
}

function allShards(count: number): number[] {
  return Array.from({ length: count }, (_, i) => i);
}

/** The key's hash modulo the number of shards. */
export function hashSharding(): Sharding {
  const router = (count: number): ShardRouter => {
    const every = allShards(count);
    return {
      shardOf: (key) => ringHash(key) % count,
      shardsFor: () => every,
      withShard: () => ({ router: router(count + 1), index: count }),
    };
  };
  return {
    kind: "sharding",
    description: "hash",
    router: (names) => router(names.length),
  };
}

/**
 * Ranges between split points: with splits `["h", "p"]`, shard 0 holds keys below "h", shard 1
 * from "h" to below "p", shard 2 from "p" on. The splits must ascend strictly, one fewer than
 * the shards.
 */
export function rangeSharding(options: {
  /** The keys where each shard after the first begins, ascending. */
  splits: readonly string[];
}): Sharding {
  const api = "rangeSharding";
  const splits = options?.splits;
  if (!Array.isArray(splits) || splits.some((split) => typeof split !== "string")) {
    throw new ConfigError(api, "splits", "an array of strings", splits);
  }
  if (!ascending(splits)) {
    throw new ConfigError(api, "splits", "strictly ascending strings", splits);
  }
  const given = [...splits];
  const router = (points: readonly string[]): ShardRouter => ({
    // The shard is the number of split points at or below the key.
    shardOf: (key) => upperBound(points, key),
    shardsFor(from, to) {
      const first = upperBound(points, from);
      // `to` is exclusive: a shard starting exactly at `to` holds none of the range.
      const last = to === undefined ? points.length : lowerBound(points, to);
      return allShards(Math.max(last, first) - first + 1).map((i) => first + i);
    },
    withShard(name, split) {
      if (typeof split !== "string" || points.includes(split)) {
        throw new ConfigError(
          `${api}: adding shard "${name}"`,
          "split",
          `a string that is not a split point already (${JSON.stringify(points)})`,
          split,
        );
      }
      const at = lowerBound(points, split);
      const next = [...points.slice(0, at), split, ...points.slice(at)];
      // The new shard takes the upper part of the range `split` falls in.
      return { router: router(next), index: at + 1 };
    },
  });
  return {
    kind: "sharding",
    description: `range (${given.length} split${given.length === 1 ? "" : "s"})`,
    router(names, component) {
      if (names.length !== given.length + 1) {
        throw new ConfigError(
          component,
          "sharding",
          `range sharding with ${names.length - 1} split points for ${names.length} shards`,
          given,
        );
      }
      return router(given);
    },
  };
}

/** The consistent-hash ring, with `virtualNodes` points per shard (default 100). */
export function consistentHashSharding(options: { virtualNodes?: number } = {}): Sharding {
  const virtualNodes = options?.virtualNodes ?? 100;
  if (!Number.isSafeInteger(virtualNodes) || virtualNodes < 1) {
    throw new ConfigError(
      "consistentHashSharding",
      "virtualNodes",
      "an integer >= 1",
      virtualNodes,
    );
  }
  const router = (names: readonly string[]): ShardRouter => {
    const ring = new HashRing(virtualNodes);
    ring.rebuild(names);
    const every = allShards(names.length);
    return {
      shardOf: (key) => ring.ownerOf(ringHash(key)),
      shardsFor: () => every,
      withShard: (name) => ({ router: router([...names, name]), index: names.length }),
    };
  };
  return {
    kind: "sharding",
    description: `consistent hash (${virtualNodes} virtual nodes)`,
    router: (names) => router(names),
  };
}

function ascending(keys: readonly string[]): boolean {
  for (let i = 1; i < keys.length; i++) if (!(keys[i - 1]! < keys[i]!)) return false;
  return true;
}

/** The index of the first element >= `key`. */
function lowerBound(keys: readonly string[], key: string): number {
  let low = 0;
  let high = keys.length;
  while (low < high) {
    const middle = (low + high) >>> 1;
    if (keys[middle]! < key) low = middle + 1;
    else high = middle;
  }
  return low;
}

/** The index of the first element > `key`. */
function upperBound(keys: readonly string[], key: string): number {
  let low = 0;
  let high = keys.length;
  while (low < high) {
    const middle = (low + high) >>> 1;
    if (keys[middle]! <= key) low = middle + 1;
    else high = middle;
  }
  return low;
}
