/**
 * Check model (`distsim check explore/distributed-lock.ts`): clients take turns holding a
 * lock from a `DistributedLock` and write under its fencing token to a `FencedStore`, while
 * the nemesis pauses clients (the GC pause of a lock holder), crashes and restarts them and
 * the lock service, steps the service's clock forward (leases expire early), cuts the network
 * (both ways and one way), loses and duplicates messages.
 *
 * Checked: the service's fresh grants carry strictly increasing tokens (`FencingTokens`), and
 * no write lands with a lower token than one already accepted ("no stale write accepted": a
 * holder whose lease another has since got cannot overwrite the newer holder). Split brain
 * happens here all the time (a paused holder wakes believing it still holds the lock); the
 * fence is what keeps it harmless. test/check/lockModels.test.ts plants a store that does not
 * check tokens and shows this model catching it.
 */
import {
  always,
  conditions,
  DistributedLock,
  dist,
  Entity,
  type FaultScheduleSpec,
  FencedStore,
  FencingTokens,
  type Lease,
  type LockBackend,
  LockClient,
  MultiPaxosLockBackend,
  Network,
  NetworkLink,
  RaftLockBackend,
  RemoteError,
  randomFaultSchedule,
  Simulation as Sim,
  type Simulation,
  standaloneLockBackend,
} from "../src/index.js";

export const SAFETY = 6;
export const TOKENS_INVARIANT = "fencing tokens strictly increase";
export const STALE_INVARIANT = "no stale write accepted";

const TTL_S = 0.3;
const WAIT_S = 0.5;
const THINK_S = 0.03;
const RETRY_S = 0.05;
const WRITES_PER_TURN = 3;

/** A `FencedStore` whose applied writes a check watches; `fenced: false` plants the bug. */
export class WatchedStore extends FencedStore<string> {
  /** Highest token of any write applied so far, and the first stale one seen. */
  private highestApplied = Number.NEGATIVE_INFINITY;
  stale: string | null = null;

  constructor(
    sim: Simulation,
    name: string,
    private readonly fenced: boolean,
  ) {
    super(sim, name);
  }

  protected override admits(token: number, highest: number): boolean {
    return this.fenced ? super.admits(token, highest) : true;
  }

  protected override accepted(key: string, value: string, token: number): void {
    if (token < this.highestApplied && this.stale === null) {
      this.stale = `${value} (token ${token}) written to ${key} at ${this.now}s after token ${this.highestApplied}`;
    }
    this.highestApplied = Math.max(this.highestApplied, token);
  }
}

/** Wraps a backend to observe every fresh grant's token, in the order the backend decides. */
function observed(backend: LockBackend, tokens: FencingTokens): LockBackend {
  return {
    kind: backend.kind,
    *apply(command) {
      const result = yield* backend.apply(command);
      if (result.ok && result.fresh) tokens.observe("lock", result.lease!.token);
      return result;
    },
    heldAt: (now) => backend.heldAt(now),
    get tokensGranted() {
      return backend.tokensGranted;
    },
  };
}

class Worker extends Entity {
  turns = 0;
  private readonly client: LockClient;
  private readonly think = this.random("think");

  constructor(
    sim: Simulation,
    name: string,
    lock: DistributedLock,
    private readonly store: FencedStore<string>,
    private readonly operations: number,
  ) {
    super(sim, name);
    this.client = new LockClient(lock, this, { timeout: 0.2 });
    this.start(this.work);
  }

  protected override onRecover(): void {
    this.start(this.work);
  }

  private *work() {
    while (this.turns < this.operations) {
      let lease: Lease;
      try {
        lease = yield* this.client.acquire("leader", { ttl: TTL_S, wait: WAIT_S });
      } catch {
        yield this.think.exponential(RETRY_S);
        continue;
      }
      this.turns++;
      for (let w = 0; w < WRITES_PER_TURN && this.client.holds(lease); w++) {
        yield this.think.exponential(THINK_S);
        try {
          yield* this.call(
            this.store,
            "put",
            { key: "x", value: `${this.name}/${this.turns}/${w}`, token: lease.token },
            { timeout: 0.2 },
          );
        } catch (error) {
          if (error instanceof RemoteError) break; // fenced: the lock is someone else's now
        }
      }
      try {
        yield* this.client.release(lease);
      } catch {
        // The lease expires by itself.
      }
      yield this.think.exponential(THINK_S);
    }
  }
}

/** Where the lease table lives: the service's memory, or a consensus cluster of lock servers. */
export type LockModelBackend = "standalone" | "raft" | "multi-paxos";

/** The lock servers' names (a replicated backend names them after its own). */
export const LOCK_SERVERS = ["servers-1", "servers-2", "servers-3"] as const;

export interface LockModelOptions {
  /** Whether the store checks tokens (false: the planted bug). */
  readonly fenced: boolean;
}

/** The model's pieces, for tests that build one directly. */
export function buildLock(
  seed: number,
  params: Readonly<Record<string, unknown>>,
  fenced: boolean,
  backendKind: LockModelBackend = "standalone",
) {
  const clients = (params.clients as number | undefined) ?? 3;
  const operations = (params.operations as number | undefined) ?? 1000;
  const sim = new Sim({ seed });
  const net = new Network(sim, "net", {
    defaultLink: new NetworkLink(sim, "lan", {
      ...conditions.datacenter(),
      latency: dist.exponential(0.002),
    }),
  });
  const tokens = new FencingTokens();
  const lock = new DistributedLock(sim, "locks", {
    backend: observed(
      backendKind === "raft"
        ? new RaftLockBackend(sim, "servers", { nodes: LOCK_SERVERS.length, network: net })
        : backendKind === "multi-paxos"
          ? new MultiPaxosLockBackend(sim, "servers", {
              nodes: LOCK_SERVERS.length,
              network: net,
              client: { attemptTimeout: 0.2, maxAttempts: 8 },
            })
          : standaloneLockBackend(),
      tokens,
    ),
    ttl: TTL_S,
  });
  const store = new WatchedStore(sim, "storage", fenced);
  for (let i = 0; i < clients; i++) new Worker(sim, `client-${i}`, lock, store, operations);
  const checks = { tokens, store };
  (sim as Simulation & { lockChecks?: typeof checks }).lockChecks = checks;
  return sim;
}

export function lockChecks(sim: Simulation): void {
  const { tokens, store } = (
    sim as Simulation & {
      lockChecks: { tokens: FencingTokens; store: WatchedStore };
    }
  ).lockChecks;
  always(sim, TOKENS_INVARIANT, tokens.check);
  always(sim, STALE_INVARIANT, () => store.stale ?? true);
}

export function lockFaults(
  seed: number,
  clients = 3,
  backendKind: LockModelBackend = "standalone",
): FaultScheduleSpec {
  const names = Array.from({ length: clients }, (_, i) => `client-${i}`);
  const servers = backendKind === "standalone" ? [] : LOCK_SERVERS;
  const nodes = [...names, "locks", "storage", ...servers];
  return randomFaultSchedule({
    seed,
    horizon: SAFETY - 1,
    classes: [
      ...(servers.length > 0
        ? [
            {
              name: "lock servers",
              targets: [...servers],
              kinds: [{ kind: "crash" as const }, { kind: "pause" as const }],
              timeBetweenFailures: 2,
              timeToRepair: 0.5,
            },
          ]
        : []),
      {
        name: "holders",
        targets: names,
        kinds: [{ kind: "pause", weight: 4 }, { kind: "crash" }],
        timeBetweenFailures: 2,
        timeToRepair: 0.5,
      },
      {
        name: "service",
        targets: ["locks"],
        kinds: [{ kind: "crash" }, { kind: "clock-step", params: { by: 0.2 } }],
        timeBetweenFailures: 4,
        timeToRepair: 0.3,
      },
      {
        name: "partitions",
        targets: ["net"],
        partition: { nodes },
        timeBetweenFailures: 4,
        timeToRepair: 0.4,
      },
      {
        name: "one-way",
        targets: ["net"],
        kind: "partition-one-way",
        params: { from: ["locks"], to: [names[0]!] },
        timeBetweenFailures: 5,
        timeToRepair: 0.4,
      },
      {
        name: "loss",
        targets: ["net"],
        kinds: [
          { kind: "loss", params: { probability: 0.2 } },
          { kind: "duplication", params: { probability: 0.3, delay: 0.01 } },
        ],
        timeBetweenFailures: 3,
        timeToRepair: 0.5,
      },
    ],
  });
}

const build = ({ seed, params }: { seed: number; params: Readonly<Record<string, unknown>> }) =>
  buildLock(seed, params, true);
export default build;
export const safety = SAFETY;
export const faults = (seed: number): FaultScheduleSpec => lockFaults(seed);
export const checks = lockChecks;
export const shrinkable = {
  clients: { initial: 3, min: 1 },
  operations: { initial: 1000, min: 1 },
};
export const liveness = {
  within: 3,
  progress: (sim: Simulation): number => {
    let turns = 0;
    for (let i = 0; ; i++) {
      const worker = sim.entity(`client-${i}`) as Worker | undefined;
      if (worker === undefined) return turns;
      turns += worker.turns;
    }
  },
};
