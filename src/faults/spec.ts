/**
 * A fault schedule as plain data: what a run's faults are, before any simulation exists. It is
 * JSON (printed, stored in a file, loaded, replayed) and a flat ordered list of independent
 * faults, so a shrinker can drop or shorten any one of them and replay the rest.
 */
import { ConfigError } from "../errors/errors.js";

/** A JSON value, for kind-specific parameters. */
export type JsonValue =
  | string
  | number
  | boolean
  | null
  | readonly JsonValue[]
  | { readonly [key: string]: JsonValue };

/** One fault: a kind, what it applies to, when, for how long, and the kind's own parameters. */
export interface FaultSpec {
  /** A registered fault kind: "crash", "crash-loop", "crash-on-event", "partition", ... */
  readonly kind: string;
  /** Names of the entities it applies to (nodes; for a network fault, the network). */
  readonly targets: readonly string[];
  /** When it activates, in simulated seconds. */
  readonly at: number;
  /** How long it lasts, in seconds; omitted or null: until the end of the run. */
  readonly for?: number | null;
  /** The kind's own parameters (docs/faults.md lists each kind's). */
  readonly params?: { readonly [key: string]: JsonValue };
}

/** A whole schedule: faults in the order they were written (or generated). */
export interface FaultScheduleSpec {
  readonly faults: readonly FaultSpec[];
}

const COMPONENT = "FaultSchedule";

/** The ConfigError for field `field` of fault `index` (`faults[3].at`). */
export function faultFieldError(
  index: number,
  field: string,
  expected: string,
  given: unknown,
): ConfigError {
  return new ConfigError(COMPONENT, `faults[${index}].${field}`, expected, given);
}

function isPlainObject(value: unknown): value is Record<string, unknown> {
  return (
    typeof value === "object" &&
    value !== null &&
    !Array.isArray(value) &&
    (Object.getPrototypeOf(value) === Object.prototype || Object.getPrototypeOf(value) === null)
  );
}

function isJson(value: unknown, depth = 0): boolean {
  if (depth > 32) return false;
  if (value === null || typeof value === "string" || typeof value === "boolean") return true;
  if (typeof value === "number") return Number.isFinite(value);
  if (Array.isArray(value)) return value.every((item) => isJson(item, depth + 1));
  if (isPlainObject(value)) return Object.values(value).every((item) => isJson(item, depth + 1));
  return false;
}

const FIELDS = new Set(["kind", "targets", "at", "for", "params"]);

/**
 * Checks the shape of one fault (not whether its kind or targets exist: that needs the model,
 * see `FaultSchedule`), and returns it with `for` made explicit (null: until the end).
 */
export function checkFaultSpec(fault: unknown, index: number): FaultSpec {
  if (!isPlainObject(fault)) {
    throw new ConfigError(
      COMPONENT,
      `faults[${index}]`,
      "an object { kind, targets, at, for?, params? }",
      fault,
    );
  }
  for (const key of Object.keys(fault)) {
    if (!FIELDS.has(key)) {
      throw faultFieldError(
        index,
        key,
        "absent (a fault has kind, targets, at, for, params)",
        fault[key],
      );
    }
  }
  const { kind, targets, at, params } = fault;
  const duration = fault.for;
  if (typeof kind !== "string" || kind.length === 0) {
    throw faultFieldError(index, "kind", "a non-empty string", kind);
  }
  if (
    !Array.isArray(targets) ||
    targets.length === 0 ||
    !targets.every((t) => typeof t === "string" && t.length > 0)
  ) {
    throw faultFieldError(index, "targets", "a non-empty array of entity names", targets);
  }
  if (new Set(targets).size !== targets.length) {
    throw faultFieldError(index, "targets", "distinct entity names", targets);
  }
  if (typeof at !== "number" || !Number.isFinite(at) || at < 0) {
    throw faultFieldError(index, "at", "a finite number of seconds >= 0", at);
  }
  if (
    duration !== undefined &&
    duration !== null &&
    (typeof duration !== "number" || !Number.isFinite(duration) || duration < 0)
  ) {
    throw faultFieldError(
      index,
      "for",
      "a finite number of seconds >= 0, or null (until the end)",
      duration,
    );
  }
  if (params !== undefined && (!isPlainObject(params) || !isJson(params))) {
    throw faultFieldError(index, "params", "an object of JSON values", params);
  }
  const checked: FaultSpec = {
    kind,
    targets: [...(targets as string[])],
    at,
    for: (duration as number | null | undefined) ?? null,
  };
  return params === undefined ? checked : { ...checked, params: params as FaultSpec["params"] };
}

/**
 * Checks a schedule's shape (a parsed JSON file, or a literal) and returns it normalised:
 * every fault with an explicit `for`. Throws a ConfigError naming the fault index, the field,
 * what was expected and what was given.
 */
export function checkFaultSchedule(schedule: unknown): FaultScheduleSpec {
  if (!isPlainObject(schedule) || !Array.isArray(schedule.faults)) {
    throw new ConfigError(COMPONENT, "faults", "an object { faults: [...] }", schedule);
  }
  for (const key of Object.keys(schedule)) {
    if (key !== "faults") {
      throw new ConfigError(COMPONENT, key, "absent (a schedule has only faults)", schedule[key]);
    }
  }
  return { faults: schedule.faults.map((fault, index) => checkFaultSpec(fault, index)) };
}

/** Parses a schedule from JSON text and checks it (`checkFaultSchedule`). */
export function parseFaultSchedule(json: string): FaultScheduleSpec {
  let parsed: unknown;
  try {
    parsed = JSON.parse(json);
  } catch (error) {
    throw new ConfigError(COMPONENT, "json", "valid JSON", (error as Error).message);
  }
  return checkFaultSchedule(parsed);
}

/** The schedule as JSON text, one fault per line, so a diff of two schedules reads fault by fault. */
export function faultScheduleJson(schedule: FaultScheduleSpec): string {
  const lines = schedule.faults.map((fault) => `    ${JSON.stringify(fault)}`);
  return lines.length === 0
    ? '{ "faults": [] }\n'
    : `{\n  "faults": [\n${lines.join(",\n")}\n  ]\n}\n`;
}

/** Seconds for a table: milliseconds shown, trailing zeros dropped. */
export function formatSeconds(seconds: number): string {
  return `${Number(seconds.toFixed(3))}s`;
}

/** One fault in a line: `crash server-2 at 12.5s for 3s`, with its parameters. */
export function describeFault(fault: FaultSpec): string {
  const duration =
    fault.for === null || fault.for === undefined
      ? "until the end"
      : `for ${formatSeconds(fault.for)}`;
  const params =
    fault.params === undefined || Object.keys(fault.params).length === 0
      ? ""
      : ` ${JSON.stringify(fault.params)}`;
  return `${fault.kind} ${fault.targets.join(",")} at ${formatSeconds(fault.at)} ${duration}${params}`;
}

/** The schedule as text, one numbered fault a line (`distsim run` prints it). */
export function formatFaultSchedule(schedule: FaultScheduleSpec): string {
  if (schedule.faults.length === 0) return "no faults\n";
  return `${schedule.faults.map((fault, index) => `#${index} ${describeFault(fault)}`).join("\n")}\n`;
}
