/**
 * `npm run bench`: the engine's speed and memory, each figure next to a hand-written ceiling
 * measured in the same process, so the ratios mean something on any machine. Not a test: it
 * asserts nothing about time. Prints a table and writes bench/results/latest.json (and, with
 * --save, a dated copy to keep in the repository).
 *
 * Legend:
 *   baseline      bare typed-array heap hold loop (bench/baseline.ts): the ceiling for JS
 *   bare gens     the same loop resuming one plain V8 generator per event: the floor cost of
 *                 any generator-based process, reported to explain the process figures
 *   plain hold    engine, entity timer callbacks;   process hold: engine, generator processes
 *   ratio         engine events/s divided by baseline events/s at the same N
 */
import { mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { cpus } from "node:os";
import { join } from "node:path";
import { baselineHold } from "./baseline.js";
import { plainHold, processHold } from "./hold.js";
import { bytesPerPendingEvent } from "./memory.js";
import { mm1 } from "./mm1.js";

const root = join(import.meta.dirname, "..");
const REPEATS = 3;
const SIZES = [1_000, 100_000, 1_000_000] as const;
/** Pops per timed run at each size: long enough (~0.3 s or more) to dwarf timer noise. */
const OPERATIONS: Record<number, number> = {
  1000: 3_000_000,
  100000: 2_000_000,
  1000000: 1_000_000,
};
const MM1_CUSTOMERS = 1_000_000;

function best(measure: () => number): number {
  let top = 0;
  for (let i = 0; i < REPEATS; i++) top = Math.max(top, measure());
  return top;
}

function gitCommit(): string {
  try {
    const head = readFileSync(join(root, ".git/HEAD"), "utf8").trim();
    if (!head.startsWith("ref: ")) return head;
    return readFileSync(join(root, ".git", head.slice(5)), "utf8").trim();
  } catch {
    return "unknown";
  }
}

const millions = (value: number) => (value / 1e6).toFixed(2);

interface HoldRow {
  pending: number;
  baseline: number;
  bareGenerators: number;
  plain: number;
  process: number;
}

const holds: HoldRow[] = [];
for (const pending of SIZES) {
  const operations = OPERATIONS[pending]!;
  // Warm the JIT on each path once at this size before timing.
  baselineHold(pending, operations / 4);
  plainHold(pending, operations / 4);
  holds.push({
    pending,
    baseline: best(() => baselineHold(pending, operations)),
    bareGenerators: best(() => baselineHold(pending, operations, true)),
    plain: best(() => plainHold(pending, operations)),
    process: best(() => processHold(pending, operations)),
  });
}

mm1(100_000); // warm-up
let queueing = mm1(MM1_CUSTOMERS);
for (let i = 1; i < REPEATS; i++) {
  const next = mm1(MM1_CUSTOMERS);
  if (next.customersPerWallSecond > queueing.customersPerWallSecond) queueing = next;
}
const memory = bytesPerPendingEvent(1_000_000);

interface Target {
  what: string;
  reached: number;
  target: number;
  unit: string;
}
const targets: Target[] = [];
for (const row of holds) {
  if (row.pending > 100_000) continue;
  targets.push({
    what: `plain hold / baseline, N=${row.pending}`,
    reached: row.plain / row.baseline,
    target: 0.5,
    unit: "x",
  });
  targets.push({
    what: `process hold / baseline, N=${row.pending}`,
    reached: row.process / row.baseline,
    target: 0.3,
    unit: "x",
  });
}
targets.push({
  what: "M/M/1 customers per wall second",
  reached: queueing.customersPerWallSecond,
  target: 1_000_000,
  unit: "/s",
});
if (memory !== null)
  targets.push({
    what: "heap bytes per pending plain event, N=1e6",
    reached: memory,
    target: 200,
    unit: "B",
  });
const met = (t: Target) => (t.unit === "B" ? t.reached <= t.target : t.reached >= t.target);

const lines: string[] = [];
lines.push(`distsim bench  node ${process.version}  ${cpus()[0]?.model ?? "unknown cpu"}`);
lines.push("");
lines.push("hold (events/s, millions; best of 3)");
lines.push(
  "       N   baseline  bare gens  plain hold  ratio  process hold  ratio  process/bare gens",
);
for (const row of holds) {
  lines.push(
    [
      String(row.pending).padStart(8),
      millions(row.baseline).padStart(10),
      millions(row.bareGenerators).padStart(10),
      millions(row.plain).padStart(11),
      (row.plain / row.baseline).toFixed(2).padStart(6),
      millions(row.process).padStart(13),
      (row.process / row.baseline).toFixed(2).padStart(6),
      (row.process / row.bareGenerators).toFixed(2).padStart(18),
    ].join(""),
  );
}
lines.push("");
lines.push(
  `M/M/1 (lambda=8/s, mu=10/s, ${queueing.customers} customers): ${millions(queueing.customersPerWallSecond)}M customers/s, ` +
    `${millions(queueing.eventsPerWallSecond)}M events/s, mean response ${queueing.meanResponseSeconds.toFixed(4)}s (theory ${queueing.theoryMeanResponseSeconds}s)`,
);
lines.push(
  `memory: ${memory === null ? "unavailable (run with node --expose-gc)" : `${memory.toFixed(1)} bytes per pending plain event at N=1,000,000`}`,
);
lines.push("");
lines.push("targets");
for (const t of targets) {
  const shown = t.unit === "/s" ? `${millions(t.reached)}M/s` : `${t.reached.toFixed(2)}${t.unit}`;
  const goal =
    t.unit === "/s"
      ? `>= ${millions(t.target)}M/s`
      : t.unit === "B"
        ? `<= ${t.target}B`
        : `>= ${t.target}x`;
  lines.push(
    `  ${t.what.padEnd(44)} ${shown.padStart(10)}  ${goal.padEnd(12)} ${met(t) ? "PASS" : "BELOW"}`,
  );
}
console.log(lines.join("\n"));

const result = {
  date: new Date().toISOString(),
  node: process.version,
  cpu: cpus()[0]?.model ?? "unknown",
  commit: gitCommit(),
  hold: holds,
  mm1: queueing,
  bytesPerPendingEvent: memory,
  targets: targets.map((t) => ({ ...t, met: met(t) })),
};
const resultsDir = join(root, "bench", "results");
mkdirSync(resultsDir, { recursive: true });
writeFileSync(join(resultsDir, "latest.json"), `${JSON.stringify(result, null, 2)}\n`);
if (process.argv.includes("--save")) {
  writeFileSync(
    join(resultsDir, `${result.date.slice(0, 10)}.json`),
    `${JSON.stringify(result, null, 2)}\n`,
  );
}
console.log(
  `\nwrote bench/results/latest.json${process.argv.includes("--save") ? " and a dated copy" : ""}`,
);
