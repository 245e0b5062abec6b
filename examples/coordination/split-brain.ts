/**
 * Coordination: split brain without fencing vs with.
 *
 * Scenario: three workers take turns holding a lock (`DistributedLock`, 1 s leases) and, while
 * they hold it, append a few records to a shared store under the lock's fencing token. Each
 * worker checks its lease before every write, as careful clients do, and yet: a GC pause
 * (drawn per seed: about one every 4 s per worker, 1.5 s long, longer than a lease) can fall
 * between the check and the write. The paused worker wakes up believing it holds the lock,
 * while the service, by its own clock, gave it to someone else, who has written since.
 *
 * Without fencing the store takes every write, and the stale worker's write lands on top of
 * the new holder's: a corrupted write. With fencing (`FencedStore`) the store refuses a token
 * lower than the highest it has seen: the stale write is refused, the worker learns it lost
 * the lock, and nothing is corrupted. The same seeds run both ways; the pauses are the same.
 *
 * Run: npx tsx --conditions=distsim-source examples/coordination/split-brain.ts
 */
import {
  DistributedLock,
  dist,
  Entity,
  FaultSchedule,
  FencedStore,
  type Lease,
  LockClient,
  Network,
  NetworkLink,
  RemoteError,
  randomFaultSchedule,
  Simulation,
} from "distsim";

const SEEDS = 30;
const RUN_S = 20;
const WORKERS = 3;
const TTL_S = 1;
const WRITES_PER_TURN = 4;
const THINK_S = 0.05;

/** A store that counts writes landing with a lower token than one already written. */
class Resource extends FencedStore<string> {
  corrupted = 0;
  private highestWritten = Number.NEGATIVE_INFINITY;

  constructor(
    sim: Simulation,
    private readonly fenced: boolean,
  ) {
    super(sim, "storage");
  }

  protected override admits(token: number, highest: number): boolean {
    return this.fenced ? super.admits(token, highest) : true;
  }

  protected override accepted(_key: string, _value: string, token: number): void {
    if (token < this.highestWritten) this.corrupted++;
    this.highestWritten = Math.max(this.highestWritten, token);
  }
}

class Worker extends Entity {
  private readonly client: LockClient;
  private readonly think = this.random("think");

  constructor(
    sim: Simulation,
    name: string,
    lock: DistributedLock,
    private readonly store: Resource,
  ) {
    super(sim, name);
    this.client = new LockClient(lock, this, { timeout: 0.5 });
    this.start(this.work);
  }

  private *work() {
    for (;;) {
      let held: Lease;
      try {
        held = yield* this.client.acquire("ledger", { ttl: TTL_S, wait: 5 });
      } catch {
        yield this.think.exponential(THINK_S);
        continue;
      }
      for (let w = 0; w < WRITES_PER_TURN && this.client.holds(held); w++) {
        yield this.think.exponential(THINK_S);
        try {
          yield* this.call(
            this.store,
            "put",
            { key: "ledger", value: `${this.name}:${w}`, token: held.token },
            { timeout: 0.5 },
          );
        } catch (error) {
          if (error instanceof RemoteError) break; // fenced: the lock is someone else's
        }
      }
      try {
        yield* this.client.release(held);
      } catch {
        // The lease expires by itself.
      }
      yield this.think.exponential(THINK_S);
    }
  }
}

function run(seed: number, fenced: boolean) {
  const sim = new Simulation({ seed });
  new Network(sim, "net", {
    defaultLink: new NetworkLink(sim, "lan", { latency: dist.exponential(0.001) }),
  });
  const lock = new DistributedLock(sim, "locks", { ttl: TTL_S });
  const store = new Resource(sim, fenced);
  const names = Array.from({ length: WORKERS }, (_, i) => `worker-${i}`);
  for (const name of names) new Worker(sim, name, lock, store);
  new FaultSchedule(
    sim,
    randomFaultSchedule({
      seed,
      horizon: RUN_S,
      classes: [
        { targets: names, kind: "pause", timeBetweenFailures: 4, timeToRepair: dist.constant(1.5) },
      ],
    }),
  );
  sim.run({ until: RUN_S });
  return { corrupted: store.corrupted, refused: store.stats.fenced, writes: store.stats.writes };
}

console.log(`${SEEDS} seeds x ${RUN_S} s, ${WORKERS} workers, ${TTL_S} s leases, 1.5 s GC pauses`);
console.log("mode            writes  corrupted  refused  seeds corrupted");
const verdict: Record<string, number> = {};
for (const fenced of [false, true]) {
  let writes = 0;
  let corrupted = 0;
  let refused = 0;
  let seedsCorrupted = 0;
  for (let seed = 1; seed <= SEEDS; seed++) {
    const result = run(seed, fenced);
    writes += result.writes;
    corrupted += result.corrupted;
    refused += result.refused;
    if (result.corrupted > 0) seedsCorrupted++;
  }
  const mode = fenced ? "with fencing" : "without fencing";
  verdict[mode] = corrupted;
  console.log(
    `${mode.padEnd(15)} ${String(writes).padStart(6)}  ${String(corrupted).padStart(9)}  ${String(refused).padStart(7)}  ${String(seedsCorrupted).padStart(5)}/${SEEDS}`,
  );
}
console.log(
  `verdict: without fencing a paused holder corrupted ${verdict["without fencing"]} writes; with fencing ${verdict["with fencing"]} (its stale writes were refused)`,
);
