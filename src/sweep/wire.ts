/**
 * Numbers JSON cannot write (NaN, Infinity, -Infinity, -0: JSON.stringify turns the first
 * three into null and -0 into 0) as tagged objects and back, for what a sweep sends as JSON:
 * BullMQ's job data and return values, and the sweep's identity. A parameter Infinity (a limit
 * turned off) must reach a worker's model as Infinity, and a NaN figure must merge as NaN, or
 * a queued sweep would differ from an inline one.
 */

const TAG = "$distsimNumber";

/** `value` with every non-finite number and -0 replaced by `{ $distsimNumber: "NaN" }` etc. */
export function toWire(value: unknown): unknown {
  if (typeof value === "number") {
    if (Number.isFinite(value) && !Object.is(value, -0)) return value;
    return { [TAG]: Object.is(value, -0) ? "-0" : String(value) };
  }
  if (Array.isArray(value)) return value.map(toWire);
  if (typeof value === "object" && value !== null) {
    return Object.fromEntries(Object.entries(value).map(([key, item]) => [key, toWire(item)]));
  }
  return value;
}

/** The inverse of `toWire`. */
export function fromWire(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(fromWire);
  if (typeof value === "object" && value !== null) {
    const entries = Object.entries(value);
    if (entries.length === 1 && entries[0]![0] === TAG && typeof entries[0]![1] === "string") {
      return Number(entries[0]![1]);
    }
    return Object.fromEntries(entries.map(([key, item]) => [key, fromWire(item)]));
  }
  return value;
}
