/**
 * Parameters as people type them, shared by `sweep` and the command line: one parameter value
 * (`--param rate=500`), and a grid axis (`--grid rate=100..1000:100`, `--grid servers=2,4,8`).
 * A bad axis fails here, with a `ConfigError` naming it, before any run starts.
 */
import { ConfigError } from "../errors/errors.js";

/** A model parameter as the command line gives it: a number, a boolean or a string. */
export type ParamValue = string | number | boolean;

/** A model's parameters: what its builder gets as `params`. */
export type Params = Readonly<Record<string, ParamValue>>;

/**
 * A grid: each parameter's values, in the order they are given. Every combination is one
 * point of the sweep; the first parameter varies slowest.
 */
export type Grid = Readonly<Record<string, readonly ParamValue[]>>;

/** The most points one range may expand to: a typo (`1..1e9:1`) fails instead of filling memory. */
export const MAX_AXIS_POINTS = 100_000;

/**
 * A number as the user writes one: 20, -3, 0.25, 1e6, and Infinity (which turns a limit off);
 * not "", "0x10" or "NaN", which stay strings.
 */
const NUMBER = /^-?((\d+\.?\d*|\.\d+)([eE][+-]?\d+)?|Infinity)$/;

/** A finite number as typed (1e3 too): a range's bounds and step. */
const FINITE = /^-?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?$/;

/** One value as typed: numbers as numbers, true/false as booleans, anything else a string. */
export function parseParamValue(text: string): ParamValue {
  if (text === "true") return true;
  if (text === "false") return false;
  return NUMBER.test(text) ? Number(text) : text;
}

/**
 * `key=value` as a name and a value; throws a `ConfigError` from `command` naming `option`
 * when malformed.
 */
function splitPair(command: string, option: string, text: string): [string, string] {
  const at = text.indexOf("=");
  if (at <= 0) throw new ConfigError(command, option, "name=value", text);
  const name = text.slice(0, at);
  refuseInheritedName(command, option, name);
  return [name, text.slice(at + 1)];
}

/**
 * Params and grids are plain objects, so a name every object inherits (`__proto__`,
 * `constructor`, `toString`) would change the prototype or read as given when it is not:
 * such names are refused rather than silently dropped.
 */
function refuseInheritedName(command: string, option: string, name: string): void {
  if (name in Object.prototype) {
    throw new ConfigError(
      command,
      option,
      `a parameter name that is not a built-in object property (${name} is one)`,
      name,
    );
  }
}

/**
 * `--param key=value` pairs as a model's params (numbers, booleans, strings as
 * `parseParamValue` reads them). Throws a `ConfigError` for a malformed or repeated pair,
 * naming `command`, the command (or function) the user gave the pairs to, as its source.
 */
export function parseParams(pairs: readonly string[], command = "parseParams"): Params {
  const params: Record<string, ParamValue> = {};
  for (const pair of pairs) {
    const [name, value] = splitPair(command, "param", pair);
    if (Object.hasOwn(params, name)) {
      throw new ConfigError(command, "param", `given once (${name} is given twice)`, pair);
    }
    params[name] = parseParamValue(value);
  }
  return params;
}

/** Digits after the point of a number as JavaScript prints it ("0.25" has 2, 1e21 none). */
function decimals(value: number): number {
  const text = String(value);
  const exponent = /e-(\d+)$/.exec(text);
  if (exponent !== null)
    return Number(exponent[1]) + decimals(Number(text.slice(0, text.indexOf("e"))));
  const point = text.indexOf(".");
  return point < 0 || text.includes("e") ? 0 : text.length - point - 1;
}

/**
 * `from..to:step` as its values, from `from` up to `to` included when a step lands on it.
 * Counted in integers scaled by the decimals written (0.1..0.5:0.1 is 1..5 tenths), so
 * 0.1 + 0.2 never shows up as 0.30000000000000004.
 */
function rangeValues(command: string, axis: string, text: string): number[] {
  const match = /^(.+?)\.\.(.+?)(?::(.+))?$/.exec(text);
  const expected = "from..to:step with numbers, from <= to and step > 0 (rate=100..1000:100)";
  if (match === null) throw new ConfigError(command, `grid ${axis}`, expected, text);
  const [, fromText, toText, stepText = "1"] = match as unknown as [string, string, string, string];
  if (![fromText, toText, stepText].every((part) => FINITE.test(part))) {
    throw new ConfigError(command, `grid ${axis}`, expected, text);
  }
  const scale =
    10 **
    Math.max(decimals(Number(fromText)), decimals(Number(toText)), decimals(Number(stepText)));
  const from = Math.round(Number(fromText) * scale);
  const to = Math.round(Number(toText) * scale);
  const step = Math.round(Number(stepText) * scale);
  if (!(step > 0) || to < from || !Number.isSafeInteger(to) || !Number.isSafeInteger(from)) {
    throw new ConfigError(command, `grid ${axis}`, expected, text);
  }
  const count = Math.floor((to - from) / step) + 1;
  if (count > MAX_AXIS_POINTS) {
    throw new ConfigError(
      command,
      `grid ${axis}`,
      `a range of at most ${MAX_AXIS_POINTS} values (this one has ${count})`,
      text,
    );
  }
  return Array.from({ length: count }, (_, k) => (from + k * step) / scale);
}

/**
 * One grid axis as typed: `name=from..to:step` (a range of numbers; the step defaults to 1),
 * `name=a,b,c` (a list; numbers, booleans and strings as `parseParamValue` reads them) or
 * `name=value`.
 *
 * @example parseGridAxis("rate=100..300:100") // { name: "rate", values: [100, 200, 300] }
 */
export function parseGridAxis(
  text: string,
  command = "sweep",
): { name: string; values: ParamValue[] } {
  const [name, spec] = splitPair(command, "grid", text);
  if (spec === "") throw new ConfigError(command, `grid ${name}`, "at least one value", text);
  if (spec.includes("..")) return { name, values: rangeValues(command, name, spec) };
  const parts = spec.split(",");
  if (parts.some((part) => part === "")) {
    throw new ConfigError(
      command,
      `grid ${name}`,
      "a list of values with none empty (2,4,8)",
      text,
    );
  }
  const values = parts.map(parseParamValue);
  const seen = new Set(values);
  if (seen.size !== values.length) {
    throw new ConfigError(command, `grid ${name}`, "a list of distinct values", text);
  }
  return { name, values };
}

/**
 * `--grid` texts as one grid, in the order given; a parameter given twice is an error. Errors
 * name `command` as their source.
 */
export function parseGrid(axes: readonly string[], command = "sweep"): Grid {
  const grid: Record<string, ParamValue[]> = {};
  for (const text of axes) {
    const { name, values } = parseGridAxis(text, command);
    if (Object.hasOwn(grid, name)) {
      throw new ConfigError(command, "grid", `each parameter once (${name} is given twice)`, text);
    }
    grid[name] = values;
  }
  return grid;
}

/**
 * Checks a grid given as an object (every axis a non-empty array of numbers, booleans or
 * strings) and returns its points: every combination, the first parameter varying slowest,
 * the last fastest. An empty grid has one point with no parameters.
 */
export function gridPoints(grid: Grid): Params[] {
  if (typeof grid !== "object" || grid === null || Array.isArray(grid)) {
    throw new ConfigError("sweep", "grid", "an object of parameter name to values", grid);
  }
  let points: Record<string, ParamValue>[] = [{}];
  for (const [name, values] of Object.entries(grid)) {
    refuseInheritedName("sweep", `grid ${name}`, name);
    if (!Array.isArray(values) || values.length === 0) {
      throw new ConfigError("sweep", `grid ${name}`, "a non-empty array of values", values);
    }
    for (const value of values) {
      const ok =
        typeof value === "string" ||
        typeof value === "boolean" ||
        (typeof value === "number" && !Number.isNaN(value));
      if (!ok) {
        throw new ConfigError("sweep", `grid ${name}`, "numbers, booleans or strings", value);
      }
    }
    const next: Record<string, ParamValue>[] = [];
    for (const point of points) for (const value of values) next.push({ ...point, [name]: value });
    points = next;
  }
  return points;
}
