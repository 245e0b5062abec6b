/**
 * Shrinking a failing scenario: fewer faults, shorter and earlier ones, a smaller workload and
 * a shorter run, as long as the same invariant still fails first. The smallest scenario found
 * is what a person debugs: a handful of operations and one crash instead of a minute of
 * traffic and twenty faults.
 *
 * Why a delta-debugging loop of our own rather than fast-check's shrinkers: fast-check shrinks
 * a value inside a property run, one arbitrary at a time, with no bound on the runs it makes
 * and no record of the steps it took; a scenario's reductions are domain ones (drop a block of
 * faults, halve one fault's duration, move it earlier, lower a parameter toward its minimum)
 * that no generic array shrinker proposes, and each candidate is a whole simulation, so the
 * run budget must be exact. The numeric steps follow fast-check's integer shrinker (try the
 * target, then halfway, a quarter of the way, ... back up to one step below the current
 * value), and fault blocks are removed as Zeller's ddmin removes complements: all, halves,
 * quarters, ... single faults. Candidates are tried in a fixed order and the first that still
 * fails is kept (greedy, like fast-check), so the same input gives the same steps and output.
 */
import { ConfigError } from "../../errors/errors.js";
import { describeFault, type FaultSpec, type JsonValue } from "../../faults/spec.js";
import type { InvariantViolation } from "../invariants/invariants.js";
import { checkScenario, replay, type Scenario, type ScenarioModel } from "./scenario.js";

export interface ShrinkOptions {
  /** Most model runs, the first (which confirms the failure) included. Default 500. */
  readonly maxRuns?: number;
  /**
   * The invariant that must still fail first; default the first violation of `scenario`.
   * A candidate whose first violation has another name or kind (or, for "model-failed",
   * another error), or that passes, is rejected.
   */
  readonly violation?: string;
  /** The shortest safety phase to try (seconds). Default 0. */
  readonly minUntil?: number;
  /** Called with each accepted step, as it is taken. */
  readonly onStep?: (step: ShrinkStep) => void;
}

/** One accepted reduction. */
export interface ShrinkStep {
  /** The run (1-based, the confirming run is 1) that showed it still fails. */
  readonly run: number;
  /** What changed: "dropped 3 faults", "params.clients 4 → 2", "until 5s → 1.25s", ... */
  readonly change: string;
  /** The scenario after it. */
  readonly scenario: Scenario;
  /** Its first violation (same name as the original's). */
  readonly violation: InvariantViolation;
}

export interface ShrinkResult {
  /** The scenario as given, with every shrinkable parameter made explicit. */
  readonly original: Scenario;
  /** The smallest failing scenario found. */
  readonly scenario: Scenario;
  /** Its first violation. */
  readonly violation: InvariantViolation;
  /** The accepted reductions, in order. */
  readonly steps: readonly ShrinkStep[];
  /** Model runs made. */
  readonly runs: number;
  /** True when `maxRuns` ran out before no candidate was left to try (it may shrink further). */
  readonly exhausted: boolean;
}

/** Times are shrunk to the millisecond: a shrunk scenario reads well and replays exactly. */
const TIME_QUANTUM = 0.001;

function roundTo(value: number, quantum: number): number {
  return quantum === 1 ? Math.round(value) : Math.round(value / quantum) * quantum;
}

function roundTime(seconds: number): number {
  return Math.round(seconds * 1000) / 1000;
}

/**
 * Values between `target` and `value`, closest to the target first, as fast-check's integer
 * shrinker orders them: the target, then halfway, three quarters, ... up to one quantum below.
 */
function towards(value: number, target: number, quantum: number): number[] {
  if (!(value > target)) return [];
  const out = [target];
  const gap = value - target;
  for (let step = roundTo(gap / 2, quantum); step >= quantum; step = roundTo(step / 2, quantum)) {
    const candidate = quantum === 1 ? value - step : roundTime(value - step);
    if (candidate > target && candidate < value && candidate !== out[out.length - 1]) {
      out.push(candidate);
    }
    if (step === quantum) break;
  }
  if (quantum === 1 && out[out.length - 1] !== value - 1 && value - 1 > target) out.push(value - 1);
  return out;
}

function showSeconds(seconds: number | null | undefined): string {
  return seconds === null || seconds === undefined ? "until the end" : `${seconds}s`;
}

function checkOptions(model: ScenarioModel, scenario: Scenario, options: ShrinkOptions): void {
  if (typeof model !== "object" || model === null || typeof model.build !== "function") {
    throw new ConfigError(
      "shrink",
      "model",
      "an object { build, checks?, liveness?, shrinkable? }",
      model,
    );
  }
  const maxRuns = options.maxRuns;
  if (maxRuns !== undefined && (!Number.isSafeInteger(maxRuns) || maxRuns < 1)) {
    throw new ConfigError("shrink", "maxRuns", "an integer >= 1", maxRuns);
  }
  const minUntil = options.minUntil;
  if (minUntil !== undefined && (typeof minUntil !== "number" || !(minUntil >= 0))) {
    throw new ConfigError("shrink", "minUntil", "a number of seconds >= 0", minUntil);
  }
  for (const [name, param] of Object.entries(model.shrinkable ?? {})) {
    const at = `shrinkable.${name}`;
    if (typeof param !== "object" || param === null) {
      throw new ConfigError("shrink", at, "an object { initial, min, integer? }", param);
    }
    if (typeof param.min !== "number" || !Number.isFinite(param.min)) {
      throw new ConfigError("shrink", `${at}.min`, "a finite number", param.min);
    }
    if (typeof param.initial !== "number" || !(param.initial >= param.min)) {
      throw new ConfigError(
        "shrink",
        `${at}.initial`,
        `a number >= min (${param.min})`,
        param.initial,
      );
    }
    const given = scenario.params?.[name];
    if (given !== undefined && typeof given !== "number") {
      throw new ConfigError(
        "shrink",
        `scenario.params.${name}`,
        "a number (it is shrinkable)",
        given,
      );
    }
  }
}

/** The scenario with every shrinkable parameter explicit and the schedule normalised. */
function normalise(model: ScenarioModel, scenario: Scenario): Scenario {
  const params: Record<string, JsonValue> = { ...scenario.params };
  for (const [name, param] of Object.entries(model.shrinkable ?? {})) {
    if (params[name] === undefined) params[name] = param.initial;
  }
  return { ...scenario, params };
}

/**
 * Whether a candidate's first violation is the original's failure: the same invariant name and
 * kind (an `always` and an `eventually` may share a name, and a liveness failure must not
 * become a safety one), and for "model-failed" the same error (its message but for the time
 * it was thrown at): a smaller schedule
 * naming an entity the smaller model lacks throws too, but it is not the bug being shrunk.
 */
function sameFailure(found: InvariantViolation, first: InvariantViolation): boolean {
  return (
    found.name === first.name &&
    found.kind === first.kind &&
    (found.name !== "model-failed" || errorWithoutTime(found) === errorWithoutTime(first))
  );
}

/**
 * A model-failed message without the simulated time a SimulationError puts in it (`entity "x"
 * at t=2s: ...`): the same error thrown earlier, once a fault moved earlier, is the same bug.
 */
function errorWithoutTime(violation: InvariantViolation): string {
  return violation.message.replace(/ at t=[^:]*: /g, ": ");
}

/** A candidate reduction: the scenario it gives and what it changed. */
interface Candidate {
  readonly scenario: Scenario;
  readonly change: string;
}

/**
 * Shrinks `scenario`, a failing run of `model`, to a smaller one whose first violation is the
 * same invariant. Deterministic: the same model, scenario and options give the same steps and
 * result. Throws a ConfigError if the scenario passes, or fails first with another invariant
 * than `options.violation`.
 */
export function shrink(
  model: ScenarioModel,
  scenario: Scenario,
  options: ShrinkOptions = {},
): ShrinkResult {
  const checked = checkScenario(scenario);
  checkOptions(model, checked, options);
  const maxRuns = options.maxRuns ?? 500;
  const minUntil = options.minUntil ?? 0;
  const original = normalise(model, checked);
  const first = replay(model, original).violation;
  if (first === null) {
    throw new ConfigError(
      "shrink",
      "scenario",
      "a scenario whose run violates an invariant",
      "a run with no violation",
    );
  }
  const target = options.violation ?? first.name;
  if (first.name !== target) {
    throw new ConfigError(
      "shrink",
      "violation",
      `the name of the scenario's first violation ("${first.name}")`,
      target,
    );
  }

  let runs = 1;
  let exhausted = false;
  let current = original;
  let violation = first;
  const steps: ShrinkStep[] = [];
  // Every scenario tried, by its JSON: a run is deterministic, so no scenario is run twice.
  const tried = new Set<string>([JSON.stringify(original)]);

  /** Runs `candidate` if new and budget remains; true (and kept) when it still fails the same way. */
  const attempt = (candidate: Candidate): boolean => {
    const key = JSON.stringify(candidate.scenario);
    if (tried.has(key)) return false;
    if (runs >= maxRuns) {
      exhausted = true;
      return false;
    }
    tried.add(key);
    runs++;
    const found = replay(model, candidate.scenario).violation;
    if (found === null || !sameFailure(found, first)) return false;
    current = candidate.scenario;
    violation = found;
    const step: ShrinkStep = { run: runs, change: candidate.change, scenario: current, violation };
    steps.push(step);
    options.onStep?.(step);
    return true;
  };

  const withFaults = (faults: readonly FaultSpec[]): Scenario => ({
    ...current,
    faults: { faults },
  });

  /** ddmin's complements: drop blocks of faults, all, then halves, quarters, ... singles. */
  const dropFaults = (): boolean => {
    let progressed = false;
    let block = current.faults.faults.length;
    while (block >= 1 && !exhausted) {
      let start = 0;
      while (start < current.faults.faults.length && !exhausted) {
        const faults = current.faults.faults;
        const end = Math.min(start + block, faults.length);
        const dropped = faults.slice(start, end);
        const change =
          dropped.length === 1
            ? `dropped fault #${start} (${describeFault(dropped[0]!)})`
            : `dropped faults #${start}-#${end - 1} (${dropped.length})`;
        if (
          attempt({
            scenario: withFaults([...faults.slice(0, start), ...faults.slice(end)]),
            change,
          })
        ) {
          progressed = true;
        } else {
          start += block;
        }
      }
      if (block === 1) break;
      block = Math.ceil(block / 2);
    }
    return progressed;
  };

  /** Lowers one number of the scenario, candidate by candidate, while it still fails. */
  const lower = (
    read: (s: Scenario) => number,
    write: (s: Scenario, value: number) => Scenario,
    targetValue: number,
    quantum: number,
    label: string,
    unit: string,
  ): boolean => {
    let progressed = false;
    for (;;) {
      const value = read(current);
      const accepted = towards(value, targetValue, quantum).some((next) =>
        attempt({
          scenario: write(current, next),
          change: `${label} ${value}${unit} → ${next}${unit}`,
        }),
      );
      if (!accepted) return progressed;
      progressed = true;
    }
  };

  const lowerParams = (): boolean => {
    let progressed = false;
    for (const [name, param] of Object.entries(model.shrinkable ?? {})) {
      const quantum = param.integer === false ? TIME_QUANTUM : 1;
      progressed =
        lower(
          (s) => s.params[name] as number,
          (s, value) => ({ ...s, params: { ...s.params, [name]: value } }),
          param.min,
          quantum,
          `params.${name}`,
          "",
        ) || progressed;
    }
    return progressed;
  };

  const shortenRun = (): boolean => {
    // A safety-phase violation needs the run only up to it: try ending there first.
    const end = roundTime(Math.ceil(violation.time / TIME_QUANTUM) * TIME_QUANTUM);
    let progressed = false;
    if (end < current.until && end >= minUntil) {
      progressed = attempt({
        scenario: { ...current, until: end },
        change: `until ${current.until}s → ${end}s (the violation's time)`,
      });
    }
    return (
      lower(
        (s) => s.until,
        (s, until) => ({ ...s, until }),
        minUntil,
        TIME_QUANTUM,
        "until",
        "s",
      ) || progressed
    );
  };

  /** Each fault: until the end → a duration, then shorter, then earlier. */
  const shrinkFaultTimes = (): boolean => {
    let progressed = false;
    for (let index = 0; index < current.faults.faults.length && !exhausted; index++) {
      const replace = (s: Scenario, fault: FaultSpec): Scenario => {
        const faults = [...s.faults.faults];
        faults[index] = fault;
        return { ...s, faults: { faults } };
      };
      const fault = current.faults.faults[index]!;
      if (fault.for === null || fault.for === undefined) {
        const span = roundTime(Math.max(0, current.until - fault.at));
        progressed =
          attempt({
            scenario: replace(current, { ...fault, for: span }),
            change: `fault #${index} for ${showSeconds(fault.for)} → ${span}s`,
          }) || progressed;
      }
      const label = `fault #${index}`;
      if (typeof current.faults.faults[index]!.for === "number") {
        progressed =
          lower(
            (s) => s.faults.faults[index]!.for as number,
            (s, value) => replace(s, { ...s.faults.faults[index]!, for: value }),
            0,
            TIME_QUANTUM,
            `${label} for`,
            "s",
          ) || progressed;
      }
      progressed =
        lower(
          (s) => s.faults.faults[index]!.at,
          (s, value) => replace(s, { ...s.faults.faults[index]!, at: value }),
          0,
          TIME_QUANTUM,
          `${label} at`,
          "s",
        ) || progressed;
    }
    return progressed;
  };

  // Rounds of every pass, biggest cuts first (fewer faults and operations make later runs
  // cheaper), until a whole round keeps nothing or the budget runs out.
  for (;;) {
    let progressed = dropFaults();
    progressed = lowerParams() || progressed;
    progressed = shortenRun() || progressed;
    progressed = shrinkFaultTimes() || progressed;
    if (!progressed || exhausted) break;
  }
  return { original, scenario: current, violation, steps, runs, exhausted };
}

/** The steps as text, one a line, then the totals: what `distsim check --shrink` prints. */
export function formatShrink(result: ShrinkResult): string {
  const faults = (s: Scenario) => s.faults.faults.length;
  const lines = result.steps.map((step) => `  run ${step.run}: ${step.change}`);
  const from = result.original;
  const to = result.scenario;
  lines.push(
    `Shrunk in ${result.runs} runs${result.exhausted ? " (run budget exhausted: it may shrink further)" : ""}: ` +
      `${faults(from)} → ${faults(to)} faults, until ${from.until}s → ${to.until}s` +
      Object.keys(to.params)
        .filter((name) => from.params[name] !== to.params[name])
        .map((name) => `, ${name} ${String(from.params[name])} → ${String(to.params[name])}`)
        .join(""),
  );
  return `${lines.join("\n")}\n`;
}
