/**
 * Random compositions for the whole-model invariant tests: a plain-data description of a model
 * (`ModelSpec`), a fast-check arbitrary that draws one (`modelSpec`), and `buildModel`, which
 * turns a description and a seed into a simulation plus handles on every entity, so the
 * invariants (`./invariants.ts`) can read each component's stats after the run.
 *
 * Shape of a model: a Source (Poisson or bursts, stopping after a count) drives a Client
 * (random timeout, retry policy, optional retry budget), or a PooledClient over a
 * ConnectionPool (random minimum and maximum, connect latency, acquire and idle timeouts), or
 * ClosedLoopClients (random users, think time and timeout, stopping after a count) replace
 * both; either way the target is a chain of 0-3 proxies
 * (Hedge, CircuitBreaker, Bulkhead, TimeoutWrapper, Fallback) optionally ended by a
 * LoadBalancer over 1-4 backends (optionally with a HealthChecker), ending in servers of random
 * kinds (Server with a number, dynamic or weighted concurrency; ThreadPool; AsyncServer,
 * possibly with a downstream Server), optionally over a Network with lossy, jittery links, with
 * crash/recover schedules of servers, proxies and the connection pool that all heal before the
 * run ends, and in some runs a `sim.resetStats()` (a warm-up's end) at a random time.
 *
 * Everything is plain data so that fast-check can print and shrink a counterexample, and a
 * failing one can be pasted into a regression test as it is.
 */
import fc from "fast-check";
import type { RetryPolicy } from "../../src/components/client/retryPolicies.js";
import { RequestLedger } from "../../src/components/shared/requestLedger.js";
import type { Message } from "../../src/core/message.js";
import {
  AsyncServer,
  arrivals as arrivalProcesses,
  Bulkhead,
  CircuitBreaker,
  Client,
  ClosedLoopClients,
  ConnectionPool,
  checkParamNames,
  checkTargetsExist,
  concurrency,
  type DynamicConcurrency,
  dist,
  type Entity,
  Fallback,
  type FaultKind,
  FaultSchedule,
  HealthChecker,
  Hedge,
  LoadBalancer,
  Network,
  NetworkLink,
  PooledClient,
  Probe,
  type RandomFaultClass,
  randomFaultSchedule,
  retry,
  Server,
  Simulation,
  Source,
  strategy,
  ThreadPool,
  TimeoutWrapper,
} from "../../src/index.js";

// ---------------------------------------------------------------------------------------------
// The description

export type Concurrency =
  | { readonly type: "number"; readonly n: number }
  | {
      readonly type: "dynamic";
      readonly initial: number;
      readonly max: number;
      /** setLimit(n) at each time (seconds); n is clamped into [1, max] when built. */
      readonly changes: readonly { readonly at: number; readonly n: number }[];
    }
  | { readonly type: "weighted"; readonly capacity: number; readonly maxWeight: number };

export type ServerSpec =
  | {
      readonly kind: "server";
      readonly concurrency: Concurrency;
      readonly serviceMean: number;
      readonly lifo: boolean;
      readonly queueCapacity: number | null;
    }
  | {
      readonly kind: "threadPool";
      readonly workers: number;
      readonly taskMean: number;
      readonly lifo: boolean;
      readonly queueCapacity: number | null;
    }
  | {
      readonly kind: "async";
      readonly maxConnections: number;
      readonly cpuMean: number;
      readonly ioMean: number | null;
      readonly ioCalls: number;
      /** A plain Server called in each I/O wait, with this timeout (null: none). */
      readonly downstream: { readonly serviceMean: number; readonly timeout: number | null } | null;
    };

export type LeafServerSpec = Extract<ServerSpec, { kind: "server" }>;

export type ProxySpec =
  | {
      readonly kind: "hedge";
      readonly hedgeAfter: number;
      readonly maxHedges: number;
      readonly timeout: number | null;
      readonly budget: { readonly ratio: number; readonly burst: number } | null;
      /** Copies go to a second server built like the chain's end (else to the target itself). */
      readonly alternate: boolean;
    }
  | {
      readonly kind: "breaker";
      readonly failureThreshold: number;
      readonly openDuration: number;
      readonly halfOpenSuccesses: number;
      readonly timeout: number | null;
    }
  | {
      readonly kind: "bulkhead";
      readonly maxConcurrent: number;
      readonly maxWaiting: number;
      readonly maxWait: number | null;
      readonly timeout: number | null;
    }
  | { readonly kind: "timeoutWrapper"; readonly timeout: number }
  | {
      readonly kind: "fallback";
      readonly timeout: number | null;
      /** "function": answered at once; otherwise a Server called with `fallbackTimeout`. */
      readonly fallback:
        | "function"
        | { readonly server: LeafServerSpec; readonly fallbackTimeout: number | null };
    };

export type StrategyName =
  | "roundRobin"
  | "weightedRoundRobin"
  | "random"
  | "leastConnections"
  | "weightedLeastConnections"
  | "leastResponseTime"
  | "ipHash"
  | "consistentHash"
  | "powerOfTwoChoices";

export interface BalancerSpec {
  readonly strategy: StrategyName;
  readonly backends: readonly { readonly server: ServerSpec; readonly weight: number }[];
  readonly timeout: number | null;
  readonly health: {
    readonly interval: number;
    readonly timeout: number;
    readonly unhealthyThreshold: number;
    readonly healthyThreshold: number;
  } | null;
}

export type RetrySpec =
  | { readonly kind: "none" }
  | { readonly kind: "fixed"; readonly maxAttempts: number; readonly delay: number }
  | {
      readonly kind: "exponential";
      readonly maxAttempts: number;
      readonly initial: number;
      readonly jitter: "none" | "full" | "equal";
    }
  | { readonly kind: "decorrelated"; readonly maxAttempts: number; readonly base: number };

export interface PoolSpec {
  readonly minConnections: number;
  readonly maxConnections: number;
  /** Mean of an exponential connect latency (0: instant). */
  readonly connectMean: number;
  readonly acquireTimeout: number;
  readonly idleTimeout: number;
}

export interface ClosedLoopSpec {
  readonly users: number;
  /** Mean of an exponential think time (0: none). */
  readonly thinkMean: number;
  readonly timeout: number | null;
  readonly count: number;
}

/**
 * What drives the chain: the Source and a Client, the Source and a PooledClient over a
 * ConnectionPool whose target is the chain (the client's retry, timeout and budget apply to it
 * alike), or ClosedLoopClients calling the chain directly (then `arrivals`, `count` and
 * `client` are unused).
 */
export type FrontSpec =
  | { readonly kind: "client" }
  | { readonly kind: "pooled"; readonly pool: PoolSpec }
  | { readonly kind: "closedLoop"; readonly users: ClosedLoopSpec };

export interface ModelSpec {
  readonly seed: number;
  readonly front: FrontSpec;
  readonly arrivals:
    | { readonly kind: "poisson"; readonly rate: number }
    | {
        readonly kind: "bursts";
        readonly size: number;
        readonly every: number;
        readonly spread: number;
      };
  readonly count: number;
  readonly client: {
    readonly timeout: number | null;
    readonly retry: RetrySpec;
    readonly budget: { readonly ratio: number; readonly burst: number } | null;
  };
  /** Proxies from the client inwards. */
  readonly chain: readonly ProxySpec[];
  /** Ends the chain when given; otherwise `server` does. */
  readonly balancer: BalancerSpec | null;
  readonly server: ServerSpec;
  readonly network: {
    readonly latencyMean: number;
    readonly jitter: boolean;
    readonly loss: number;
  } | null;
  /** Crash `victim` (an index into the crashable entities, modulo their count) at `at` for `downFor` s. */
  readonly crashes: readonly {
    readonly victim: number;
    readonly at: number;
    readonly downFor: number;
  }[];
  /** `sim.resetStats()` at this time (seconds), or never. */
  readonly resetAt: number | null;
  /**
   * A fault schedule drawn from `seed` over the built model (see `faultClasses`): crashes of
   * both kinds and network faults, every one healed before the run ends. Used with `crashes`
   * empty (the schedule's crashes replace them) and a network.
   */
  readonly faults?: FaultsSpec | null;
}

/** The classes of faults a random schedule mixes (see `faultClasses` for what each is). */
export const FAULT_CLASSES = [
  "host-crash",
  "process-crash",
  "partition",
  "loss",
  "latency",
  "duplication",
  "reordering",
  "clog",
  "swizzle-clog",
] as const;

export type FaultClassName = (typeof FAULT_CLASSES)[number];

export interface FaultsSpec {
  /** The schedule's root seed. */
  readonly seed: number;
  readonly classes: readonly FaultClassName[];
}

// ---------------------------------------------------------------------------------------------
// The arbitrary

/** Seconds, rounded to the microsecond so counterexamples print short. */
const seconds = (min: number, max: number) =>
  fc.integer({ min: Math.round(min * 1e6), max: Math.round(max * 1e6) }).map((us) => us / 1e6);

const maybe = <T>(arb: fc.Arbitrary<T>) => fc.option(arb, { nil: null });

const queueCapacity = maybe(fc.integer({ min: 0, max: 20 }));

const concurrencyArb: fc.Arbitrary<Concurrency> = fc.oneof(
  fc.record({ type: fc.constant("number" as const), n: fc.integer({ min: 1, max: 6 }) }),
  fc
    .record({
      type: fc.constant("dynamic" as const),
      initial: fc.integer({ min: 1, max: 6 }),
      extra: fc.integer({ min: 0, max: 6 }),
      changes: fc.array(fc.record({ at: seconds(0, 2), n: fc.integer({ min: 1, max: 12 }) }), {
        maxLength: 4,
      }),
    })
    .map(({ initial, extra, changes }) => ({
      type: "dynamic" as const,
      initial,
      max: initial + extra,
      changes,
    })),
  fc.record({
    type: fc.constant("weighted" as const),
    capacity: fc.integer({ min: 1, max: 8 }),
    maxWeight: fc.integer({ min: 1, max: 10 }),
  }),
);

const leafServerArb: fc.Arbitrary<LeafServerSpec> = fc.record({
  kind: fc.constant("server" as const),
  concurrency: concurrencyArb,
  serviceMean: seconds(0.0005, 0.03),
  lifo: fc.boolean(),
  queueCapacity,
});

const serverArb: fc.Arbitrary<ServerSpec> = fc.oneof(
  leafServerArb,
  fc.record({
    kind: fc.constant("threadPool" as const),
    workers: fc.integer({ min: 1, max: 6 }),
    taskMean: seconds(0.0005, 0.03),
    lifo: fc.boolean(),
    queueCapacity,
  }),
  fc
    .record({
      kind: fc.constant("async" as const),
      maxConnections: fc.integer({ min: 1, max: 50 }),
      cpuMean: seconds(0.0001, 0.01),
      ioMean: maybe(seconds(0.001, 0.05)),
      ioCalls: fc.integer({ min: 0, max: 3 }),
      downstream: maybe(
        fc.record({ serviceMean: seconds(0.0005, 0.02), timeout: maybe(seconds(0.005, 0.2)) }),
      ),
    })
    .map((s) => ({
      ...s,
      // An I/O wait needs ioTime or a downstream.
      ioCalls: s.ioMean === null && s.downstream === null ? 0 : s.ioCalls,
    })),
);

const proxyArb: fc.Arbitrary<ProxySpec> = fc.oneof(
  fc.record({
    kind: fc.constant("hedge" as const),
    hedgeAfter: seconds(0.001, 0.05),
    maxHedges: fc.integer({ min: 1, max: 3 }),
    timeout: maybe(seconds(0.005, 0.3)),
    budget: maybe(
      fc.record({
        ratio: fc.integer({ min: 1, max: 100 }).map((p) => p / 100),
        burst: fc.integer({ min: 1, max: 10 }),
      }),
    ),
    alternate: fc.boolean(),
  }),
  fc.record({
    kind: fc.constant("breaker" as const),
    failureThreshold: fc.integer({ min: 1, max: 6 }),
    openDuration: seconds(0.005, 0.3),
    halfOpenSuccesses: fc.integer({ min: 1, max: 3 }),
    timeout: maybe(seconds(0.005, 0.3)),
  }),
  fc
    .record({
      kind: fc.constant("bulkhead" as const),
      maxConcurrent: fc.integer({ min: 1, max: 6 }),
      maxWaiting: fc.integer({ min: 0, max: 6 }),
      maxWait: maybe(seconds(0.001, 0.2)),
      timeout: maybe(seconds(0.005, 0.3)),
    })
    .map((b) => ({ ...b, maxWait: b.maxWaiting === 0 ? null : b.maxWait })),
  fc.record({ kind: fc.constant("timeoutWrapper" as const), timeout: seconds(0.002, 0.3) }),
  fc.record({
    kind: fc.constant("fallback" as const),
    timeout: maybe(seconds(0.005, 0.3)),
    fallback: fc.oneof(
      fc.constant("function" as const),
      fc.record({ server: leafServerArb, fallbackTimeout: maybe(seconds(0.005, 0.3)) }),
    ),
  }),
);

const strategyArb = fc.constantFrom<StrategyName>(
  "roundRobin",
  "weightedRoundRobin",
  "random",
  "leastConnections",
  "weightedLeastConnections",
  "leastResponseTime",
  "ipHash",
  "consistentHash",
  "powerOfTwoChoices",
);

const balancerArb: fc.Arbitrary<BalancerSpec> = fc.record({
  strategy: strategyArb,
  backends: fc.array(fc.record({ server: serverArb, weight: fc.integer({ min: 1, max: 4 }) }), {
    minLength: 1,
    maxLength: 4,
  }),
  timeout: maybe(seconds(0.005, 0.3)),
  health: maybe(
    fc
      .record({
        interval: seconds(0.02, 0.5),
        timeoutShare: fc.integer({ min: 1, max: 100 }),
        unhealthyThreshold: fc.integer({ min: 1, max: 3 }),
        healthyThreshold: fc.integer({ min: 1, max: 3 }),
      })
      .map(({ interval, timeoutShare, ...rest }) => ({
        interval,
        // At most the interval, as the checker requires.
        timeout: Math.max(1e-6, Math.round(((interval * timeoutShare) / 100) * 1e6) / 1e6),
        ...rest,
      })),
  ),
});

const retryArb: fc.Arbitrary<RetrySpec> = fc.oneof(
  fc.constant({ kind: "none" as const }),
  fc.record({
    kind: fc.constant("fixed" as const),
    maxAttempts: fc.integer({ min: 1, max: 5 }),
    delay: seconds(0, 0.05),
  }),
  fc.record({
    kind: fc.constant("exponential" as const),
    maxAttempts: fc.integer({ min: 1, max: 5 }),
    initial: seconds(0.0001, 0.02),
    jitter: fc.constantFrom("none" as const, "full" as const, "equal" as const),
  }),
  fc.record({
    kind: fc.constant("decorrelated" as const),
    maxAttempts: fc.integer({ min: 1, max: 5 }),
    base: seconds(0.0001, 0.02),
  }),
);

const poolArb: fc.Arbitrary<PoolSpec> = fc
  .record({
    minConnections: fc.integer({ min: 0, max: 3 }),
    extra: fc.integer({ min: 0, max: 6 }),
    connectMean: fc.oneof(fc.constant(0), seconds(0.0001, 0.02)),
    acquireTimeout: seconds(0.002, 0.5),
    idleTimeout: seconds(0.002, 1),
  })
  .map(({ minConnections, extra, ...rest }) => ({
    minConnections,
    maxConnections: Math.max(1, minConnections + extra),
    ...rest,
  }));

const closedLoopArb: fc.Arbitrary<ClosedLoopSpec> = fc.record({
  users: fc.integer({ min: 1, max: 30 }),
  thinkMean: fc.oneof(fc.constant(0), seconds(0.0001, 0.1)),
  timeout: maybe(seconds(0.002, 0.5)),
  count: fc.integer({ min: 1, max: 250 }),
});

const frontArb: fc.Arbitrary<FrontSpec> = fc.oneof(
  { arbitrary: fc.constant({ kind: "client" as const }), weight: 2 },
  { arbitrary: fc.record({ kind: fc.constant("pooled" as const), pool: poolArb }), weight: 1 },
  {
    arbitrary: fc.record({ kind: fc.constant("closedLoop" as const), users: closedLoopArb }),
    weight: 1,
  },
);

export const modelSpec: fc.Arbitrary<ModelSpec> = fc.record({
  seed: fc.integer({ min: 0, max: 2 ** 31 - 1 }),
  front: frontArb,
  arrivals: fc.oneof(
    fc.record({ kind: fc.constant("poisson" as const), rate: fc.integer({ min: 20, max: 800 }) }),
    fc
      .record({
        kind: fc.constant("bursts" as const),
        size: fc.integer({ min: 1, max: 40 }),
        every: seconds(0.01, 0.5),
        spreadShare: fc.integer({ min: 0, max: 100 }),
      })
      .map(({ kind, size, every, spreadShare }) => ({
        kind,
        size,
        every,
        spread: Math.round(((every * spreadShare) / 100) * 1e6) / 1e6,
      })),
  ),
  count: fc.integer({ min: 1, max: 250 }),
  client: fc.record({
    timeout: maybe(seconds(0.002, 0.5)),
    retry: retryArb,
    budget: maybe(
      fc.record({
        ratio: fc.integer({ min: 1, max: 100 }).map((p) => p / 100),
        burst: fc.integer({ min: 1, max: 10 }),
      }),
    ),
  }),
  chain: fc.array(proxyArb, { maxLength: 3 }),
  balancer: maybe(balancerArb),
  server: serverArb,
  network: maybe(
    fc.record({
      latencyMean: seconds(0, 0.005),
      jitter: fc.boolean(),
      loss: fc.oneof(
        fc.constant(0),
        fc.integer({ min: 1, max: 100 }).map((p) => p / 1000),
      ),
    }),
  ),
  crashes: fc.array(
    fc.record({ victim: fc.nat(), at: seconds(0, 2), downFor: seconds(0.001, 0.5) }),
    { maxLength: 4 },
  ),
  // A third of the runs restart their statistics somewhere in the busy part of the run.
  resetAt: fc.oneof(
    { arbitrary: fc.constant(null), weight: 2 },
    { arbitrary: seconds(0, 2), weight: 1 },
  ),
});

/**
 * A composition under a random fault schedule: a network always (the network faults need
 * one), no hand-written crashes (the schedule's replace them), and two or more fault classes.
 * Drawn apart from `modelSpec`, whose draws stay as they were.
 */
export const faultyModelSpec: fc.Arbitrary<ModelSpec> = fc
  .record({
    model: modelSpec,
    network: fc.record({
      latencyMean: seconds(0, 0.005),
      jitter: fc.boolean(),
      loss: fc.oneof(
        fc.constant(0),
        fc.integer({ min: 1, max: 50 }).map((p) => p / 1000),
      ),
    }),
    faults: fc.record({
      seed: fc.integer({ min: 0, max: 2 ** 31 - 1 }),
      classes: fc.subarray([...FAULT_CLASSES], { minLength: 2 }),
    }),
  })
  .map(({ model, network, faults }) => ({
    ...model,
    network: model.network ?? network,
    crashes: [],
    faults,
  }));

// ---------------------------------------------------------------------------------------------
// Building

/** The source stops after its count or this many seconds, whichever comes first. */
export const SOURCE_SECONDS = 3;

/** Every component of a built model, by role, for the invariant checks. */
export interface BuiltModel {
  readonly sim: Simulation;
  readonly spec: ModelSpec;
  /** The Source, unless ClosedLoopClients drive the chain. */
  readonly source: Source<number> | null;
  /** The Client or PooledClient the source drives (null with ClosedLoopClients). */
  readonly client: Client<number, number> | PooledClient<number, number> | null;
  /** The PooledClient's pool and its description. */
  readonly pooled: {
    readonly client: PooledClient<number, number>;
    readonly pool: ConnectionPool<number, number>;
    readonly spec: PoolSpec;
  } | null;
  readonly closedLoop: {
    readonly entity: ClosedLoopClients<number, number>;
    readonly spec: ClosedLoopSpec;
  } | null;
  readonly servers: Server<number, number>[];
  readonly dynamicLimits: Map<Server<number, number>, DynamicConcurrency<number>>;
  readonly pools: ThreadPool<number, number>[];
  readonly asyncServers: AsyncServer<number, number>[];
  readonly hedges: {
    readonly entity: Hedge<number, number>;
    readonly spec: Extract<ProxySpec, { kind: "hedge" }>;
  }[];
  readonly breakers: CircuitBreaker<number, number>[];
  readonly bulkheads: {
    readonly entity: Bulkhead<number, number>;
    readonly spec: Extract<ProxySpec, { kind: "bulkhead" }>;
  }[];
  readonly wrappers: TimeoutWrapper<number, number>[];
  readonly fallbacks: {
    readonly entity: Fallback<number, number>;
    readonly usesFunction: boolean;
  }[];
  readonly balancers: LoadBalancer<number, number>[];
  readonly checkers: HealthChecker<number>[];
  readonly links: NetworkLink[];
  /**
   * Capacity limits broken at any sample (every millisecond, a daemon probe): a server using
   * more than its limit (fixed or weighted), a pool with more busy workers than workers, an
   * async server with more connections than allowed, a bulkhead with more forwarded than
   * maxConcurrent or more waiting than maxWaiting; a request ledger (of any entity) whose
   * identity (forwarded = succeeded + failed + timedOut + lostToCrash + inFlight) does not hold,
   * or a proxy or balancer whose admission identity (requests = refused + waiting + lost while
   * waiting + forwarded) does not, crashed, reset or not; a proxy whose crash added to what it
   * counts lost other than the number of its live processes (one per request it held); a connection pool with more connections open or opening than its
   * maximum, or whose open connections are not created - closed; closed-loop users with more
   * requests outstanding than users, or fewer than their outstanding calls. Each entry names
   * the entity and the time.
   */
  readonly violations: string[];
  /** Entities that wait on some call without a timeout: they may wait forever for a lost answer. */
  readonly waitsWithoutTimeout: Set<Entity>;
  /** Entities the crash schedule crashed at least once, with the times of their crashes. */
  readonly crashed: Map<Entity, number[]>;
  /** Whether any answer can be lost (a crash, a lossy link). */
  readonly lossPossible: boolean;
  /**
   * Every caller-to-callee edge whose callees no one else calls: `sent()` is how many requests
   * the caller says it sent them (from its stats), which the callees must have received or
   * dropped while down, when no link loses messages.
   */
  readonly edges: readonly {
    readonly label: string;
    readonly to: readonly Entity[];
    readonly sent: () => number;
  }[];
  /** The last time a crash, recovery, limit change or statistics reset is scheduled at (seconds). */
  readonly lastScheduled: number;
  /** Every request ledger of every entity (found by `ledgersOf`), with its owner. */
  readonly ledgers: readonly { readonly entity: Entity; readonly ledger: RequestLedger }[];
  /** The network, if the model has one. */
  readonly network: Network | null;
  /** The random fault schedule applied (`spec.faults`), or null. */
  readonly schedule: FaultSchedule | null;
  /** Proxies and balancers: a crash adds exactly their live processes to what they count lost. */
  readonly proxies: ReadonlySet<Entity>;
  /**
   * Messages crossing the network, counted on the trace stream while a fault schedule runs:
   * `sent` (between two entities), `arrived` (delivered, or dropped at the target: down, a
   * late or unawaited reply) and `dropped` at the network, by reason (loss, partition,
   * fault-loss, link-down, network-down). Null without a schedule.
   */
  readonly messages: {
    sent: number;
    arrived: number;
    readonly dropped: Map<string, number>;
  } | null;
}

/**
 * `process-crash`: each target's process crashes (its host stays up, so its callers' open
 * calls are reset at once) and recovers when the fault ends; a target already down is left
 * alone. A test-local kind until the built-in `crash` takes a crash kind. Effects as `crash`'s:
 * `crashes`, `processesCancelled`, and the target's metrics named "lost", counted.
 */
const processCrash: FaultKind = {
  name: "process-crash",
  description: "each target's process crashes (callers reset) and recovers when the fault ends",
  check(fault, index, sim) {
    checkTargetsExist(fault, index, sim);
    checkParamNames(fault, index, []);
  },
  activate(fault, context) {
    const effects: Record<string, number> = {};
    const add = (key: string, amount: number) => {
      if (amount !== 0) effects[key] = (effects[key] ?? 0) + amount;
    };
    const lost = (entity: Entity<unknown, unknown>) =>
      Object.entries(entity.metrics()).filter(
        (entry): entry is [string, number] =>
          typeof entry[1] === "number" && /lost/i.test(entry[0]),
      );
    const crashed = fault.targets
      .map((name) => context.entity(name))
      .filter((entity) => entity.isUp);
    for (const entity of crashed) {
      const before = new Map(lost(entity));
      add("crashes", 1);
      add("processesCancelled", entity.liveProcessCount);
      entity.crash({ kind: "process" });
      for (const [key, value] of lost(entity)) add(key, value - (before.get(key) ?? 0));
    }
    return {
      detail: "",
      heal: () => {
        for (const entity of crashed) if (!entity.isUp) entity.recover();
      },
      effects: () => effects,
    };
  },
};

/** No fault starts after this (seconds): the busy part of a run, whose load lasts up to 3 s. */
const FAULT_HORIZON = 2.5;

/** The random classes for `spec.faults` over a built model's entities. */
function faultClasses(
  names: FaultClassName[],
  crashable: readonly Entity[],
  nodes: readonly Entity[],
): RandomFaultClass[] {
  const crashTargets = crashable.map((e) => e.name);
  const nodeNames = nodes.map((e) => e.name);
  const spell = (kind: string, params: RandomFaultClass["params"]): RandomFaultClass => ({
    name: kind,
    targets: ["net"],
    kind,
    timeBetweenFailures: 0.8,
    timeToRepair: 0.15,
    ...(params === undefined ? {} : { params }),
  });
  const crash = (name: FaultClassName, kind: string): RandomFaultClass[] =>
    crashTargets.length === 0
      ? []
      : [
          {
            name,
            targets: crashTargets,
            kind,
            timeBetweenFailures: 1.5,
            timeToRepair: 0.1,
            maxConcurrent: 2,
          },
        ];
  const byName: Record<FaultClassName, () => RandomFaultClass[]> = {
    "host-crash": () => crash("host-crash", "crash"),
    "process-crash": () => crash("process-crash", "process-crash"),
    partition: () => [
      {
        name: "partition",
        targets: ["net"],
        timeBetweenFailures: 0.6,
        timeToRepair: 0.15,
        partition: { nodes: nodeNames },
      },
    ],
    loss: () => [spell("loss", { probability: 0.3 })],
    latency: () => [spell("latency", { latency: 0.01, jitter: 0.005 })],
    duplication: () => [spell("duplication", { probability: 0.3, delay: 0.002 })],
    reordering: () => [spell("reordering", { window: 0.02 })],
    clog: () => [spell("clog", { nodes: [nodeNames[nodeNames.length - 1]!] })],
    "swizzle-clog": () => [spell("swizzle-clog", { nodes: nodeNames.slice(0, 3), interval: 0.02 })],
  };
  return names.flatMap((name) => byName[name]());
}

type Target = Entity<number, number>;

/** Builds the model `spec` describes, under simulation seed `seed` (default `spec.seed`). */
export function buildModel(spec: ModelSpec, seed = spec.seed): BuiltModel {
  const sim = new Simulation({ seed });
  let counter = 0;
  const name = (prefix: string) => `${prefix}-${counter++}`;
  const model = {
    sim,
    spec,
    servers: [] as Server<number, number>[],
    dynamicLimits: new Map<Server<number, number>, DynamicConcurrency<number>>(),
    pools: [] as ThreadPool<number, number>[],
    asyncServers: [] as AsyncServer<number, number>[],
    hedges: [] as BuiltModel["hedges"][number][],
    breakers: [] as CircuitBreaker<number, number>[],
    bulkheads: [] as BuiltModel["bulkheads"][number][],
    wrappers: [] as TimeoutWrapper<number, number>[],
    fallbacks: [] as BuiltModel["fallbacks"][number][],
    balancers: [] as LoadBalancer<number, number>[],
    checkers: [] as HealthChecker<number>[],
    links: [] as NetworkLink[],
    waitsWithoutTimeout: new Set<Entity>(),
    crashed: new Map<Entity, number[]>(),
    edges: [] as { label: string; to: Entity[]; sent: () => number }[],
    violations: [] as string[],
  };
  /** Servers and proxies, in creation order: what the crash schedule picks from. */
  const crashable: Entity[] = [];
  let lastScheduled = 0;

  const plainServer = (s: LeafServerSpec): Server<number, number> => {
    const c = s.concurrency;
    let option:
      | number
      | ReturnType<typeof concurrency.dynamic<number>>
      | ReturnType<typeof concurrency.weighted<number>>;
    let dynamic: DynamicConcurrency<number> | null = null;
    if (c.type === "number") option = c.n;
    else if (c.type === "dynamic") {
      dynamic = concurrency.dynamic<number>({ initial: c.initial, max: c.max });
      option = dynamic;
    } else {
      const maxWeight = c.maxWeight;
      option = concurrency.weighted<number>({
        capacity: c.capacity,
        // Payloads are request indexes (health checks carry none: weight 1).
        weight: (request: Message<number>) =>
          typeof request.payload === "number" ? 1 + (request.payload % maxWeight) : 1,
      });
    }
    const server = new Server<number, number>(sim, name("server"), {
      concurrency: option,
      serviceTime: dist.exponential(s.serviceMean),
      queuePolicy: s.lifo ? "lifo" : "fifo",
      ...(s.queueCapacity === null ? {} : { queueCapacity: s.queueCapacity }),
    });
    if (dynamic !== null && c.type === "dynamic") {
      model.dynamicLimits.set(server, dynamic);
      const limit = dynamic;
      for (const change of c.changes) {
        const n = Math.min(c.max, Math.max(1, change.n));
        sim.at(change.at, () => limit.setLimit(n));
        lastScheduled = Math.max(lastScheduled, change.at);
      }
    }
    model.servers.push(server);
    crashable.push(server);
    return server;
  };

  const anyServer = (s: ServerSpec): Target => {
    if (s.kind === "server") return plainServer(s);
    if (s.kind === "threadPool") {
      const pool = new ThreadPool<number, number>(sim, name("pool"), {
        workers: s.workers,
        taskTime: dist.exponential(s.taskMean),
        queuePolicy: s.lifo ? "lifo" : "fifo",
        ...(s.queueCapacity === null ? {} : { queueCapacity: s.queueCapacity }),
      });
      model.pools.push(pool);
      crashable.push(pool);
      return pool;
    }
    const downstream =
      s.downstream === null
        ? null
        : plainServer({
            kind: "server",
            concurrency: { type: "number", n: 2 },
            serviceMean: s.downstream.serviceMean,
            lifo: false,
            queueCapacity: null,
          });
    const server = new AsyncServer<number, number>(sim, name("async"), {
      maxConnections: s.maxConnections,
      cpuTime: dist.exponential(s.cpuMean),
      ...(s.ioMean === null ? {} : { ioTime: dist.exponential(s.ioMean) }),
      ...(downstream === null ? {} : { downstream }),
      ...(downstream !== null && s.downstream?.timeout != null
        ? { timeout: s.downstream.timeout }
        : {}),
      ioCalls: s.ioCalls,
    });
    if (downstream !== null && s.downstream?.timeout == null && s.ioCalls > 0) {
      model.waitsWithoutTimeout.add(server);
    }
    model.asyncServers.push(server);
    crashable.push(server);
    return server;
  };

  // The chain is built from the inside out: the end first, each proxy around what follows it.
  let inner: Target;
  /** Builds a fresh copy of the chain's end (for a hedge's alternate). */
  let buildEnd: () => Target;
  const balancer = spec.balancer;
  if (balancer !== null) {
    buildEnd = () => {
      const backends = balancer.backends.map((b) => ({
        backend: anyServer(b.server),
        weight: b.weight,
      }));
      const key = (request: Message<number>) => String(request.payload);
      const strategies = {
        roundRobin: () => strategy.roundRobin(),
        weightedRoundRobin: () => strategy.weightedRoundRobin(),
        random: () => strategy.random(),
        leastConnections: () => strategy.leastConnections(),
        weightedLeastConnections: () => strategy.weightedLeastConnections(),
        leastResponseTime: () => strategy.leastResponseTime(),
        ipHash: () => strategy.ipHash<number>({ key }),
        consistentHash: () => strategy.consistentHash<number>({ key }),
        powerOfTwoChoices: () => strategy.powerOfTwoChoices(),
      };
      const lb = new LoadBalancer<number, number>(sim, name("lb"), {
        backends,
        strategy: strategies[balancer.strategy]() as ReturnType<typeof strategy.roundRobin>,
        ...(balancer.timeout === null ? {} : { timeout: balancer.timeout }),
      });
      if (balancer.timeout === null) model.waitsWithoutTimeout.add(lb);
      const checkers: HealthChecker<number>[] = [];
      model.edges.push({
        label: `${lb.name} (and its checker) -> backends`,
        to: backends.map((b) => b.backend),
        sent: () => lb.stats.forwarded + checkers.reduce((n, c) => n + c.stats.checks, 0),
      });
      model.balancers.push(lb);
      crashable.push(lb);
      if (balancer.health !== null) {
        const checker = new HealthChecker<number>(sim, name("health"), {
          loadBalancer: lb as unknown as LoadBalancer<number, unknown>,
          ...balancer.health,
        });
        model.checkers.push(checker);
        checkers.push(checker);
        crashable.push(checker);
      }
      return lb;
    };
  } else {
    buildEnd = () => anyServer(spec.server);
  }
  inner = buildEnd();
  for (let i = spec.chain.length - 1; i >= 0; i--) {
    const p = spec.chain[i]!;
    const target = inner;
    let proxy: Target;
    switch (p.kind) {
      case "hedge": {
        const alternates = p.alternate ? [buildEnd()] : [];
        const hedge = new Hedge<number, number>(sim, name("hedge"), {
          target,
          alternates,
          hedgeAfter: p.hedgeAfter,
          maxHedges: p.maxHedges,
          ...(p.timeout === null ? {} : { timeout: p.timeout }),
          ...(p.budget === null ? {} : { budget: p.budget }),
        });
        if (p.timeout === null) model.waitsWithoutTimeout.add(hedge);
        model.hedges.push({ entity: hedge, spec: p });
        model.edges.push({
          label: `${hedge.name} -> target and alternates`,
          to: [target, ...alternates],
          sent: () => hedge.stats.forwarded + hedge.stats.hedgesSent,
        });
        proxy = hedge;
        break;
      }
      case "breaker": {
        const breaker = new CircuitBreaker<number, number>(sim, name("breaker"), {
          target,
          failureThreshold: p.failureThreshold,
          openDuration: p.openDuration,
          halfOpenSuccesses: p.halfOpenSuccesses,
          ...(p.timeout === null ? {} : { timeout: p.timeout }),
        });
        if (p.timeout === null) model.waitsWithoutTimeout.add(breaker);
        model.breakers.push(breaker);
        model.edges.push({
          label: `${breaker.name} -> target`,
          to: [target],
          sent: () => breaker.stats.forwarded,
        });
        proxy = breaker;
        break;
      }
      case "bulkhead": {
        const bulkhead = new Bulkhead<number, number>(sim, name("bulkhead"), {
          target,
          maxConcurrent: p.maxConcurrent,
          maxWaiting: p.maxWaiting,
          ...(p.maxWait === null ? {} : { maxWait: p.maxWait }),
          ...(p.timeout === null ? {} : { timeout: p.timeout }),
        });
        // Waiters without maxWait wait on slots, which a call without timeout may hold forever.
        if (p.timeout === null) model.waitsWithoutTimeout.add(bulkhead);
        model.bulkheads.push({ entity: bulkhead, spec: p });
        model.edges.push({
          label: `${bulkhead.name} -> target`,
          to: [target],
          sent: () => bulkhead.stats.forwarded,
        });
        proxy = bulkhead;
        break;
      }
      case "timeoutWrapper": {
        const wrapper = new TimeoutWrapper<number, number>(sim, name("deadline"), {
          target,
          timeout: p.timeout,
        });
        model.wrappers.push(wrapper);
        model.edges.push({
          label: `${wrapper.name} -> target`,
          to: [target],
          sent: () => wrapper.stats.forwarded,
        });
        proxy = wrapper;
        break;
      }
      case "fallback": {
        const fb = p.fallback;
        const fallbackServer = fb === "function" ? null : plainServer(fb.server);
        const fallback = new Fallback<number, number>(sim, name("fallback"), {
          primary: target,
          fallback: fallbackServer ?? ((request: Message<number>) => -1 - request.payload),
          ...(p.timeout === null ? {} : { timeout: p.timeout }),
          ...(fb !== "function" && fb.fallbackTimeout !== null
            ? { fallbackTimeout: fb.fallbackTimeout }
            : {}),
        });
        if (p.timeout === null || (fb !== "function" && fb.fallbackTimeout === null)) {
          model.waitsWithoutTimeout.add(fallback);
        }
        model.fallbacks.push({ entity: fallback, usesFunction: fb === "function" });
        model.edges.push({
          label: `${fallback.name} -> primary`,
          to: [target],
          sent: () => fallback.stats.forwarded,
        });
        proxy = fallback;
        break;
      }
    }
    crashable.push(proxy);
    inner = proxy;
  }

  let source: Source<number> | null = null;
  let client: Client<number, number> | PooledClient<number, number> | null = null;
  let pooled: BuiltModel["pooled"] = null;
  let closedLoop: BuiltModel["closedLoop"] = null;
  const front = spec.front;
  if (front.kind === "closedLoop") {
    const u = front.users;
    const users = new ClosedLoopClients<number, number>(sim, "users", {
      target: inner,
      users: u.users,
      thinkTime: u.thinkMean > 0 ? dist.exponential(u.thinkMean) : dist.constant(0),
      ...(u.timeout === null ? {} : { timeout: u.timeout }),
      // A time limit too, like the source's.
      stopAfter: { count: u.count, time: SOURCE_SECONDS },
    });
    if (u.timeout === null) model.waitsWithoutTimeout.add(users);
    model.edges.push({ label: "users -> target", to: [inner], sent: () => users.forwarded });
    closedLoop = { entity: users, spec: u };
  } else {
    const options = {
      ...(spec.client.timeout === null ? {} : { timeout: spec.client.timeout }),
      retryPolicy: retryPolicy(spec.client.retry),
      ...(spec.client.budget === null ? {} : { retryBudget: spec.client.budget }),
    };
    if (front.kind === "pooled") {
      const p = front.pool;
      const pool = new ConnectionPool<number, number>(sim, name("conn-pool"), {
        target: inner,
        minConnections: p.minConnections,
        maxConnections: p.maxConnections,
        connectLatency: p.connectMean > 0 ? dist.exponential(p.connectMean) : dist.constant(0),
        acquireTimeout: p.acquireTimeout,
        idleTimeout: p.idleTimeout,
      });
      const pooledClient = new PooledClient<number, number>(sim, "client", { pool, ...options });
      // Each attempt that got a connection sends one request over it.
      model.edges.push({
        label: "pooled client -> pool's target",
        to: [inner],
        sent: () => pooledClient.connectionWait.count,
      });
      crashable.push(pool);
      pooled = { client: pooledClient, pool, spec: p };
      client = pooledClient;
    } else {
      const plain = new Client<number, number>(sim, "client", { target: inner, ...options });
      model.edges.push({
        label: "client -> target",
        to: [inner],
        sent: () => plain.stats.forwarded,
      });
      client = plain;
    }
    if (spec.client.timeout === null) model.waitsWithoutTimeout.add(client);
    const a = spec.arrivals;
    source = new Source<number>(sim, "source", {
      target: client as unknown as Entity<number, unknown>,
      arrivals:
        a.kind === "poisson"
          ? arrivalProcesses.poisson(a.rate)
          : arrivalProcesses.bursts({ size: a.size, every: a.every, spread: a.spread }),
      // A time limit too, so a slow arrival process cannot stretch a model over minutes.
      stopAfter: { count: spec.count, time: SOURCE_SECONDS },
    });
  }

  let network: Network | null = null;
  if (spec.network !== null) {
    const n = spec.network;
    const link = new NetworkLink(sim, "link", {
      latency: n.latencyMean > 0 ? dist.exponential(n.latencyMean) : dist.constant(0),
      ...(n.jitter ? { jitter: dist.exponential(0.0005) } : {}),
      lossProbability: n.loss,
    });
    model.links.push(link);
    network = new Network(sim, "net", { defaultLink: link });
  }

  // A proxy runs one process per request it holds and nothing else, so a crash must add exactly
  // its live processes to what it counts lost (its ledger's lostToCrash, and a bulkhead's
  // waiters): checked at each crash, from outside the proxy.
  const lostToCrash = new Map<Entity, () => number>();
  const ledgerLost = (entity: Entity) =>
    ledgersOf(entity).reduce((n, ledger) => n + ledger.lostToCrash, 0);
  for (const { entity } of model.hedges) lostToCrash.set(entity, () => ledgerLost(entity));
  for (const entity of model.breakers) lostToCrash.set(entity, () => ledgerLost(entity));
  for (const { entity } of model.bulkheads) {
    lostToCrash.set(entity, () => ledgerLost(entity) + entity.stats.lostWaiting);
  }
  for (const entity of model.wrappers) lostToCrash.set(entity, () => ledgerLost(entity));
  for (const { entity } of model.fallbacks) lostToCrash.set(entity, () => ledgerLost(entity));
  for (const entity of model.balancers) lostToCrash.set(entity, () => ledgerLost(entity));
  const crashProxy = (victim: Entity, lost: () => number) => {
    const live = victim.liveProcessCount;
    const before = lost();
    victim.crash();
    if (lost() - before !== live) {
      model.violations.push(
        `${victim.name} crashed with ${live} requests in flight but counted ${lost() - before} lost at ${sim.now}`,
      );
    }
  };

  // Crashes: each a timer outside any entity; overlapping outages of one entity are skipped.
  const outages = new Map<Entity, { from: number; to: number }[]>();
  if (crashable.length > 0) {
    for (const crash of spec.crashes) {
      const victim = crashable[crash.victim % crashable.length]!;
      const list = outages.get(victim) ?? [];
      const from = crash.at;
      const to = crash.at + crash.downFor;
      if (list.some((o) => from <= o.to && o.from <= to)) continue;
      list.push({ from, to });
      outages.set(victim, list);
      model.crashed.set(victim, [...(model.crashed.get(victim) ?? []), from]);
      const lost = lostToCrash.get(victim);
      sim.at(from, () => (lost === undefined ? victim.crash() : crashProxy(victim, lost)));
      sim.at(to, () => victim.recover());
      lastScheduled = Math.max(lastScheduled, to);
    }
  }
  let schedule: FaultSchedule | null = null;
  let messages: BuiltModel["messages"] = null;
  const faults = spec.faults ?? null;
  if (faults !== null && network !== null) {
    // Nodes: every entity that sends or receives (the network, its link and the probe aside).
    const nodes = sim.entities.filter((e) => e !== network && !model.links.includes(e as never));
    const drawn = randomFaultSchedule({
      seed: faults.seed,
      horizon: FAULT_HORIZON,
      classes: faultClasses([...faults.classes], crashable, nodes),
    });
    schedule = new FaultSchedule(sim, drawn, { kinds: [processCrash] });
    for (const fault of drawn.faults) {
      lastScheduled = Math.max(lastScheduled, fault.at + (fault.for ?? 0));
      if (fault.kind !== "crash" && fault.kind !== "process-crash") continue;
      for (const name of fault.targets) {
        const victim = sim.entity(name)!;
        model.crashed.set(victim, [...(model.crashed.get(victim) ?? []), fault.at]);
      }
    }
    // A schedule's events are daemon events (they keep no run alive): this one is not, so the
    // run lasts until every fault has healed, as the hand-written crash timers make it.
    lastScheduled += 0.001;
    sim.at(lastScheduled, () => undefined);
    const counted = { sent: 0, arrived: 0, dropped: new Map<string, number>() };
    messages = counted;
    const atTarget = new Set(["target-down", "late-reply", "unawaited-reply"]);
    sim.onTrace((record) => {
      if (record.type === "message-sent") {
        if (record.source !== null && record.source !== record.target) counted.sent++;
      } else if (record.type === "message-delivered") {
        counted.arrived++;
      } else if (record.type === "message-dropped") {
        if (atTarget.has(record.reason)) counted.arrived++;
        else counted.dropped.set(record.reason, (counted.dropped.get(record.reason) ?? 0) + 1);
      }
    });
  }
  if (spec.resetAt !== null) {
    sim.at(spec.resetAt, () => sim.resetStats());
    lastScheduled = Math.max(lastScheduled, spec.resetAt);
  }
  const ledgers = sim.entities.flatMap((entity) =>
    ledgersOf(entity).map((ledger) => ({ entity, ledger })),
  );
  /** The engine's `received` counts restart at a reset; a component's own counts of held work do not. */
  const beforeReset = () => spec.resetAt === null || sim.now < spec.resetAt;
  // One probe samples every capacity limit of the model each millisecond.
  const violations = model.violations;
  new Probe(sim, "limits-probe", {
    interval: 0.001,
    read: () => {
      const at = sim.now;
      for (const server of model.servers) {
        const st = server.stats;
        // A dynamic limit lowered below the number in service is the documented exception.
        if (!model.dynamicLimits.has(server) && st.inUse > st.limit) {
          violations.push(`${server.name} inUse ${st.inUse} > limit ${st.limit} at ${at}`);
        }
        if (st.queued > server.queueCapacity)
          violations.push(`${server.name} queued ${st.queued} at ${at}`);
        if (st.requests !== st.completed + st.rejected + st.lostToCrash + st.active + st.queued)
          violations.push(`${server.name} requests identity broken at ${at}`);
      }
      for (const pool of model.pools) {
        const st = pool.stats;
        if (st.active > pool.workers || st.queued > pool.queueCapacity) {
          violations.push(`${pool.name} ${st.active} busy, ${st.queued} queued at ${at}`);
        }
        if (st.requests !== st.completed + st.rejected + st.lostToCrash + st.active + st.queued)
          violations.push(`${pool.name} requests identity broken at ${at}`);
      }
      for (const server of model.asyncServers) {
        const st = server.stats;
        if (st.active > server.maxConnections) {
          violations.push(`${server.name} ${st.active} connections at ${at}`);
        }
      }
      for (const { entity, spec: b } of model.bulkheads) {
        const st = entity.stats;
        if (st.active > b.maxConcurrent || st.queued > b.maxWaiting) {
          violations.push(`${entity.name} ${st.active} active, ${st.queued} queued at ${at}`);
        }
      }
      // Conservation, exact at every instant, crashes and resets included: every request ledger's
      // identity, whatever its component; then each component's admission (requests are
      // refused, waiting, lost while waiting, or forwarded), and until a reset, the engine's
      // count of requests received agrees.
      for (const { entity, ledger } of ledgers) {
        const settled = ledger.succeeded + ledger.failed + ledger.timedOut + ledger.lostToCrash;
        if (ledger.forwarded !== settled + ledger.inFlight || ledger.inFlight < 0) {
          violations.push(
            `${entity.name} ledger: forwarded ${ledger.forwarded}, settled ${settled}, in flight ${ledger.inFlight} at ${at}`,
          );
        }
      }
      const admitted = (entity: Entity, requests: number, accounted: number) => {
        if (requests !== accounted || (beforeReset() && requests !== entity.counters.received)) {
          violations.push(
            `${entity.name} received ${entity.counters.received}, requests ${requests}, accounted ${accounted} at ${at}`,
          );
        }
      };
      for (const { entity } of model.hedges) {
        admitted(entity, entity.stats.forwarded, entity.stats.forwarded);
      }
      for (const entity of model.breakers) {
        const st = entity.stats;
        admitted(entity, st.requests, st.rejected + st.forwarded);
      }
      for (const { entity } of model.bulkheads) {
        const st = entity.stats;
        admitted(entity, st.requests, st.rejected + st.queued + st.lostWaiting + st.forwarded);
      }
      for (const entity of model.wrappers) {
        admitted(entity, entity.stats.forwarded, entity.stats.forwarded);
      }
      for (const { entity } of model.fallbacks) {
        admitted(entity, entity.stats.forwarded, entity.stats.forwarded);
      }
      for (const entity of model.balancers) {
        const st = entity.stats;
        admitted(entity, st.requests, st.rejected + st.forwarded);
      }
      if (pooled !== null) {
        const pool = pooled.pool;
        const st = pool.stats;
        if (st.open + st.opening > pool.maxConnections || st.active > pool.maxConnections) {
          violations.push(
            `${pool.name} ${st.active} active, ${st.idle} idle, ${st.opening} opening at ${at}`,
          );
        }
        // A crash counts every connection it loses as closed, so this holds crashed or not.
        if (st.open !== st.connectionsCreated - st.connectionsClosed) {
          violations.push(
            `${pool.name} open ${st.open} != created ${st.connectionsCreated} - closed ${st.connectionsClosed} at ${at}`,
          );
        }
      }
      if (closedLoop !== null) {
        const users = closedLoop.entity;
        const outstanding = users.forwarded - users.succeeded - users.timedOut - users.failed;
        // A call leaves the call table when it is answered or times out, but the user counts
        // the outcome when it resumes, an event later at the same time (settling a future
        // never resumes a process synchronously): in between, outstanding exceeds the calls.
        if (outstanding > closedLoop.spec.users || outstanding < users.pendingCallCount) {
          violations.push(
            `${users.name} ${outstanding} outstanding, ${users.pendingCallCount} pending calls at ${at}`,
          );
        }
      }
      return violations.length;
    },
  });
  const lossPossible =
    model.crashed.size > 0 ||
    (spec.network !== null && spec.network.loss > 0) ||
    (schedule !== null && schedule.spec.faults.length > 0);
  return {
    ...model,
    source,
    client,
    pooled,
    closedLoop,
    lossPossible,
    lastScheduled,
    ledgers,
    network,
    schedule,
    proxies: new Set(lostToCrash.keys()),
    messages,
  };
}

/**
 * The request ledgers an entity is built from, found among its fields: any component that
 * forwards through one is checked, with no code for it here.
 */
export function ledgersOf(entity: Entity): RequestLedger[] {
  return Object.values(entity).filter((field) => field instanceof RequestLedger);
}

/**
 * Runs `model` until its load is done (the source stopped, or the closed-loop users reached
 * their count or time) and every scheduled crash, recovery and limit change has happened, then
 * stops the health checkers (by crashing them: a crashed checker stops checking). What is left
 * is the model draining, which `sim.run()` finishes.
 *
 * Why the checkers are stopped: a HealthChecker's rounds are daemon timers, but its checks are
 * ordinary messages and the work they cause at the backends is ordinary work, so a round whose
 * checks are still being served when the next round is due keeps the run going, and the next
 * round does the same: a run without `until` never drains when a check's round trip (queueing
 * at the backend included) is longer than the interval. See the report of the invariant tests.
 */
export function runToQuiet(model: BuiltModel, maxEvents: number): void {
  const { source, closedLoop, sim } = model;
  // Closed-loop users send nothing more once their count or time is up.
  const loadDone = () =>
    source !== null
      ? source.stopped
      : closedLoop!.entity.forwarded >= closedLoop!.spec.count || sim.now >= SOURCE_SECONDS;
  sim.runUntil(() => loadDone() && sim.now > model.lastScheduled, { maxEvents });
  for (const checker of model.checkers) checker.crash();
}

function retryPolicy(r: RetrySpec): RetryPolicy {
  switch (r.kind) {
    case "none":
      return retry.noRetry();
    case "fixed":
      return retry.fixed({ maxAttempts: r.maxAttempts, delay: r.delay });
    case "exponential":
      return retry.exponentialBackoff({
        maxAttempts: r.maxAttempts,
        initial: r.initial,
        max: 0.1,
        jitter: r.jitter,
      });
    case "decorrelated":
      return retry.decorrelatedJitter({
        maxAttempts: r.maxAttempts,
        base: r.base,
        cap: Math.max(r.base, 0.1),
      });
  }
}
