/**
 * Determinism check: build the same model twice from one seed, run both, compare. Two runs
 * agree when they processed the same number of events, ended at the same time and have the
 * same trace hash (time, type and entity of every event, in order).
 */
import { DistsimError } from "../errors/errors.js";
import type { RunOptions, RunSummary, Simulation } from "./simulation.js";

export interface DeterminismVerdict {
  readonly deterministic: boolean;
  readonly seed: number;
  readonly first: RunSummary;
  readonly second: RunSummary;
  /** What differed, in words; empty when deterministic. */
  readonly differences: readonly string[];
}

/**
 * Builds the model with `build(seed)` twice, runs each with `options`, and returns a verdict.
 * Never throws for a difference (use `assertDeterministic` for that).
 */
export function checkDeterminism(
  build: (seed: number) => Simulation,
  seed: number,
  options: RunOptions = {},
): DeterminismVerdict {
  const first = build(seed).run(options);
  const second = build(seed).run(options);
  const differences: string[] = [];
  if (first.traceHash !== second.traceHash) {
    differences.push(`trace hash ${first.traceHash} vs ${second.traceHash}`);
  }
  if (first.eventsProcessed !== second.eventsProcessed) {
    differences.push(`events ${first.eventsProcessed} vs ${second.eventsProcessed}`);
  }
  if (first.timeNs !== second.timeNs) {
    differences.push(`end time ${first.timeNs}ns vs ${second.timeNs}ns`);
  }
  return { deterministic: differences.length === 0, seed, first, second, differences };
}

/** Thrown by `assertDeterministic`, with the seed that shows the difference. */
export class NondeterminismError extends DistsimError {
  override name = "NondeterminismError";
  constructor(readonly verdict: DeterminismVerdict) {
    super(
      `two runs of seed ${verdict.seed} differ: ${verdict.differences.join("; ")}. Look for draws from the global random generator, wall-clock reads, or iteration over unordered state in the model.`,
    );
  }
}

/** Like `checkDeterminism`, but throws `NondeterminismError` (naming the seed) on a difference. */
export function assertDeterministic(
  build: (seed: number) => Simulation,
  seed: number,
  options: RunOptions = {},
): DeterminismVerdict {
  const verdict = checkDeterminism(build, seed, options);
  if (!verdict.deterministic) throw new NondeterminismError(verdict);
  return verdict;
}
