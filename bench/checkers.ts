/**
 * `npm run bench:check` (node --expose-gc --import tsx bench/checkers.ts): how fast the
 * linearizability checker decides, on generated histories and on Jepsen-format text (EDN,
 * read and checked). Not a test: it prints a table (wall time, so on a shared machine read the
 * best and the worst of the repeats) and never fails on timing.
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
 */
import { formatEdnHistory, parseEdnHistory } from "../src/check/history/edn.js";
import type { HistoryEvent } from "../src/check/history/history.js";
import { checkLinearizability } from "../src/check/linearizability/check.js";
import { type Model, models } from "../src/check/linearizability/model.js";
import { linearizableHistory } from "../test/support/linearizableHistories.js";

const REPEATS = 5;

interface Row {
  name: string;
  operations: number;
  verdict: string;
  steps: number;
  bestMs: number;
  worstMs: number;
}

function measure(
  name: string,
  operations: number,
  once: () => { verdict: string; steps: number },
): Row {
  const times: number[] = [];
  let last = { verdict: "", steps: 0 };
  for (let i = 0; i < REPEATS; i++) {
    (globalThis as { gc?: () => void }).gc?.();
    const start = performance.now();
    last = once();
    times.push(performance.now() - start);
  }
  return {
    name,
    operations,
    verdict: last.verdict,
    steps: last.steps,
    bestMs: Math.min(...times),
    worstMs: Math.max(...times),
  };
}

function check(history: readonly HistoryEvent[], model: Model<unknown>) {
  const result = checkLinearizability(history, model);
  return { verdict: result.verdict, steps: result.steps };
}

const rows: Row[] = [];
for (const operations of [1000, 2000, 5000, 10000]) {
  const history = linearizableHistory({ model: "register", clients: 10, operations, seed: 7 });
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
  const text = formatEdnHistory(history);
  rows.push(
    measure("jepsen EDN register 10000 ops, 5% info", 10000, () =>
      check(parseEdnHistory(text).history, models.register()),
    ),
  );
  const kvText = formatEdnHistory(
    linearizableHistory({
      model: "kv",
      clients: 10,
      operations: 10000,
      keys: 10,
      seed: 11,
      infoRate: 0.05,
    }),
  );
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
  rows.push(
    measure(`stale read in ${operations} ops (explained)`, operations, () =>
      check(planted, models.register()),
    ),
  );
}

const header = ["history", "verdict", "steps", "best ms", "worst ms", "ops/s (worst)"];
const table = rows.map((r) => [
  r.name,
  r.verdict,
  r.steps.toLocaleString("en-US"),
  r.bestMs.toFixed(1),
  r.worstMs.toFixed(1),
  Math.round(r.operations / (r.worstMs / 1000)).toLocaleString("en-US"),
]);
const widths = header.map((h, c) => Math.max(h.length, ...table.map((row) => row[c]!.length)));
const line = (cells: string[]) =>
  cells
    .map((cell, c) => (c === 0 ? cell.padEnd(widths[c]!) : cell.padStart(widths[c]!)))
    .join("  ");
console.log(`Linearizability checker, ${REPEATS} repeats each (wall time on this machine)\n`);
console.log(line(header));
console.log(line(widths.map((w) => "-".repeat(w))));
for (const row of table) console.log(line(row));
const worst = rows.reduce((a, b) => (b.worstMs > a.worstMs ? b : a));
console.log(`\nWorst case: ${worst.name}, ${worst.worstMs.toFixed(1)} ms.`);
