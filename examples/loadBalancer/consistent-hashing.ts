/**
 * Consistent hashing: when one of N cache servers leaves, how many keys move?
 *
 * Scenario: five cache servers behind a load balancer that routes by key, so each key's data
 * is cached on one server. 1,000 requests/s, keys uniform over 5,000 users. A request for a
 * key its server has seen is a hit (1 ms); otherwise a miss, fetched from the database (20 ms)
 * and cached. After 20 s every cache is warm; then cache-3 is removed. Two ways to route:
 *   - modulo hashing (`strategy.ipHash`): hash(key) mod N. With N - 1 servers nearly every key
 *     maps somewhere else ((N - 1) / N of them), so the whole fleet goes cold at once and the
 *     database takes almost every request until the caches refill.
 *   - a consistent hash ring (`strategy.consistentHash`): only the keys that were on cache-3
 *     (1 / N of them) move, each to the next server on the ring; everything else stays warm.
 *
 * Run: npx tsx --conditions=distsim-source examples/loadBalancer/consistent-hashing.ts
 */
import {
  arrivals,
  Client,
  Entity,
  keys,
  LoadBalancer,
  type LoadBalancingStrategy,
  type Message,
  Simulation,
  Source,
  strategy,
} from "distsim";
import { formatTable } from "../support/table.js";

const SEED = 8;
const CACHES = 5;
const USERS = 5_000;
const LOAD_PER_S = 1_000;
const HIT_S = 0.001;
const MISS_S = 0.02;
const REMOVE_AT_S = 20;
const RUN_FOR_S = 32;
const WINDOW_S = 2;
const FIRST_WINDOW_S = 16;

/** For each key, the cache that served it before the change and the one that serves it after. */
class Placement {
  private readonly before = new Map<string, string>();
  private readonly compared = new Set<string>();
  moved = 0;
  total = 0;
  record(key: string, cache: string, now: number): void {
    if (now < REMOVE_AT_S) {
      this.before.set(key, cache);
      return;
    }
    // The first request after the change tells where the key lives now.
    if (this.compared.has(key)) return;
    this.compared.add(key);
    const previous = this.before.get(key);
    if (previous === undefined) return;
    this.total++;
    if (previous !== cache) this.moved++;
  }
}

/** A cache in front of a database: hits are fast, misses fetch and keep the key. */
class Cache extends Entity<string, string> {
  private readonly cached = new Set<string>();
  hits = 0;
  misses = 0;
  constructor(
    sim: Simulation,
    name: string,
    private readonly placement: Placement,
  ) {
    super(sim, name);
  }
  override *handle(request: Message<string>) {
    const key = request.payload;
    this.placement.record(key, this.name, this.now);
    if (this.cached.has(key)) {
      this.hits++;
      yield HIT_S;
    } else {
      this.misses++;
      yield MISS_S;
      this.cached.add(key);
    }
    this.reply(request, key);
  }
}

interface Outcome {
  hitRates: string[];
  moved: number;
}

function run(routing: LoadBalancingStrategy<string>): Outcome {
  const sim = new Simulation({ seed: SEED });
  const placement = new Placement();
  const caches = Array.from(
    { length: CACHES },
    (_, i) => new Cache(sim, `cache-${i + 1}`, placement),
  );
  const lb = new LoadBalancer<string, string>(sim, "lb", { backends: caches, strategy: routing });
  const nextKey = keys.uniform(USERS).begin(sim.random("keys"));
  const client = new Client<string, string>(sim, "client", { target: lb });
  new Source<string>(sim, "users", {
    target: client,
    arrivals: arrivals.poisson(LOAD_PER_S),
    payload: () => `user-${nextKey()}`,
    stopAfter: { time: RUN_FOR_S },
  });
  sim.at(REMOVE_AT_S, () => lb.removeBackend(caches[2]!));
  const hitRates: string[] = [];
  let hitsBefore = 0;
  let missesBefore = 0;
  for (let end = FIRST_WINDOW_S; end <= RUN_FOR_S; end += WINDOW_S) {
    sim.run({ until: end });
    const hits = caches.reduce((sum, c) => sum + c.hits, 0);
    const misses = caches.reduce((sum, c) => sum + c.misses, 0);
    if (end > FIRST_WINDOW_S) {
      const rate = (hits - hitsBefore) / (hits - hitsBefore + misses - missesBefore);
      hitRates.push(`${(100 * rate).toFixed(1)}%`);
    }
    hitsBefore = hits;
    missesBefore = misses;
  }
  return { hitRates, moved: placement.moved / placement.total };
}

const modulo = run(strategy.ipHash<string>({ key: (request) => request.payload }));
const ring = run(strategy.consistentHash<string>({ key: (request) => request.payload }));

console.log(
  `Consistent hashing: ${CACHES} caches, ${USERS} users, ${LOAD_PER_S} requests/s; ` +
    `cache-3 removed at ${REMOVE_AT_S} s (seed ${SEED})\n`,
);
console.log(
  formatTable(
    ["", "modulo hashing", "consistent hash ring", "expected"],
    [
      [
        "keys that moved",
        `${(100 * modulo.moved).toFixed(1)}%`,
        `${(100 * ring.moved).toFixed(1)}%`,
        `${((100 * (CACHES - 1)) / CACHES).toFixed(0)}% vs ${100 / CACHES}%`,
      ],
    ],
  ),
);
console.log("\nCache hit rate by window:\n");
console.log(
  formatTable(
    ["window", "modulo hashing", "consistent hash ring"],
    modulo.hitRates.map((rate, i) => {
      const start = FIRST_WINDOW_S + i * WINDOW_S;
      const label = `${start}-${start + WINDOW_S}s${start === REMOVE_AT_S ? " (cache-3 removed)" : ""}`;
      return [label, rate, ring.hitRates[i]!];
    }),
  ),
);
console.log(
  "\nA moved key is a miss the first time it is asked for on its new server. With modulo\n" +
    "hashing the fleet loses most of its cache at once and the database takes the load;\n" +
    "with the ring only the removed server's keys (its share of the ring, about 1/N) miss,\n" +
    "so the hit rate dips less and is back sooner: there are fewer keys to refill.",
);
