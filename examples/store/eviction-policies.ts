/**
 * CachedStore eviction policies: which one keeps the hit rate when the workload is not the
 * one the policy assumes.
 *
 * Scenario: one reader asks a cache of 500 entries for keys one after another, in front of a
 * store of 20,000 keys. Two workloads of 20,000 reads each:
 *
 *   - Zipf: keys drawn from Zipf (s = 1) over 10,000 hot keys. Recency and frequency both
 *     predict the next read; the policies differ by a few points (random and FIFO, which
 *     ignore what was read, lose the most).
 *   - Zipf with scans: the same reads, and after every 500 of them a scan reads 1,000 other
 *     keys once each, in order (a batch job, a crawler, a backup). Under LRU and FIFO each
 *     scan pushes the whole hot set out, and the reads after it miss until it is back; CLOCK
 *     loses it too once its hand has cleared the bits: all lose about a quarter of their
 *     hits. SLRU keeps keys read twice in a protected segment the scan never reaches, and LFU
 *     keeps the frequent ones: they lose a few percent.
 *
 * Columns: the hit rate of the Zipf reads (the scans' own reads are left out, so both
 * columns count the same reads).
 *
 * Run: npx tsx --conditions=distsim-source examples/store/eviction-policies.ts
 */
import {
  CachedStore,
  Entity,
  EVICTION_POLICIES,
  type EvictionPolicyName,
  KVStore,
  keys,
  Simulation,
} from "distsim";
import { formatTable } from "../support/table.js";

const SEED = 3;
const CACHE_ENTRIES = 500;
const HOT_KEYS = 10_000;
const SCANNED_KEYS = 10_000;
const ZIPF_EXPONENT = 1;
const READS = 20_000;
const SCAN_EVERY = 500;
const SCAN_LENGTH = 1_000;

/** The hit rate of the Zipf reads, with or without scans between them. */
function hitRate(eviction: EvictionPolicyName, withScans: boolean): number {
  const sim = new Simulation({ seed: SEED });
  const db = new KVStore<number>(sim, "db", { readLatency: 0.001 });
  const keyCount = HOT_KEYS + SCANNED_KEYS;
  db.load(Array.from({ length: keyCount }, (_, k) => [`k${k}`, k] as const));
  const cache = new CachedStore<number>(sim, "cache", {
    backing: db,
    capacity: CACHE_ENTRIES,
    eviction,
    lookupLatency: 0,
    ttl: eviction === "ttl" ? 60 : undefined,
  });
  const reader = new Entity(sim, "reader");
  const nextKey = keys.zipf(HOT_KEYS, ZIPF_EXPONENT).begin(reader.random("keys"));
  let hits = 0;
  let scanned = 0;
  reader.start(function* () {
    for (let read = 1; read <= READS; read++) {
      const before = cache.stats.hits;
      yield* cache.get(`k${nextKey()}`);
      hits += cache.stats.hits - before;
      if (withScans && read % SCAN_EVERY === 0) {
        for (let i = 0; i < SCAN_LENGTH; i++) {
          yield* cache.get(`k${HOT_KEYS + (scanned++ % SCANNED_KEYS)}`);
        }
      }
    }
  });
  sim.run();
  return hits / READS;
}

const percent = (fraction: number) => `${(100 * fraction).toFixed(1)}%`;

console.log(
  `Cache of ${CACHE_ENTRIES} entries; ${READS.toLocaleString("en-US")} reads, Zipf (s = ${ZIPF_EXPONENT}) over ` +
    `${HOT_KEYS.toLocaleString("en-US")} keys; scans of ${SCAN_LENGTH.toLocaleString("en-US")} other keys ` +
    `every ${SCAN_EVERY.toLocaleString("en-US")} reads (seed ${SEED})\n`,
);
console.log(
  formatTable(
    ["eviction", "hit rate: Zipf", "Zipf with scans"],
    EVICTION_POLICIES.map((policy) => [
      policy,
      percent(hitRate(policy, false)),
      percent(hitRate(policy, true)),
    ]),
  ),
);
console.log(
  "\n(ttl evicts the entry expiring soonest: with one ttl for all, the oldest filled, as FIFO.)",
);
