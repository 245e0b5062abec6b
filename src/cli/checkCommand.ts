/**
 * `distsim check model.ts [--seeds N | --seed S] [--workers N | --inline | --redis URL
 * [--queue Q]] [--json out.json] [--stop-on-failure] [--quiet]`: explores a model's seeds
 * (`exploreModel`) on worker threads by default, prints the pass and fail counts, each failing
 * seed's first violation, and the failures grouped by invariant and by the fault kinds active
 * when it broke. Exit code 0 every seed passed, 1 a violation was found, 2 bad input or usage.
 */
import { createHash } from "node:crypto";
import { readFileSync, writeFileSync } from "node:fs";
import type { CheckModel } from "../check/invariants/checkModel.js";
import {
  type ExploreFailure,
  type ExploreResult,
  exploreResultJson,
} from "../check/invariants/explore.js";
import { formatViolation } from "../check/invariants/invariants.js";
import { groupDigits } from "../errors/errors.js";
import { exploreModel } from "../sweep/explore.js";
import { bullmqBackend, DEFAULT_SWEEP_QUEUE } from "../sweep/node/bullmqBackend.js";
import { loadTaskModel, resolveModelId } from "../sweep/node/modelFile.js";
import { threadsBackend } from "../sweep/node/threadsBackend.js";
import { inlineBackend, type SweepBackend, type SweepProgress } from "../sweep/sweep.js";
import { ExitCode } from "./exitCodes.js";
import { type CommandIO, shellWord } from "./runCommand.js";
import { ProgressBar } from "./sweepCommand.js";

export interface CheckCommandOptions {
  file: string;
  /** Seeds 0 .. seeds-1; ignored when `seed` is given. */
  seeds: number;
  /** Check this one seed only (a replay). */
  seed?: number;
  /** Threads; default the cores. */
  workers?: number;
  /** Run in this process, one seed at a time. */
  inline?: boolean;
  redis?: string;
  queue?: string;
  json?: string;
  stopOnFailure?: boolean;
  quiet?: boolean;
  /** Wall seconds between progress lines when stderr is not a terminal. Default 10. */
  progressEverySeconds?: number;
}

/** Failing seeds listed in the terminal, and seeds shown per group; --json has them all. */
const SHOWN_FAILURES = 20;
const SHOWN_SEEDS = 10;

export async function checkCommand(options: CheckCommandOptions, io: CommandIO): Promise<number> {
  const path = resolveModelId(options.file);
  if (typeof path !== "string") {
    io.err(`distsim check: ${path.error}\n`);
    return ExitCode.usage;
  }
  // Loaded here too, whatever the backend: a file that is not a model to check is bad input,
  // said before any seed is queued (and the header names its phases).
  const model = await loadTaskModel("explore", path);
  if (typeof model === "string") {
    io.err(`distsim check: ${model}\n`);
    return ExitCode.usage;
  }
  const checkModel = model as CheckModel;
  let backend: SweepBackend;
  try {
    backend =
      options.redis !== undefined
        ? bullmqBackend({ url: options.redis, queue: options.queue ?? DEFAULT_SWEEP_QUEUE })
        : options.inline === true
          ? inlineBackend()
          : threadsBackend(options.workers === undefined ? {} : { workers: options.workers });
  } catch (error) {
    io.err(`distsim check: ${(error as Error).message}\n`);
    return ExitCode.usage;
  }
  const clock = io.now ?? (() => performance.now());
  const bar =
    options.quiet === true
      ? null
      : new ProgressBar(io, clock, options.progressEverySeconds ?? 10, "distsim check", "seeds");
  let result: ExploreResult;
  try {
    result = await exploreModel({
      // The inline backend runs the model loaded above; worker backends load it by path.
      ...(options.inline === true ? { model: checkModel } : {}),
      modelId: path,
      // The file's bytes name its version: a changed model is a new job (new BullMQ job ids).
      modelVersion: createHash("sha256").update(readFileSync(path)).digest("hex"),
      seeds: options.seed === undefined ? options.seeds : [options.seed],
      backend,
      ...(options.stopOnFailure === true ? { stopOnFirstFailure: true } : {}),
      ...(bar === null ? {} : { onProgress: (p: SweepProgress) => bar.update(p) }),
    });
  } catch (error) {
    bar?.end();
    io.err(`distsim check: ${(error as Error).message}\n`);
    return ExitCode.usage;
  }
  bar?.end();

  // SEAM(--shrink): `distsim check --shrink` reduces failing seeds here, before the report;
  // the shrinker is src/check/shrink (shrink17's branch; nothing of it is written here). For
  // the first failure of each of `result.groups` (its seed and `faults` in `result.failures`):
  //   const scenario = { seed, params: {}, faults: failure.faults ?? { faults: [] },
  //                      until: checkModel.safety };
  //   const shrunk = shrink({ ...checkModel, shrinkable }, scenario,
  //                         { violation: failure.violation.name });
  // then print formatShrink(shrunk), scenarioJson(shrunk.scenario) and scenarioTestSource(...)
  // after the groups, and add the scenarios to --json. A CheckModel is a ScenarioModel (build,
  // checks, liveness); `shrinkable` would be a new export read by checkModelOf. It runs in
  // this process, whatever the backend. A finding stays exit code 1 whether or not it shrank.

  io.out(formatCheck(result, checkModel, options));
  if (options.json !== undefined) {
    try {
      writeFileSync(options.json, exploreResultJson(result));
    } catch (error) {
      io.err(`distsim check: cannot write ${options.json}: ${(error as Error).message}\n`);
      return ExitCode.usage;
    }
    io.out(`\nwrote ${options.json}\n`);
  }
  return result.failed > 0 ? ExitCode.violation : ExitCode.ok;
}

function plural(count: number, word: string): string {
  return `${groupDigits(count)} ${word}${count === 1 ? "" : "s"}`;
}

function seedsText(seeds: readonly number[]): string {
  const shown = seeds.slice(0, SHOWN_SEEDS).join(", ");
  return seeds.length > SHOWN_SEEDS ? `${shown}, ...` : shown;
}

function faultsText(failure: ExploreFailure): string {
  return failure.faultKinds.length === 0
    ? "no fault active"
    : `faults active: ${failure.faultKinds.join(", ")}`;
}

/** The verdicts for the terminal: counts, failing seeds, the groups, how to replay one. */
export function formatCheck(
  result: ExploreResult,
  model: CheckModel,
  options: Pick<CheckCommandOptions, "file" | "seed">,
): string {
  const seeds =
    options.seed === undefined
      ? `${plural(result.runs, "seed")} (0 to ${groupDigits(result.runs - 1)})`
      : `seed ${options.seed}`;
  const liveness =
    model.liveness === undefined
      ? "no liveness phase"
      : `then every fault healed and progress within ${model.liveness.within}s`;
  let text = `check ${options.file}: ${seeds}; safety ${model.safety}s with faults, ${liveness}\n`;
  text += `${groupDigits(result.passed)} passed, ${groupDigits(result.failed)} failed`;
  text +=
    result.notRun > 0 ? `, ${groupDigits(result.notRun)} not run (${result.stopped})\n` : "\n";
  if (result.failures.length === 0) return text;

  text += `\nfailing seeds, the first violation of each:\n`;
  for (const failure of result.failures.slice(0, SHOWN_FAILURES)) {
    text += `  seed ${failure.seed}: ${formatViolation(failure.violation)} [${faultsText(failure)}]\n`;
  }
  if (result.failures.length > SHOWN_FAILURES) {
    text += `  ... and ${groupDigits(result.failures.length - SHOWN_FAILURES)} more (--json lists them all)\n`;
  }

  text += `\nby invariant, then by the fault kinds active when it broke:\n`;
  for (const [invariant, seeds] of result.byInvariant) {
    text += `  ${invariant}: ${plural(seeds.length, "seed")}\n`;
    const groups = result.groups.filter((group) => group.invariant === invariant);
    // An always and an eventually sharing the name are two failures: each group says which.
    const twoKinds = groups.some((group) => group.kind !== groups[0]!.kind);
    for (const group of groups) {
      const kinds = group.faultKinds.length === 0 ? "no fault" : group.faultKinds.join(" + ");
      const which = twoKinds ? ` (${group.kind})` : "";
      text += `    ${kinds}${which}: ${plural(group.seeds.length, "seed")} (${seedsText(group.seeds)})\n`;
    }
  }
  text += `\nby fault kind active when it broke:\n`;
  for (const [faultKind, seeds] of result.byFaultKind) {
    text += `  ${faultKind}: ${plural(seeds.length, "seed")} (${seedsText(seeds)})\n`;
  }

  const first = result.failures[0]!;
  text += `\nreplay a seed: distsim check ${shellWord(options.file)} --seed ${first.seed} --inline`;
  text += ` (--json writes each failing seed's fault schedule)\n`;
  if (options.seed !== undefined && first.faults !== null) {
    text += `\nfault schedule of seed ${first.seed}:\n${JSON.stringify(first.faults)}\n`;
  }
  return text;
}
