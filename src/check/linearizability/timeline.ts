/**
 * A linearizability verdict as text: one line for a pass, and for a violation the operation
 * that cannot be placed, the states the object could have been in, the linearization of what
 * came before, and a timeline of the operations around it, one row each, drawn over the
 * history's events (one column per event, so concurrent operations overlap visibly).
 *
 * Legend: `[----]` an operation from its invoke to its completion; `[---->` one still open at
 * the end of the failing prefix (indeterminate, or not completed yet); `X` marks the operation
 * that cannot be placed.
 */
import { formatTimeNs } from "../../errors/errors.js";
import { showValue } from "../history/values.js";
import type { LinearizabilityFailure, LinearizabilityResult, TimelineOperation } from "./check.js";

/** Operations drawn at most: those around the unplaceable one. */
const MAX_ROWS = 24;

/** The verdict, and for a violation its explanation and timeline. */
export function formatLinearizability(result: LinearizabilityResult): string {
  const parts = result.partitions.length;
  const counts = `${result.operations} operations (${result.failed} failed, ${result.indeterminate} indeterminate)${
    parts > 1 ? `, ${parts} keys` : ""
  }, ${result.steps} search steps`;
  if (result.verdict === "linearizable") {
    return `Linearizable (${result.model}): ${counts}.\n`;
  }
  if (result.verdict === "unknown") {
    const undecided = result.partitions.filter((p) => p.verdict === "unknown").length;
    return `Unknown (${result.model}): the budget ran out before a verdict (${undecided} of ${parts} part${
      parts === 1 ? "" : "s"
    } undecided); ${counts}.\n`;
  }
  const failure = result.failure;
  const failing = result.partitions.filter((p) => p.verdict === "not-linearizable").length;
  let text = `Not linearizable (${result.model}): ${counts}${
    parts > 1 ? `; ${failing} of ${parts} keys fail` : ""
  }.\n`;
  if (failure !== null) text += formatFailure(failure);
  return text;
}

/** The explanation of one violation. */
export function formatFailure(failure: LinearizabilityFailure): string {
  const byId = new Map(failure.operations.map((op) => [op.id, op]));
  const culprit = byId.get(failure.unplaceable[0]!)!;
  const where = failure.key === null ? "" : ` (key ${showValue(failure.key)})`;
  const when =
    culprit.completeTime === undefined ? "" : `, t=${formatTimeNs(culprit.completeTime)}`;
  const lines: string[] = [];
  lines.push(
    `${culprit.description} by process ${String(culprit.process)}${where} cannot be placed: when it completed (event ${failure.prefixEnd}${when}) the ${failure.model} could only be ${
      failure.possibleStates.length === 0 ? "(no state)" : failure.possibleStates.join(" or ")
    }.`,
  );
  const order = failure.linearized.map((id) => {
    const op = byId.get(id)!;
    return `${op.description} (p${String(op.process)})`;
  });
  lines.push(`Linearizable before it: ${order.length === 0 ? "nothing" : summarise(order)}.`);
  lines.push(`Shortest failing prefix: events 0-${failure.prefixEnd}.`);
  lines.push(drawTimeline(failure, culprit));
  return `${lines.join("\n")}\n`;
}

function summarise(order: readonly string[]): string {
  if (order.length <= 12) return order.join(", ");
  return `… ${order.length - 10} earlier, ${order.slice(-10).join(", ")}`;
}

/** The rows shown: operations overlapping the culprit and the latest ones before it. */
function rowsAround(
  failure: LinearizabilityFailure,
  culprit: TimelineOperation,
): TimelineOperation[] {
  const ops = failure.operations;
  const overlapping = ops.filter(
    (op) => op.id !== culprit.id && (op.completeIndex ?? Infinity) > culprit.invokeIndex,
  );
  const before = ops.filter(
    (op) => op.id !== culprit.id && (op.completeIndex ?? Infinity) <= culprit.invokeIndex,
  );
  const room = Math.max(0, MAX_ROWS - 1 - overlapping.length);
  const shown = [...before.slice(Math.max(0, before.length - room)), ...overlapping, culprit];
  return shown
    .slice(Math.max(0, shown.length - MAX_ROWS))
    .sort((a, b) => a.invokeIndex - b.invokeIndex);
}

function drawTimeline(failure: LinearizabilityFailure, culprit: TimelineOperation): string {
  const rows = rowsAround(failure, culprit);
  const hidden = failure.operations.length - rows.length;
  const marks = new Set<number>();
  for (const op of rows) {
    marks.add(op.invokeIndex);
    if (op.completeIndex !== null) marks.add(op.completeIndex);
  }
  const columns = [...marks].sort((a, b) => a - b);
  const columnOf = new Map(columns.map((index, i) => [index, i * 2]));
  const width = columns.length * 2;
  const labels = rows.map((op) => `p${String(op.process)} ${op.description}`);
  const labelWidth = Math.max(...labels.map((l) => l.length));
  const lines: string[] = [];
  if (hidden > 0) lines.push(`  (${hidden} earlier operations not drawn)`);
  rows.forEach((op, r) => {
    const start = columnOf.get(op.invokeIndex)!;
    const end = op.completeIndex === null ? width - 1 : columnOf.get(op.completeIndex)!;
    let bar = " ".repeat(start);
    bar +=
      op.completeIndex === null
        ? `[${"-".repeat(Math.max(0, end - start - 1))}>`
        : `[${"-".repeat(Math.max(0, end - start - 1))}]`;
    bar = bar.padEnd(width);
    const time =
      op.invokeTime === undefined
        ? ""
        : `  ${formatTimeNs(op.invokeTime)}-${op.completeTime === undefined ? "?" : formatTimeNs(op.completeTime)}`;
    const outcome = op.status === "info" ? " info" : op.completeIndex === null ? " open" : "";
    const mark = op.id === culprit.id ? "  X cannot be placed" : "";
    lines.push(`  ${labels[r]!.padEnd(labelWidth)}  ${bar}${outcome}${time}${mark}`.trimEnd());
  });
  return lines.join("\n");
}
