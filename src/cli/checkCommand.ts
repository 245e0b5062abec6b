/**
 * `distsim check model.ts [--seeds N | --seed S] [--workers N | --inline | --redis URL
 * [--queue Q]] [--json out.json] [--stop-on-failure] [--quiet]`: explores a model's seeds
 * (`exploreModel`) on worker threads by default, prints the pass and fail counts, each failing
 * seed's first violation, and the failures grouped by invariant and by the fault kinds that had started by then
 * when it broke. `--shrink [--shrink-runs N]` then shrinks the first failing seed of each group
 * in this process and prints the smallest scenario, as JSON and as a vitest test to paste;
 * `--replay scenario.json` runs one stored scenario instead of exploring. Exit code 0 every seed
 * (or the scenario) passed, 1 a violation was found (shrunk or not), 2 bad input or usage.
 */
import { createHash } from "node:crypto";
import { readFileSync, writeFileSync } from "node:fs";
import { relative, sep } from "node:path";
import { pathToFileURL } from "node:url";
import { tsImport } from "tsx/esm/api";
import type { CheckModel } from "../check/invariants/checkModel.js";
import {
  type ExploreFailure,
  type ExploreResult,
  exploreResultJson,
} from "../check/invariants/explore.js";
import { formatViolation } from "../check/invariants/invariants.js";
import { parseScenario, replay, type Scenario, scenarioJson } from "../check/shrink/scenario.js";
import { formatShrink, type ShrinkResult, shrink } from "../check/shrink/shrink.js";
import { scenarioTestSource } from "../check/shrink/testSource.js";
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
  /** Shrink the first failing seed of each group, in this process, after exploring. */
  shrink?: boolean;
  /** Most model runs per shrink (the shrinker's `maxRuns`). Default 500. */
  shrinkRuns?: number;
  /** Replay this stored scenario (a JSON file) instead of exploring. */
  replay?: string;
}

/** One group's first failing seed, shrunk (or why it could not be). */
export interface ShrunkFailure {
  readonly invariant: string;
  readonly faultKinds: readonly string[];
  readonly seed: number;
  readonly result: ShrinkResult | null;
  /** Why the seed did not shrink (it did not fail again in this process), or null. */
  readonly error: string | null;
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
  if (options.replay !== undefined) return replayCommand(options, options.replay, checkModel, io);
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

  // Shrinking runs here whatever the backend: each candidate is one short run, and the
  // shrinker's loop depends on the previous verdict, so it cannot fan out.
  const shrunk = options.shrink === true ? shrinkGroups(result, checkModel, options) : [];
  io.out(formatCheck(result, checkModel, options));
  if (shrunk.length > 0) {
    io.out(formatShrunk(shrunk, path, options.file, await builderExportOf(path)));
  }
  if (options.json !== undefined) {
    try {
      writeFileSync(
        options.json,
        options.shrink === true ? shrunkJson(result, shrunk) : exploreResultJson(result),
      );
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
    ? "no fault had started"
    : `faults started by then: ${failure.faultKinds.join(", ")}`;
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

  text += `\nby invariant, then by the fault kinds started before it broke:\n`;
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
  text += `\nby fault kind started before it broke:\n`;
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

/** The first failing seed of each group, shrunk while the group's invariant still fails first. */
function shrinkGroups(
  result: ExploreResult,
  model: CheckModel,
  options: CheckCommandOptions,
): ShrunkFailure[] {
  return result.groups.map((group) => {
    const seed = group.seeds[0]!;
    const failure = result.failures.find((f) => f.seed === seed)!;
    const scenario: Scenario = {
      seed,
      params: {},
      faults: failure.faults ?? { faults: [] },
      until: model.safety,
    };
    const base = { invariant: group.invariant, faultKinds: group.faultKinds, seed };
    try {
      const shrunk = shrink(model, scenario, {
        violation: failure.violation.name,
        ...(options.shrinkRuns === undefined ? {} : { maxRuns: options.shrinkRuns }),
      });
      return { ...base, result: shrunk, error: null };
    } catch (error) {
      return { ...base, result: null, error: (error as Error).message };
    }
  });
}

/** Which export of the model file is its builder, so the pasted test names the right one. */
async function builderExportOf(path: string): Promise<"build" | "default"> {
  const module = (
    /\.[cm]?tsx?$/.test(path)
      ? await tsImport(pathToFileURL(path).href, import.meta.url)
      : await import(pathToFileURL(path).href)
  ) as Record<string, unknown>;
  return typeof module.build === "function" && module.default === undefined ? "build" : "default";
}

/**
 * The model file as a test in the working directory imports it: "./x.js", "../m/x.js" (a
 * TypeScript file by its JavaScript name, as TypeScript's own resolution and vitest take it).
 */
function importPath(path: string): string {
  const from = relative(process.cwd(), path)
    .split(sep)
    .join("/")
    .replace(/\.([cm]?)tsx?$/, ".$1js");
  return from.startsWith(".") ? from : `./${from}`;
}

/** Each group's shrink: the steps, the scenario as JSON and as a vitest test to paste. */
function formatShrunk(
  shrunk: readonly ShrunkFailure[],
  path: string,
  file: string,
  builderExport: "build" | "default",
): string {
  const specifier = JSON.stringify(importPath(path));
  // `replay` takes a ScenarioModel, `build` and all: a file exporting its builder as the default
  // is handed over with `build` added.
  const testOptions =
    builderExport === "build"
      ? { importModel: `import * as model from ${specifier};` }
      : {
          importModel: `import * as file from ${specifier};`,
          model: "{ ...file, build: file.default }",
        };
  let text = "\nshrunk, the first failing seed of each group:\n";
  for (const entry of shrunk) {
    const kinds = entry.faultKinds.length === 0 ? "no fault" : entry.faultKinds.join(" + ");
    text += `\n${entry.invariant}, ${kinds}: seed ${entry.seed}\n`;
    if (entry.result === null) {
      text += `  did not shrink: ${entry.error}\n`;
      continue;
    }
    const result = entry.result;
    text += formatShrink(result);
    text += `first violation: ${formatViolation(result.violation)}\n`;
    text += `scenario (save it and replay: distsim check ${shellWord(file)} --replay scenario.json):\n`;
    text += `${scenarioJson(result.scenario)}\n`;
    text += `test (vitest, run from this directory):\n`;
    text += scenarioTestSource(result.scenario, result.violation.name, testOptions);
  }
  return text;
}

/** The exploration's JSON with each group's shrink added as `shrunk`. */
function shrunkJson(result: ExploreResult, shrunk: readonly ShrunkFailure[]): string {
  const explored = JSON.parse(exploreResultJson(result)) as Record<string, unknown>;
  explored.shrunk = shrunk.map((entry) => ({
    invariant: entry.invariant,
    faultKinds: entry.faultKinds,
    seed: entry.seed,
    ...(entry.result === null
      ? { error: entry.error }
      : {
          scenario: entry.result.scenario,
          violation: entry.result.violation,
          original: entry.result.original,
          steps: entry.result.steps.map((step) => ({ run: step.run, change: step.change })),
          runs: entry.result.runs,
          exhausted: entry.result.exhausted,
        }),
  }));
  return `${JSON.stringify(explored, null, 2)}\n`;
}

/** `--replay scenario.json`: one stored scenario, run in this process, and its verdict. */
function replayCommand(
  options: CheckCommandOptions,
  file: string,
  model: CheckModel,
  io: CommandIO,
): number {
  let scenario: Scenario;
  try {
    scenario = parseScenario(readFileSync(file, "utf8"));
  } catch (error) {
    io.err(`distsim check: --replay ${file}: ${(error as Error).message}\n`);
    return ExitCode.usage;
  }
  const { violation } = replay(model, scenario);
  const params =
    Object.keys(scenario.params).length === 0 ? "" : ` ${JSON.stringify(scenario.params)}`;
  let text = `replay ${file} on ${options.file}: seed ${scenario.seed}${params}, `;
  text += `${plural(scenario.faults.faults.length, "fault")}, safety ${scenario.until}s\n`;
  text += violation === null ? "passed\n" : `failed: ${formatViolation(violation)}\n`;
  io.out(text);
  return violation === null ? ExitCode.ok : ExitCode.violation;
}
