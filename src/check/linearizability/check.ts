/**
 * `checkLinearizability(history, model)`: is there one order of the history's operations,
 * consistent with real time (an operation that completed before another was invoked comes
 * first), in which each is a legal step of the model? Partitioned models (a key-value map) are
 * checked part by part (P-compositionality). On a violation the verdict explains itself: the
 * shortest prefix of the history that is already not linearizable, the operation whose
 * completion ends it (it cannot be placed), the linearization of everything before, and the
 * states the object could have been in.
 */
import { wallMilliseconds } from "../../core/wallClock.js";
import { ConfigError } from "../../errors/errors.js";
import { type History, type Operation, pairOperations } from "../history/history.js";
import { showValue } from "../history/values.js";
import { describeOperation, type Model, type Partition } from "./model.js";
import { type SearchLimits, searchLinearization } from "./search.js";

/** Options of `checkLinearizability`. */
export interface LinearizabilityOptions {
  /**
   * Seconds of wall time the whole check may take (explaining a failure included); past it the
   * verdict is "unknown". Default: no limit.
   */
  readonly budget?: number;
  /**
   * Model steps the search may try, over all parts: a budget that gives the same verdict on
   * every machine. Default: no limit.
   */
  readonly maxSteps?: number;
  /** Explain a violation (the shortest failing prefix and what cannot be placed). Default true. */
  readonly explain?: boolean;
}

/** The verdict: linearizable, not, or the budget ran out first. */
export type Verdict = "linearizable" | "not-linearizable" | "unknown";

/** What was decided about one part (a key). */
export interface PartitionVerdict {
  readonly key: unknown;
  readonly verdict: Verdict;
  /** Operations checked (ok and indeterminate ones that can matter). */
  readonly operations: number;
  /** Model steps the search tried. */
  readonly steps: number;
}

/** An operation as a timeline draws it. */
export interface TimelineOperation {
  readonly id: number;
  readonly process: string | number;
  readonly f: string;
  readonly key?: unknown;
  /** `write 1`, `read → 2`, `cas [1 2] → ?`. */
  readonly description: string;
  readonly status: "ok" | "info";
  readonly invokeIndex: number;
  /** Null when it had not completed by the end of the failing prefix, or never did (info). */
  readonly completeIndex: number | null;
  readonly invokeTime?: number;
  readonly completeTime?: number;
}

/** Why a history is not linearizable, as text and as data a browser view can draw. */
export interface LinearizabilityFailure {
  /** The part that failed (a key), null for a history checked whole. */
  readonly key: unknown;
  /** The model's name. */
  readonly model: string;
  /**
   * The history event that ends the shortest failing prefix: the completion of the operation
   * that cannot be placed. Every shorter prefix is linearizable.
   */
  readonly prefixEnd: number;
  /** The part's operations invoked within that prefix, by invoke. */
  readonly operations: readonly TimelineOperation[];
  /** Ids of the operations that cannot be placed (the one whose completion ends the prefix). */
  readonly unplaceable: readonly number[];
  /**
   * A linearization of the rest of the prefix (every operation that completed before, and the
   * indeterminate ones it chose to apply), by id, in order: the longest linearizable prefix.
   */
  readonly linearized: readonly number[];
  /** The states the object could be in at that point, as the model describes them (at most 8). */
  readonly possibleStates: readonly string[];
}

/** The result of `checkLinearizability`. */
export interface LinearizabilityResult {
  readonly verdict: Verdict;
  readonly model: string;
  /** Operations in the history (failed ones included). */
  readonly operations: number;
  /** Operations that failed (never applied, left out). */
  readonly failed: number;
  /** Indeterminate operations (info, or never completed). */
  readonly indeterminate: number;
  /** One verdict per part, in the order parts first appear. */
  readonly partitions: readonly PartitionVerdict[];
  /** Model steps tried in all. */
  readonly steps: number;
  /** The explanation of a violation; null otherwise (or when `explain` is false). */
  readonly failure: LinearizabilityFailure | null;
}

/** States listed at most in a failure. */
const MAX_STATES = 8;

/**
 * Checks a history against a model. Never throws for a violation (it is the verdict); throws
 * `HistoryError` for a history that makes no sense and `ConfigError` for bad options.
 */
export function checkLinearizability<S>(
  history: History,
  model: Model<S>,
  options: LinearizabilityOptions = {},
): LinearizabilityResult {
  const budget = options.budget ?? Number.POSITIVE_INFINITY;
  if (!(budget > 0)) {
    throw new ConfigError("checkLinearizability", "budget", "a number of seconds > 0", budget);
  }
  const maxSteps = options.maxSteps ?? Number.POSITIVE_INFINITY;
  if (!(maxSteps > 0)) {
    throw new ConfigError("checkLinearizability", "maxSteps", "a number > 0", maxSteps);
  }
  const deadlineMs = wallMilliseconds() + budget * 1000;
  const paired = pairOperations(history);
  const all = paired.operations;
  const indeterminate = all.filter((op) => op.status === "info").length;
  const parts: readonly Partition[] =
    model.partition === undefined ? [{ key: null, operations: all }] : model.partition(all);
  let steps = 0;
  let verdict: Verdict = "linearizable";
  let failure: LinearizabilityFailure | null = null;
  const partitions: PartitionVerdict[] = [];
  const failing: { part: Partition; ops: readonly Operation[] }[] = [];
  for (const part of parts) {
    const ops = relevant(model, part.operations);
    const limits: SearchLimits = { deadlineMs, maxSteps: maxSteps - steps };
    const outcome = searchLinearization(model, ops, limits);
    steps += outcome.steps;
    partitions.push({
      key: part.key,
      verdict: outcome.kind,
      operations: ops.length,
      steps: outcome.steps,
    });
    if (outcome.kind === "not-linearizable") {
      verdict = "not-linearizable";
      failing.push({ part, ops });
    } else if (outcome.kind === "unknown" && verdict === "linearizable") {
      verdict = "unknown";
    }
  }
  if (options.explain !== false) {
    // The earliest failure, whichever part it is in: each part after the first is asked only
    // whether it fails before the best so far.
    const unlimited = { deadlineMs, maxSteps: Number.POSITIVE_INFINITY };
    for (const { part, ops } of failing) {
      const before: number = failure?.prefixEnd ?? Number.POSITIVE_INFINITY;
      failure = explain(model, part, ops, unlimited, before) ?? failure;
    }
  }
  return {
    verdict,
    model: model.name,
    operations: all.length + paired.failed,
    failed: paired.failed,
    indeterminate,
    partitions,
    steps,
    failure,
  };
}

/** Leaves out indeterminate operations that cannot matter (reads). */
function relevant<S>(model: Model<S>, ops: readonly Operation[]): Operation[] {
  const readOnly = model.readOnly;
  if (readOnly === undefined) return [...ops];
  return ops.filter((op) => op.status === "ok" || !readOnly.call(model, op));
}

/** The operations of the prefix that ends at history event `end`, completions after it unknown. */
function prefix<S>(
  model: Model<S>,
  ops: readonly Operation[],
  end: number,
  without: number,
): Operation[] {
  const result: Operation[] = [];
  for (const op of ops) {
    if (op.invokeIndex > end || op.id === without) continue;
    if (op.completeIndex <= end) {
      result.push(op);
      continue;
    }
    const pending: Operation = {
      ...op,
      status: "info",
      output: undefined,
      completeIndex: Number.POSITIVE_INFINITY,
    };
    if (model.readOnly?.(pending) !== true) result.push(pending);
  }
  return result;
}

/**
 * Finds the shortest failing prefix by bisection over the completions (adding an invoke never
 * makes a linearizable prefix fail, and a failing prefix stays failing when extended). Null
 * when the part does not fail before history event `before`, or the budget ran out.
 */
function explain<S>(
  model: Model<S>,
  part: Partition,
  ops: readonly Operation[],
  limits: SearchLimits,
  before: number,
): LinearizabilityFailure | null {
  const returns = ops
    .filter((op) => op.status === "ok" && op.completeIndex < before)
    .map((op) => op.completeIndex)
    .sort((a, b) => a - b);
  if (returns.length === 0) return null;
  let lo = 0;
  let hi = returns.length - 1;
  if (before !== Number.POSITIVE_INFINITY) {
    const outcome = searchLinearization(model, prefix(model, ops, returns[hi]!, -1), limits);
    if (outcome.kind !== "not-linearizable") return null;
  }
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    const outcome = searchLinearization(model, prefix(model, ops, returns[mid]!, -1), limits);
    if (outcome.kind === "unknown") return null;
    if (outcome.kind === "not-linearizable") hi = mid;
    else lo = mid + 1;
  }
  const end = returns[lo]!;
  const culprit = ops.find((op) => op.completeIndex === end)!;
  // Everything in the prefix but the culprit: a linearization, and where it can leave the object.
  const rest = prefix(model, ops, end, culprit.id);
  const witness = searchLinearization(model, rest, limits);
  const states: S[] = [];
  searchLinearization(model, rest, limits, { max: MAX_STATES, states });
  const describeState = model.describeState?.bind(model) ?? showValue;
  const describe = model.describeOperation?.bind(model) ?? describeOperation;
  const shown = ops
    .filter((op) => op.invokeIndex <= end)
    .sort((a, b) => a.invokeIndex - b.invokeIndex)
    .map((op): TimelineOperation => {
      const completeIndex = op.completeIndex <= end ? op.completeIndex : null;
      return {
        id: op.id,
        process: op.process,
        f: op.f,
        ...(op.key === undefined ? {} : { key: op.key }),
        description: describe(op),
        status: op.status,
        invokeIndex: op.invokeIndex,
        completeIndex,
        ...(op.invokeTime === undefined ? {} : { invokeTime: op.invokeTime }),
        ...(op.completeTime === undefined || completeIndex === null
          ? {}
          : { completeTime: op.completeTime }),
      };
    });
  return {
    key: part.key,
    model: model.name,
    prefixEnd: end,
    operations: shown,
    unplaceable: [culprit.id],
    linearized: witness.kind === "linearizable" ? witness.order.map((i) => rest[i]!.id) : [],
    possibleStates: states.map((s) => describeState(s)),
  };
}
