/**
 * PageCache and BTree: how much of a B-tree must sit in memory before its gets stop paying for
 * the disk, and what read-ahead does for a range scan.
 *
 * Scenario: a BTree of 20,000 keys (order 32: about 650 pages of 4 KiB, packed by `load`), on
 * a disk whose page reads take 0.2 ms (exponential). One reader issues 6,000 gets back to back
 * with zipf-skewed keys (exponent 0.9; the hot keys scattered over the key space, so they live
 * in many leaves). The page cache holds 1% to 50% of the tree's pages.
 *
 *   1. Hit ratio rises fast with the cache: the root and inner nodes are hot and fit in a few
 *      pages, then each extra page holds a leaf of hot keys. Disk reads per get fall from
 *      nearly the tree's height toward zero, and the p99 of a get falls with them: a get is
 *      as slow as the number of pages it must fetch.
 *   2. A range scan of 5,000 keys (about 160 leaves, laid out in order on the disk) reads
 *      them one after another. Without read-ahead every leaf is a miss that waits its read;
 *      with read-ahead (16 pages) a sequential miss fetches the next 16 in parallel, and the
 *      scan's next leaves are already in memory or on their way.
 *
 * Run: npx tsx --conditions=distsim-source examples/storage/page-cache.ts
 */
import { BTree, dist, Entity, Simulation } from "distsim";
import { formatTable } from "../support/table.js";

const SEED = 7;
const KEYS = 20_000;
const ORDER = 32;
const GETS = 6_000;
const PAGE_READ = dist.exponential(0.0002);
const CACHE_FRACTIONS = [0.01, 0.02, 0.05, 0.1, 0.25, 0.5];
const SCAN_KEYS = 5_000;
const READ_AHEAD = 16;

const key = (i: number) => `user:${String(i).padStart(6, "0")}`;

function build(cachePages: number, readAhead = 0) {
  const sim = new Simulation({ seed: SEED });
  const tree = new BTree<number>(sim, "tree", {
    order: ORDER,
    cachePages,
    readAhead,
    disk: { readLatency: PAGE_READ },
  });
  tree.load(Array.from({ length: KEYS }, (_, i) => [key(i), i] as const));
  return { sim, tree, reader: new Entity(sim, "reader") };
}

const { pages: pagesInTree, height } = build(1).tree.stats;

function gets(fraction: number): string[] {
  const cachePages = Math.max(1, Math.round(pagesInTree * fraction));
  const { sim, tree, reader } = build(cachePages);
  const ranks = dist.zipf({ population: KEYS, exponent: 0.9 });
  const draws = reader.random("keys");
  reader.start(function* () {
    for (let n = 0; n < GETS; n++) {
      // Rank r's key scattered over the key space (7919 is prime to 20,000).
      const rank = ranks.sample(draws, reader.now);
      yield* tree.get(key((rank * 7919) % KEYS));
    }
  });
  sim.run();
  const s = tree.stats;
  return [
    `${fraction * 100}%`,
    String(cachePages),
    (s.cache.hitRate * 100).toFixed(1),
    s.diskReadsPerGet.toFixed(2),
    (tree.latencyOf("get").mean * 1000).toFixed(3),
    (tree.latencyOf("get").p99 * 1000).toFixed(3),
  ];
}

function scan(readAhead: number): string[] {
  const { sim, tree, reader } = build(64, readAhead);
  let seconds = 0;
  reader.start(function* () {
    const start = reader.now;
    yield* tree.scan({ from: key(7_000), limit: SCAN_KEYS });
    seconds = reader.now - start;
  });
  sim.run();
  const c = tree.stats.cache;
  return [
    readAhead === 0 ? "off" : `${readAhead} pages`,
    (seconds * 1000).toFixed(1),
    String(c.misses),
    String(c.readAheadHits),
    String(c.diskReads),
  ];
}

console.log(
  `BTree of ${KEYS.toLocaleString("en-US")} keys (order ${ORDER}, ${pagesInTree} pages, height ${height}); ` +
    `page read 0.2 ms (exponential); ${GETS.toLocaleString("en-US")} zipf(0.9) gets (seed ${SEED})\n`,
);
const rows = CACHE_FRACTIONS.map(gets);
console.log(
  formatTable(["cache", "pages", "hit %", "disk reads/get", "mean get (ms)", "p99 get (ms)"], rows),
);
console.log(`\nRange scan of ${SCAN_KEYS.toLocaleString("en-US")} keys, cache of 64 pages:\n`);
const off = scan(0);
const on = scan(READ_AHEAD);
console.log(
  formatTable(["read-ahead", "scan (ms)", "misses", "read-ahead hits", "disk reads"], [off, on]),
);
const first = rows[0]!;
const last = rows[rows.length - 1]!;
console.log(
  `\nVerdict: caching ${last[0]} of the tree instead of ${first[0]} cuts disk reads per get from ${first[3]} to ${last[3]} ` +
    `and the p99 get from ${first[5]} to ${last[5]} ms; read-ahead makes the scan ${(Number(off[1]) / Number(on[1])).toFixed(1)}x faster.`,
);
