/**
 * Load-balancing strategies: how a `LoadBalancer` picks one healthy backend per request. Each
 * builder (`strategy.roundRobin()`, `strategy.powerOfTwoChoices()`, ...) returns a description;
 * the balancer asks it for a selector of its own, so one strategy value can serve several
 * balancers without sharing a cursor or a ring.
 *
 * Selectors choose by index over the balancer's backend array and allocate nothing per
 * request. Every random draw comes from the balancer's seeded stream, every tie is broken the
 * same way on every run, and every hash is MurmurHash3 of a string (`src/random/hash.ts`), so a
 * seed replays the same choices on every platform.
 *
 * Which to use: round robin and random spread requests evenly and ignore load, so a slow
 * backend gets as many as a fast one and its queue grows; least connections follows load at
 * the cost of knowing every backend's count; two random choices get nearly the same benefit
 * from two probes (`examples/loadBalancer/power-of-two-choices.ts`). Hash strategies pin a key
 * to a backend (sessions, caches); the consistent ring moves only about 1/n of the keys when a
 * backend comes or goes, hash-mod-n nearly all (`examples/loadBalancer/consistent-hashing.ts`).
 *
 * @example
 * new LoadBalancer(sim, "lb", { backends, strategy: strategy.consistentHash({ key: (r) => r.payload.userId }) });
 */

import type { Message } from "../../core/message.js";
import { ConfigError } from "../../errors/errors.js";
import type { RandomStream } from "../../random/randomStream.js";
import { HashRing, ringHash } from "../shared/hashRing.js";

/** What a strategy may read about one backend (the balancer keeps it up to date). */
export interface BackendState {
  /** The backend entity's name (unique in a simulation: what hash rings are built from). */
  readonly name: string;
  /** Its weight (integer >= 1). */
  readonly weight: number;
  /** False while marked unhealthy: a selector must not choose it. */
  readonly healthy: boolean;
  /** Requests this balancer forwarded to it that have not been answered yet. */
  readonly inFlight: number;
  /** Smoothed response time in seconds (EWMA); NaN before its first answer. */
  readonly responseTime: number;
}

/** One balancer's instance of a strategy: whatever state the strategy keeps between requests. */
export interface BackendSelector<Req> {
  /**
   * The index in `backends` of the backend for `request`. Called only when at least one
   * backend is healthy (`healthyCount` of them); must return the index of a healthy one.
   */
  select(backends: readonly BackendState[], healthyCount: number, request: Message<Req>): number;
  /** The backend list changed (a backend added or removed; health changes are not reported). */
  backendsChanged?(backends: readonly BackendState[]): void;
}

/** A load-balancing strategy: a name and a way to make a selector for one balancer. */
export interface LoadBalancingStrategy<Req = unknown> {
  readonly kind: "loadBalancingStrategy";
  /** What it is, for tables and messages ("round robin"). */
  readonly description: string;
  /** Makes a selector; `random` is the balancer's own stream for this strategy's draws. */
  selector(random: RandomStream): BackendSelector<Req>;
}

/** Index of the healthy backend of rank `rank` (0-based, in backend order). */
function nthHealthy(backends: readonly BackendState[], healthyCount: number, rank: number): number {
  // All healthy is the common case: the rank is the index.
  if (healthyCount === backends.length) return rank;
  for (let i = 0; i < backends.length; i++) {
    if (backends[i]!.healthy && rank-- === 0) return i;
  }
  return -1;
}

/**
 * Each healthy backend in turn, in the order they were added: with backends a, b, c the
 * sequence is a, b, c, a, b, c; an unhealthy backend is skipped, not waited for.
 */
export function roundRobin(): LoadBalancingStrategy {
  return {
    kind: "loadBalancingStrategy",
    description: "round robin",
    selector() {
      let next = 0;
      return {
        select(backends) {
          const n = backends.length;
          for (let k = 0; k < n; k++) {
            const i = (next + k) % n;
            if (backends[i]!.healthy) {
              next = i + 1;
              return i;
            }
          }
          return -1;
        },
      };
    },
  };
}

/**
 * Smooth weighted round robin (nginx's): each pick, every healthy backend's running score
 * grows by its weight, the highest score wins (ties to the earliest added) and loses the total
 * weight. Shares match the weights exactly over every cycle of sum(weights) picks, and the
 * heavy backend's turns are spread out: weights 5, 1, 1 give a a b a c a a, not a a a a a b c.
 */
export function weightedRoundRobin(): LoadBalancingStrategy {
  return {
    kind: "loadBalancingStrategy",
    description: "weighted round robin",
    selector() {
      let scores: number[] = [];
      return {
        select(backends) {
          let best = -1;
          let total = 0;
          for (let i = 0; i < backends.length; i++) {
            const backend = backends[i]!;
            if (!backend.healthy) continue;
            scores[i]! += backend.weight;
            total += backend.weight;
            if (best < 0 || scores[i]! > scores[best]!) best = i;
          }
          scores[best]! -= total;
          return best;
        },
        backendsChanged(backends) {
          // Scores belong to positions that just shifted: start a fresh cycle.
          scores = backends.map(() => 0);
        },
      };
    },
  };
}

/** A healthy backend drawn uniformly at random (from the balancer's "strategy" stream). */
export function random(): LoadBalancingStrategy {
  return {
    kind: "loadBalancingStrategy",
    description: "random",
    selector(stream) {
      return {
        select(backends, healthyCount) {
          return nthHealthy(backends, healthyCount, stream.integer(healthyCount));
        },
      };
    },
  };
}

/**
 * Picks the healthy backend whose `score` is lowest; ties go to the first one at or after a
 * rotating start, so equally loaded backends take turns (at low load, when every count is 0,
 * a fixed tie-break would send everything to the first backend).
 */
function lowestScore(
  description: string,
  score: (backend: BackendState) => number,
): LoadBalancingStrategy {
  return {
    kind: "loadBalancingStrategy",
    description,
    selector() {
      let start = 0;
      return {
        select(backends) {
          const n = backends.length;
          let best = -1;
          let bestScore = Number.POSITIVE_INFINITY;
          for (let k = 0; k < n; k++) {
            const i = (start + k) % n;
            const backend = backends[i]!;
            if (!backend.healthy) continue;
            const s = score(backend);
            if (best < 0 || s < bestScore) {
              best = i;
              bestScore = s;
            }
          }
          start = best + 1;
          return best;
        },
      };
    },
  };
}

/** The healthy backend with the fewest requests in flight from this balancer. */
export function leastConnections(): LoadBalancingStrategy {
  return lowestScore("least connections", (backend) => backend.inFlight);
}

/**
 * The healthy backend with the lowest (in flight + 1) / weight: the load it would have per
 * unit of weight after taking this request. The + 1 makes weights count at low load too (with
 * nothing in flight, in flight / weight is 0 everywhere and weights would be ignored).
 */
export function weightedLeastConnections(): LoadBalancingStrategy {
  return lowestScore(
    "weighted least connections",
    (backend) => (backend.inFlight + 1) / backend.weight,
  );
}

/**
 * The healthy backend with the lowest expected wait: smoothed response time x (in flight + 1).
 * Response time alone would send every request to the fastest backend until its next answer
 * moves the average (a herd); multiplying by the requests it already has spreads them. A
 * backend with no answer yet is assumed as fast as the fastest measured one, so it is tried
 * early without taking all the traffic. The smoothing is the balancer's
 * `responseTimeSmoothing`; a timeout counts as a response that took the whole timeout.
 */
export function leastResponseTime(): LoadBalancingStrategy {
  return {
    kind: "loadBalancingStrategy",
    description: "least response time",
    selector() {
      let start = 0;
      return {
        select(backends) {
          const n = backends.length;
          let fastest = Number.POSITIVE_INFINITY;
          for (let i = 0; i < n; i++) {
            const backend = backends[i]!;
            if (backend.healthy && backend.responseTime < fastest) fastest = backend.responseTime;
          }
          // No measurement at all: every estimate is equal, the score is least connections.
          if (fastest === Number.POSITIVE_INFINITY) fastest = 1;
          let best = -1;
          let bestScore = Number.POSITIVE_INFINITY;
          for (let k = 0; k < n; k++) {
            const i = (start + k) % n;
            const backend = backends[i]!;
            if (!backend.healthy) continue;
            const estimate = Number.isNaN(backend.responseTime) ? fastest : backend.responseTime;
            const s = estimate * (backend.inFlight + 1);
            if (best < 0 || s < bestScore) {
              best = i;
              bestScore = s;
            }
          }
          start = best + 1;
          return best;
        },
      };
    },
  };
}

function requireKey<Req>(api: string, options: { key: (request: Message<Req>) => string }) {
  const key = options?.key;
  if (typeof key !== "function") {
    throw new ConfigError(api, "key", "a function (request) => string", key);
  }
  return key;
}

function keyOf<Req>(api: string, key: (request: Message<Req>) => string, request: Message<Req>) {
  const value = key(request);
  if (typeof value !== "string") {
    throw new ConfigError(api, "key", "a function returning a string", value);
  }
  return ringHash(value);
}

/**
 * Hash of `key(request)` modulo the number of healthy backends: the same key reaches the same
 * backend while the healthy set stays the same (sticky sessions by client address). Any
 * change to that set remaps almost every key; `consistentHash` does not.
 */
export function ipHash<Req>(options: {
  /** The request's key (a client address, a session id). */
  key: (request: Message<Req>) => string;
}): LoadBalancingStrategy<Req> {
  const api = "strategy.ipHash";
  const key = requireKey(api, options);
  return {
    kind: "loadBalancingStrategy",
    description: "IP hash",
    selector() {
      return {
        select(backends, healthyCount, request) {
          return nthHealthy(backends, healthyCount, keyOf(api, key, request) % healthyCount);
        },
      };
    },
  };
}

/**
 * A hash ring: each backend owns `virtualNodes` points, hashed from its name, and a key goes to
 * the owner of the first point at or after the key's hash (clockwise), skipping unhealthy
 * owners. Adding or removing one of n backends moves only the keys of the arcs it gains or
 * loses, about 1/n of them, and nothing else; marking one unhealthy moves only its own keys,
 * each to the next owner on the ring, and they come back when it recovers. More virtual nodes
 * even out the shares (with 100, each backend's share is within about 10% of 1/n).
 */
export function consistentHash<Req>(options: {
  /** The request's key (a user id, a cache key). */
  key: (request: Message<Req>) => string;
  /** Points per backend on the ring (integer >= 1). Default 100. */
  virtualNodes?: number;
}): LoadBalancingStrategy<Req> {
  const api = "strategy.consistentHash";
  const key = requireKey(api, options);
  const virtualNodes = options.virtualNodes ?? 100;
  if (!Number.isSafeInteger(virtualNodes) || virtualNodes < 1) {
    throw new ConfigError(api, "virtualNodes", "an integer >= 1", virtualNodes);
  }
  return {
    kind: "loadBalancingStrategy",
    description: `consistent hash (${virtualNodes} virtual nodes)`,
    selector() {
      const ring = new HashRing(virtualNodes);
      return {
        select(backends, _healthyCount, request) {
          // The first point at or after the key's hash; unhealthy owners are skipped clockwise.
          const first = ring.firstPointAt(keyOf(api, key, request));
          for (let k = 0; k < ring.size; k++) {
            const owner = ring.ownerAt(first + k);
            if (backends[owner]!.healthy) return owner;
          }
          return -1;
        },
        backendsChanged(backends) {
          ring.rebuild(backends.map((backend) => backend.name));
        },
      };
    },
  };
}

/**
 * Two healthy backends drawn at random (distinct when there are two or more), and the one with
 * fewer requests in flight; a tie goes to the first drawn. Two probes instead of a scan of all
 * n backends, yet the longest queue grows like log log n instead of log n / log log n for one
 * random choice (Mitzenmacher, "The Power of Two Choices in Randomized Load Balancing", 2001).
 */
export function powerOfTwoChoices(): LoadBalancingStrategy {
  return {
    kind: "loadBalancingStrategy",
    description: "power of two choices",
    selector(stream) {
      return {
        select(backends, healthyCount) {
          const first = stream.integer(healthyCount);
          if (healthyCount === 1) return nthHealthy(backends, healthyCount, first);
          // A second draw among the other healthyCount - 1, shifted past the first.
          let second = stream.integer(healthyCount - 1);
          if (second >= first) second++;
          const a = nthHealthy(backends, healthyCount, first);
          const b = nthHealthy(backends, healthyCount, second);
          return backends[b]!.inFlight < backends[a]!.inFlight ? b : a;
        },
      };
    },
  };
}

/** True if `value` is a strategy made by one of the builders above (or shaped like one). */
export function isLoadBalancingStrategy(value: unknown): value is LoadBalancingStrategy<never> {
  return (
    typeof value === "object" &&
    value !== null &&
    (value as { kind?: unknown }).kind === "loadBalancingStrategy" &&
    typeof (value as { selector?: unknown }).selector === "function"
  );
}
