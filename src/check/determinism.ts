/**
 * Determinism check: build the same model twice from one seed, run both, compare. Two runs
 * agree when they processed the same number of events, ended at the same time, have the same
 * trace hash (time, type and entity of every event, in order), and every entity's summary is
 * equal leaf by leaf (name, type, status, live processes, every engine counter, every metric;
 * numbers by `Object.is`). With `payloads: true` the kind and payload of every message sent,
 * in send order, are folded into a digest too (src/check/payloadDigest.ts says what it covers).
 */

import type { RunOptions, RunSummary, Simulation } from "../core/simulation.js";
import { DistsimError } from "../errors/errors.js";
import { ValueDigest } from "./payloadDigest.js";

export interface DeterminismOptions extends RunOptions {
  /**
   * Also compare a digest of every sent message's kind and payload (in send order). Off by
   * default: it subscribes to the trace stream, which slows the runs down.
   */
  payloads?: boolean;
}

export interface DeterminismVerdict {
  readonly deterministic: boolean;
  readonly seed: number;
  readonly first: RunSummary;
  readonly second: RunSummary;
  /** The two payload digests (16 hex digits each), when asked for with `payloads: true`. */
  readonly payloadDigests: readonly [string, string] | null;
  /** What differed, in words; empty when deterministic. */
  readonly differences: readonly string[];
}

/** Entity differences listed at most; the rest are counted. */
const MAX_LISTED = 20;

/**
 * Builds the model with `build(seed)` twice, runs each with `options`, and returns a verdict.
 * Never throws for a difference (use `assertDeterministic` for that).
 */
export function checkDeterminism(
  build: (seed: number) => Simulation,
  seed: number,
  options: DeterminismOptions = {},
): DeterminismVerdict {
  const { payloads, ...runOptions } = options;
  const runOnce = (): [RunSummary, string | null] => {
    const sim = build(seed);
    if (payloads !== true) return [sim.run(runOptions), null];
    const digest = new ValueDigest();
    const stop = sim.onTrace((record) => {
      if (record.type === "message-sent") digest.add(record.kind).add(record.payload);
    });
    const summary = sim.run(runOptions);
    stop();
    return [summary, digest.hex()];
  };
  const [first, firstDigest] = runOnce();
  const [second, secondDigest] = runOnce();
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
  if (firstDigest !== secondDigest) {
    differences.push(`payload digest ${firstDigest} vs ${secondDigest}`);
  }
  const entityDifferences: string[] = [];
  const count = Math.max(first.entities.length, second.entities.length);
  for (let i = 0; i < count; i++) {
    const a = first.entities[i];
    const b = second.entities[i];
    const where = `entity ${JSON.stringify(a?.name ?? b?.name)}`;
    if (a === undefined || b === undefined)
      entityDifferences.push(`${where} exists in one run only`);
    else compareLeaves(where, "", a, b, entityDifferences);
  }
  differences.push(...entityDifferences.slice(0, MAX_LISTED));
  if (entityDifferences.length > MAX_LISTED) {
    differences.push(`and ${entityDifferences.length - MAX_LISTED} more entity differences`);
  }
  const payloadDigests = firstDigest === null ? null : ([firstDigest, secondDigest!] as const);
  return {
    deterministic: differences.length === 0,
    seed,
    first,
    second,
    payloadDigests,
    differences,
  };
}

/** Walks two JSON-like values together, noting every leaf that differs (`where path: a vs b`). */
function compareLeaves(where: string, path: string, a: unknown, b: unknown, out: string[]): void {
  if (typeof a === "object" && a !== null && typeof b === "object" && b !== null) {
    const keys = Object.keys(a);
    for (const key of Object.keys(b)) if (!(key in a)) keys.push(key);
    for (const key of keys) {
      const child = path === "" ? key : `${path}.${key}`;
      const left = (a as Record<string, unknown>)[key];
      compareLeaves(where, child, left, (b as Record<string, unknown>)[key], out);
    }
  } else if (!Object.is(a, b)) {
    out.push(`${where} ${path}: ${describe(a)} vs ${describe(b)}`);
  }
}

function describe(value: unknown): string {
  if (typeof value === "string") return JSON.stringify(value);
  if (typeof value === "object" && value !== null) return "an object";
  return Object.is(value, -0) ? "-0" : String(value);
}

/** Thrown by `assertDeterministic`, with the seed that shows the difference. */
export class NondeterminismError extends DistsimError {
  override name = "NondeterminismError";
  constructor(readonly verdict: DeterminismVerdict) {
    super(
      `two runs of seed ${verdict.seed} differ: ${verdict.differences.join("; ")}. Look for draws from the global random generator, wall-clock reads, state shared between builds, or iteration over unordered state in the model.`,
    );
  }
}

/** Like `checkDeterminism`, but throws `NondeterminismError` (naming the seed) on a difference. */
export function assertDeterministic(
  build: (seed: number) => Simulation,
  seed: number,
  options: DeterminismOptions = {},
): DeterminismVerdict {
  const verdict = checkDeterminism(build, seed, options);
  if (!verdict.deterministic) throw new NondeterminismError(verdict);
  return verdict;
}
