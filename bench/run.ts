/**
 * `npm run bench` (node --expose-gc --import tsx bench/run.ts [--save]): the engine's speed
 * and memory, each speed next to a hand-written ceiling measured in the same process, so the
 * ratios mean something on any machine. Not a test: it prints a table and writes
 * bench/results/latest.json (with --save, also a copy named by ISO date, to keep), and never
 * fails on timing.
 *
 * Rows:
 *   baseline        bare typed-array heap hold loop, same PRNG (bench/baseline.ts): the ceiling
 *   plain handlers  engine, entity timer callbacks rescheduling themselves (bench/hold.ts)
 *   processes       engine, one generator process per pending event
 *   bare generators the baseline loop resuming one plain V8 generator per event: the floor cost
 *                   of any generator-based process, to explain the process figures (no target)
 *   M/M/1           engine, source + FIFO server as a user writes them, and the same queue
 *                   built from the library's Source, Client and Server (bench/mm1.ts), with the
 *                   trace stream off and on (a listener that counts records)
 *   memory          heap + array-buffer bytes per pending event (bench/memory.ts)
 * ratio = engine events/s / baseline events/s at the same N.
 */
import { execFileSync } from "node:child_process";
import { existsSync, mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { cpus, platform, totalmem } from "node:os";
import { join } from "node:path";
import { BareGeneratorHold, BaselineHold } from "./baseline.js";
import { PlainHold, ProcessHold } from "./hold.js";
import { collectGarbage, type HoldRunner, measureRate, type Rate } from "./measure.js";
import { plainEventMemory, processMemory } from "./memory.js";
import {
  ARRIVAL_RATE,
  type MM1Run,
  pooledMean,
  runMM1,
  SERVICE_RATE,
  type ServerKind,
  THEORY_MEAN_RESPONSE,
} from "./mm1.js";

const root = join(import.meta.dirname, "..");
const save = process.argv.includes("--save");

const SIZES = [1_000, 100_000, 1_000_000];
/** Sizes that carry the hold targets; larger ones are reported for information. */
const TARGET_SIZES = new Set([1_000, 100_000]);
const TIMING = { warmupSeconds: 0.3, runSeconds: 0.5, repeats: 5 };
const MM1_CUSTOMERS = 2_000_000;
const MM1_WARMUP_CUSTOMERS = 200_000;
const MEMORY_PENDING = 1_000_000;

const TARGET_PLAIN = 0.5;
const TARGET_PROCESS = 0.3;
const TARGET_MM1 = 1_000_000;
const TARGET_BYTES = 200;

type HoldCase = "baseline" | "bareGenerators" | "plain" | "process";
const HOLD_CASES: { key: HoldCase; make: (pending: number) => HoldRunner }[] = [
  { key: "baseline", make: (n) => new BaselineHold(n) },
  { key: "bareGenerators", make: (n) => new BareGeneratorHold(n) },
  { key: "plain", make: (n) => new PlainHold(n) },
  { key: "process", make: (n) => new ProcessHold(n) },
];

function gitInfo(): { commit: string; ref: string | null; dirty: boolean | null } {
  let commit = "unknown";
  let ref: string | null = null;
  try {
    const head = readFileSync(join(root, ".git", "HEAD"), "utf8").trim();
    if (head.startsWith("ref: ")) {
      ref = head.slice(5);
      const loose = join(root, ".git", ref);
      if (existsSync(loose)) {
        commit = readFileSync(loose, "utf8").trim();
      } else {
        const packed = readFileSync(join(root, ".git", "packed-refs"), "utf8");
        const line = packed.split("\n").find((l) => l.endsWith(` ${ref}`));
        if (line !== undefined) commit = line.slice(0, 40);
      }
    } else {
      commit = head;
    }
  } catch {
    // Not a git checkout (or an unusual layout): leave "unknown".
  }
  let dirty: boolean | null = null;
  try {
    dirty =
      execFileSync("git", ["status", "--porcelain", "--", "src", "bench"], {
        cwd: root,
        encoding: "utf8",
        stdio: ["ignore", "pipe", "ignore"],
      }).trim() !== "";
  } catch {
    // No git binary: unknown.
  }
  return { commit, ref, dirty };
}

// Every engine path (timers, messages, processes) runs briefly before anything is timed, so the
// event loop's type feedback is that of a real model whatever case comes first: otherwise the
// first case timed would get a loop specialised to it alone, and look faster than it is.
function prepass(): void {
  for (const { make } of HOLD_CASES) make(1_000).run(200_000);
  runMM1("handler", 20_000, 99);
  runMM1("process", 20_000, 99);
}

const startedAt = new Date();
const wallStart = performance.now();
prepass();

// ---- hold ----
interface HoldRow {
  pending: number;
  rates: Record<HoldCase, Rate>;
}
const holds: HoldRow[] = [];
for (const pending of SIZES) {
  const rates = {} as Record<HoldCase, Rate>;
  for (const { key, make } of HOLD_CASES) {
    // A clean heap for each case: the previous case's model is garbage by now.
    collectGarbage();
    rates[key] = measureRate(make(pending), { ...TIMING, warmupEvents: pending });
  }
  holds.push({ pending, rates });
}

// ---- M/M/1 ----
interface MM1Summary {
  kind: ServerKind;
  customersPerRun: number;
  best: MM1Run;
  runs: Omit<MM1Run, "responses">[];
  meanResponseSeconds: number;
  halfWidth95: number;
}
const queueing: MM1Summary[] = [];
for (const kind of ["handler", "process", "components", "componentsTraced"] as const) {
  collectGarbage();
  runMM1(kind, MM1_WARMUP_CUSTOMERS, 100);
  const runs: MM1Run[] = [];
  for (let r = 0; r < TIMING.repeats; r++) {
    collectGarbage();
    runs.push(runMM1(kind, MM1_CUSTOMERS, r + 1));
  }
  const best = runs.reduce((a, b) => (b.customersPerWallSecond > a.customersPerWallSecond ? b : a));
  const pooled = pooledMean(runs.map((r) => r.responses));
  queueing.push({
    kind,
    customersPerRun: MM1_CUSTOMERS,
    best,
    runs: runs.map(({ responses: _, ...rest }) => rest),
    meanResponseSeconds: pooled.mean,
    halfWidth95: pooled.halfWidth95,
  });
}

// ---- memory ----
const plainMemory = plainEventMemory(MEMORY_PENDING);
const processMemoryFigure = processMemory(MEMORY_PENDING);

// ---- report ----
type Status = "PASS" | "BELOW" | "-";
interface Row {
  what: string;
  n: string;
  value: string;
  ratio: string;
  target: string;
  status: Status;
}
interface TargetResult {
  what: string;
  value: number;
  target: number;
  comparison: ">=" | "<=";
  met: boolean;
}
const rows: Row[] = [];
const targets: TargetResult[] = [];
const millions = (value: number) => `${(value / 1e6).toFixed(2)}M`;
const grouped = (value: number) => value.toLocaleString("en-US");

function judge(what: string, value: number, target: number, comparison: ">=" | "<="): Status {
  const met = comparison === ">=" ? value >= target : value <= target;
  targets.push({ what, value, target, comparison, met });
  return met ? "PASS" : "BELOW";
}

const HOLD_LABELS: Record<HoldCase, string> = {
  baseline: "hold  baseline (typed-array heap)",
  bareGenerators: "hold  bare V8 generators (floor)",
  plain: "hold  engine, plain handlers",
  process: "hold  engine, generator processes",
};
for (const row of holds) {
  const baseline = row.rates.baseline.best;
  for (const { key } of HOLD_CASES) {
    const rate = row.rates[key].best;
    const ratio = rate / baseline;
    let target = "";
    let status: Status = "-";
    const goal = key === "plain" ? TARGET_PLAIN : key === "process" ? TARGET_PROCESS : null;
    if (goal !== null && TARGET_SIZES.has(row.pending)) {
      target = `>= ${goal.toFixed(2)}x`;
      status = judge(`${key} hold / baseline, N=${row.pending}`, ratio, goal, ">=");
    }
    rows.push({
      what: HOLD_LABELS[key],
      n: grouped(row.pending),
      value: `${millions(rate)} ev/s`,
      ratio: `${ratio.toFixed(2)}x`,
      target,
      status,
    });
  }
}
for (const q of queueing) {
  if (q.kind === "components" || q.kind === "componentsTraced") {
    // No target: it measures what the components add over the hand-written servers, and what
    // a trace listener adds to that.
    rows.push({
      what: `M/M/1 Source -> Client -> Server${q.kind === "componentsTraced" ? ", traced" : ""}`,
      n: "",
      value: `${millions(q.best.customersPerWallSecond)} cust/s`,
      ratio: "",
      target: "",
      status: "-",
    });
    continue;
  }
  rows.push({
    what: `M/M/1 ${q.kind} server`,
    n: "",
    value: `${millions(q.best.customersPerWallSecond)} cust/s`,
    ratio: "",
    target: `>= ${millions(TARGET_MM1)}/s`,
    status: judge(
      `M/M/1 (${q.kind} server) customers per wall second`,
      q.best.customersPerWallSecond,
      TARGET_MM1,
      ">=",
    ),
  });
}
if (plainMemory !== null) {
  rows.push({
    what: "memory per pending plain event",
    n: grouped(plainMemory.pending),
    value: `${plainMemory.bytesPerPending.toFixed(1)} B`,
    ratio: "",
    target: `<= ${TARGET_BYTES} B`,
    status: judge(
      `heap bytes per pending plain event, N=${plainMemory.pending}`,
      plainMemory.bytesPerPending,
      TARGET_BYTES,
      "<=",
    ),
  });
}
if (processMemoryFigure !== null) {
  rows.push({
    what: "memory per pending process",
    n: grouped(processMemoryFigure.pending),
    value: `${processMemoryFigure.bytesPerPending.toFixed(1)} B`,
    ratio: "",
    target: "",
    status: "-",
  });
}

const git = gitInfo();
const cpu = cpus()[0]?.model ?? "unknown";
const header = ["case", "N", "rate", "ratio", "target", "status"];
const table = [header, ...rows.map((r) => [r.what, r.n, r.value, r.ratio, r.target, r.status])];
const widths = header.map((_, c) => Math.max(...table.map((line) => line[c]!.length)));
const render = (line: string[]) =>
  line
    .map((cell, c) => (c === 0 || c >= 4 ? cell.padEnd(widths[c]!) : cell.padStart(widths[c]!)))
    .join("  ")
    .trimEnd();

const out: string[] = [];
out.push(
  `distsim bench  ${startedAt.toISOString()}  node ${process.version}  ${cpu} x${cpus().length}  commit ${git.commit.slice(0, 12)}${git.dirty ? " (src/bench modified)" : ""}`,
);
out.push(
  `hold: N pending events, each pops and schedules one at now + Exp(1); best of ${TIMING.repeats} runs of >= ${TIMING.runSeconds} s after warm-up; ratio = events/s / baseline events/s at the same N`,
);
out.push("");
out.push(render(table[0]!));
out.push(render(widths.map((w) => "-".repeat(w))));
for (const line of table.slice(1)) out.push(render(line));
out.push("");
for (const q of queueing) {
  out.push(
    `M/M/1 ${q.kind} server (lambda=${ARRIVAL_RATE}/s, mu=${SERVICE_RATE}/s, ${TIMING.repeats} runs x ${grouped(q.customersPerRun)} customers): ` +
      `best ${millions(q.best.customersPerWallSecond)} customers/s = ${millions(q.best.eventsPerWallSecond)} events/s; ` +
      `mean response ${q.meanResponseSeconds.toFixed(4)} s +- ${q.halfWidth95.toFixed(4)} (95%), theory ${THEORY_MEAN_RESPONSE} s`,
  );
}
if (plainMemory === null) out.push("memory: unavailable (run node with --expose-gc)");
const below = targets.filter((t) => !t.met).length;
out.push("");
out.push(
  `${targets.length - below} of ${targets.length} targets met; bench took ${((performance.now() - wallStart) / 1000).toFixed(1)} s`,
);
console.log(out.join("\n"));

const result = {
  schema: 1,
  date: startedAt.toISOString(),
  node: process.version,
  v8: process.versions.v8,
  platform: `${platform()} ${process.arch}`,
  cpu,
  cpuCount: cpus().length,
  totalMemoryBytes: totalmem(),
  commit: git.commit,
  ref: git.ref,
  dirty: git.dirty,
  settings: {
    ...TIMING,
    sizes: SIZES,
    mm1Customers: MM1_CUSTOMERS,
    memoryPending: MEMORY_PENDING,
    gcExposed: plainMemory !== null,
  },
  hold: holds.map((row) => ({
    pending: row.pending,
    eventsPerSecond: Object.fromEntries(HOLD_CASES.map(({ key }) => [key, row.rates[key].best])),
    ratioToBaseline: Object.fromEntries(
      HOLD_CASES.map(({ key }) => [key, row.rates[key].best / row.rates.baseline.best]),
    ),
    runs: row.rates,
  })),
  mm1: queueing.map((q) => ({
    kind: q.kind,
    arrivalRate: ARRIVAL_RATE,
    serviceRate: SERVICE_RATE,
    customersPerRun: q.customersPerRun,
    customersPerWallSecond: q.best.customersPerWallSecond,
    eventsPerWallSecond: q.best.eventsPerWallSecond,
    meanResponseSeconds: q.meanResponseSeconds,
    meanResponseHalfWidth95: q.halfWidth95,
    theoryMeanResponseSeconds: THEORY_MEAN_RESPONSE,
    runs: q.runs,
  })),
  memory: { plainEvent: plainMemory, process: processMemoryFigure },
  targets,
  table: out,
};
const resultsDir = join(root, "bench", "results");
mkdirSync(resultsDir, { recursive: true });
const json = `${JSON.stringify(result, null, 2)}\n`;
writeFileSync(join(resultsDir, "latest.json"), json);
let written = "bench/results/latest.json";
if (save) {
  const dated = `${result.date.slice(0, 10)}.json`;
  writeFileSync(join(resultsDir, dated), json);
  written += ` and bench/results/${dated}`;
}
console.log(`wrote ${written}`);
