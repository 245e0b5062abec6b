/**
 * `npm run bench:check` (node --expose-gc --import tsx bench/checkers.ts): how fast the
 * linearizability checker decides, on generated histories and on Jepsen-format text (EDN,
 * read and checked). Not a test: it prints a table (wall time, so on a shared machine read the
 * best and the worst of the repeats, and CPU time, steadier) and never fails on timing.
 *
 * Rows:
 *   register N ops, 10 clients   one key, read/write/cas (etcd's Jepsen workload), N operations
 *   kv N ops over K keys          get/put/append, 10 clients (Porcupine's key-value histories)
 *   jepsen EDN ...                the same histories written as Jepsen EDN lines, parsed and
 *                                 checked (5% of operations indeterminate: timeouts)
 *   stale read in N ops           a linearizable history with one stale read planted near the
 *                                 end: the verdict and its explanation (the shortest failing
 *                                 prefix, found by bisection)
 * Histories are linearizable by construction (test/support/linearizableHistories.ts): each
 * operation takes effect at a random instant inside its interval on one sequential object.
 *
 * Environment:
 *   DISTSIM_BENCH_EXPORT=DIR      also write the generated histories to DIR as Jepsen EDN
 *                                 (register-*.edn, kv-*.edn), for another checker to time the
 *                                 same ones (docs/checkers.md: the comparison with Porcupine)
 *   DISTSIM_BENCH_HISTORIES=DIR   instead, check every history file in DIR: Jepsen EDN
 *                                 (`.edn`, or Porcupine's key-value `.txt`, one map a line) or
 *                                 a Jepsen run log (`.log`: `INFO jepsen.util - 3 :invoke :cas
 *                                 [1 4]` lines, as Knossos's and Porcupine's etcd histories are)
 *   DISTSIM_BENCH_MODEL=NAME      the model for those (default: kv when the events carry keys,
 *                                 else register)
 *   DISTSIM_BENCH_INITIAL=JSON    the value a register or key holds before any write (default
 *                                 nil; Porcupine's key-value histories read "" for a missing key)
 */
import { mkdirSync, readdirSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { formatEdnHistory, parseEdnHistory } from "../src/check/history/edn.js";
import type { HistoryEvent } from "../src/check/history/history.js";
import { checkLinearizability } from "../src/check/linearizability/check.js";
import { type Model, type ModelName, models } from "../src/check/linearizability/model.js";
import { linearizableHistory } from "../test/support/linearizableHistories.js";
import { parseJepsenLog } from "./jepsenLog.js";

const REPEATS = 5;
/**
 * A repeat runs the check for this much CPU time at least, so a check of microseconds is timed
 * over many, and the collector's and compiler's threads (counted in the process's CPU time)
 * are spread over the batch. No collection is forced between repeats: its background work would
 * land in the next repeat; each batch pays for its own garbage, as a Go benchmark does.
 */
const MIN_BATCH_MS = 50;

interface Row {
  name: string;
  operations: number;
  verdict: string;
  steps: number;
  /** The first check of the history in this process (cold: the JIT has not seen it). */
  firstCpuMs: number;
  bestMs: number;
  worstMs: number;
  /** CPU time of the best repeat: on a loaded machine, steadier than wall time. */
  bestCpuMs: number;
}

/** CPU time of this process (all its threads: the collector's and the compiler's too), ms. */
function cpuMs(): number {
  const usage = process.cpuUsage();
  return (usage.user + usage.system) / 1000;
}

function measure(
  name: string,
  operations: number,
  once: () => { verdict: string; steps: number },
): Row {
  const firstStart = cpuMs();
  let last = once();
  const firstCpuMs = cpuMs() - firstStart;
  let batch = 1;
  for (;;) {
    const start = cpuMs();
    for (let i = 0; i < batch; i++) last = once();
    if (cpuMs() - start >= MIN_BATCH_MS) break;
    batch *= 2;
  }
  const times: number[] = [];
  const cpuTimes: number[] = [];
  for (let r = 0; r < REPEATS; r++) {
    const start = performance.now();
    const cpuStart = cpuMs();
    for (let i = 0; i < batch; i++) last = once();
    cpuTimes.push((cpuMs() - cpuStart) / batch);
    times.push((performance.now() - start) / batch);
  }
  return {
    name,
    operations,
    verdict: last.verdict,
    steps: last.steps,
    firstCpuMs,
    bestMs: Math.min(...times),
    worstMs: Math.max(...times),
    bestCpuMs: Math.min(...cpuTimes),
  };
}

function check(history: readonly HistoryEvent[], model: Model<unknown>, explain = true) {
  const result = checkLinearizability(history, model, { explain });
  return { verdict: result.verdict, steps: result.steps };
}

function printTable(title: string, rows: readonly Row[]): void {
  const header = [
    "history",
    "ops",
    "verdict",
    "steps",
    "first cpu ms",
    "best ms",
    "worst ms",
    "best cpu ms",
    "ops/s (worst)",
    "ops/s (cpu)",
  ];
  const ms = (value: number) => value.toFixed(value < 10 ? 3 : 1);
  const rate = (value: number) => Math.round(value).toLocaleString("en-US");
  const table = rows.map((r) => [
    r.name,
    r.operations.toLocaleString("en-US"),
    r.verdict,
    r.steps.toLocaleString("en-US"),
    ms(r.firstCpuMs),
    ms(r.bestMs),
    ms(r.worstMs),
    ms(r.bestCpuMs),
    rate(r.operations / (r.worstMs / 1000)),
    rate(r.operations / (Math.max(r.bestCpuMs, 1e-3) / 1000)),
  ]);
  const widths = header.map((h, c) => Math.max(h.length, ...table.map((row) => row[c]!.length)));
  const line = (cells: string[]) =>
    cells
      .map((cell, c) => (c === 0 ? cell.padEnd(widths[c]!) : cell.padStart(widths[c]!)))
      .join("  ");
  console.log(`${title}, ${REPEATS} repeats each (wall time on this machine)\n`);
  console.log(line(header));
  console.log(line(widths.map((w) => "-".repeat(w))));
  for (const row of table) console.log(line(row));
  const worst = rows.reduce((a, b) => (b.worstMs > a.worstMs ? b : a));
  console.log(`\nWorst case: ${worst.name}, ${worst.worstMs.toFixed(1)} ms.`);
  console.log(
    "first cpu ms: the first check of that history (the JIT cold for it); best cpu ms: CPU time of the best repeat (steadier than wall time on a loaded machine).",
  );
}

/** Operations (invokes) in a history. */
function invokes(history: readonly HistoryEvent[]): number {
  return history.filter((event) => event.type === "invoke").length;
}

function readHistory(path: string): readonly HistoryEvent[] {
  const text = readFileSync(path, "utf8");
  return path.endsWith(".log") ? parseJepsenLog(text) : parseEdnHistory(text).history;
}

function externalModel(history: readonly HistoryEvent[]): Model<unknown> {
  const initialText = process.env.DISTSIM_BENCH_INITIAL;
  const initial: unknown = initialText === undefined ? undefined : JSON.parse(initialText);
  const named = process.env.DISTSIM_BENCH_MODEL;
  const name: ModelName =
    named !== undefined
      ? (named as ModelName)
      : history.some((event) => event.key !== undefined)
        ? "kv"
        : "register";
  if (!(name in models)) {
    throw new Error(`DISTSIM_BENCH_MODEL: one of ${Object.keys(models).join(", ")}; given ${name}`);
  }
  if (name === "register") return models.register({ initial });
  if (name === "kv") return models.kv({ initial });
  return models[name]() as Model<unknown>;
}

function benchExternal(dir: string): void {
  const rows: Row[] = [];
  const files = readdirSync(dir)
    .filter((file) => /\.(edn|log|txt)$/.test(file))
    .sort();
  for (const file of files) {
    const history = readHistory(join(dir, file));
    const model = externalModel(history);
    const operations = invokes(history);
    // The verdict alone, as Porcupine's CheckEvents gives it; a violation explained after.
    const row = measure(`${file} (${model.name})`, operations, () => check(history, model, false));
    rows.push(row);
    if (row.verdict === "not-linearizable") {
      rows.push(measure(`${file}, explained`, operations, () => check(history, model)));
    }
  }
  if (rows.length === 0)
    throw new Error(`DISTSIM_BENCH_HISTORIES: no .edn, .log or .txt file in ${dir}`);
  printTable(`Linearizability checker on the histories in ${dir} (check only, read once)`, rows);
}

function benchGenerated(exportDir: string | undefined): void {
  const exported = (file: string, history: readonly HistoryEvent[]) => {
    if (exportDir !== undefined) writeFileSync(join(exportDir, file), formatEdnHistory(history));
  };
  if (exportDir !== undefined) mkdirSync(exportDir, { recursive: true });
  const rows: Row[] = [];
  for (const operations of [1000, 2000, 5000, 10000]) {
    const history = linearizableHistory({ model: "register", clients: 10, operations, seed: 7 });
    exported(`register-${operations}.edn`, history);
    rows.push(
      measure(`register ${operations} ops, 10 clients`, operations, () =>
        check(history, models.register()),
      ),
    );
  }
  for (const [operations, keys] of [
    [10000, 10],
    [10000, 100],
    [10000, 1000],
  ] as const) {
    const history = linearizableHistory({ model: "kv", clients: 10, operations, keys, seed: 7 });
    exported(`kv-${operations}-${keys}keys.edn`, history);
    rows.push(
      measure(`kv ${operations} ops over ${keys} keys`, operations, () =>
        check(history, models.kv()),
      ),
    );
  }
  {
    const history = linearizableHistory({
      model: "register",
      clients: 10,
      operations: 10000,
      seed: 11,
      infoRate: 0.05,
    });
    exported("register-10000-info5.edn", history);
    const text = formatEdnHistory(history);
    rows.push(
      measure("jepsen EDN register 10000 ops, 5% info", 10000, () =>
        check(parseEdnHistory(text).history, models.register()),
      ),
    );
    const kvHistory = linearizableHistory({
      model: "kv",
      clients: 10,
      operations: 10000,
      keys: 10,
      seed: 11,
      infoRate: 0.05,
    });
    exported("kv-10000-10keys-info5.edn", kvHistory);
    const kvText = formatEdnHistory(kvHistory);
    rows.push(
      measure("jepsen EDN kv 10000 ops/10 keys, 5% info", 10000, () =>
        check(parseEdnHistory(kvText).history, models.kv()),
      ),
    );
  }
  for (const operations of [1000, 5000]) {
    const history = linearizableHistory({ model: "register", clients: 10, operations, seed: 5 });
    // Plant a stale read: the last ok read returns a value no write ever wrote.
    const planted = [...history];
    for (let i = planted.length - 1; i >= 0; i--) {
      const event = planted[i]!;
      if (event.type === "ok" && event.f === "read") {
        planted[i] = { ...event, value: 99 };
        break;
      }
    }
    exported(`register-${operations}-stale.edn`, planted);
    rows.push(
      measure(`stale read in ${operations} ops (explained)`, operations, () =>
        check(planted, models.register()),
      ),
    );
  }
  printTable("Linearizability checker", rows);
}

const external = process.env.DISTSIM_BENCH_HISTORIES;
if (external !== undefined) benchExternal(external);
else benchGenerated(process.env.DISTSIM_BENCH_EXPORT);
