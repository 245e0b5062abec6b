/**
 * Equality, hashing and printing of the values histories carry: null, booleans, numbers,
 * strings, arrays and plain objects (what Jepsen's EDN and JSON give). Equality is structural,
 * so a read of `[1, 2]` matches a state `[1, 2]` built by another path; the hash agrees with it
 * and is deterministic (no identity, no insertion order of keys).
 */

/** Structural equality: primitives by `===` (and NaN equals NaN), arrays element-wise, objects key-wise. */
export function valuesEqual(a: unknown, b: unknown): boolean {
  if (a === b) return true;
  if (typeof a !== "object" || typeof b !== "object" || a === null || b === null) {
    return typeof a === "number" && typeof b === "number" && Number.isNaN(a) && Number.isNaN(b);
  }
  if (Array.isArray(a)) {
    if (!Array.isArray(b) || a.length !== b.length) return false;
    for (let i = 0; i < a.length; i++) if (!valuesEqual(a[i], b[i])) return false;
    return true;
  }
  if (Array.isArray(b)) return false;
  const aKeys = Object.keys(a);
  const bKeys = Object.keys(b);
  if (aKeys.length !== bKeys.length) return false;
  for (const key of aKeys) {
    if (!Object.hasOwn(b, key)) return false;
    if (!valuesEqual((a as Record<string, unknown>)[key], (b as Record<string, unknown>)[key])) {
      return false;
    }
  }
  return true;
}

/** murmur3's finaliser: spreads every input bit over the 32 output bits. */
export function mix32(h: number): number {
  h ^= h >>> 16;
  h = Math.imul(h, 0x85ebca6b);
  h ^= h >>> 13;
  h = Math.imul(h, 0xc2b2ae35);
  h ^= h >>> 16;
  return h | 0;
}

const scratch = new Float64Array(1);
const scratchWords = new Int32Array(scratch.buffer);

/** A 32-bit hash consistent with `valuesEqual`. */
export function hashValue(value: unknown): number {
  switch (typeof value) {
    case "number":
      if ((value | 0) === value) return mix32(value);
      scratch[0] = Number.isNaN(value) ? Number.NaN : value;
      return mix32(scratchWords[0]! ^ mix32(scratchWords[1]!));
    case "string": {
      // A long string (a key-value model's appended value) is hashed by its length and its
      // two ends: a state is hashed on every search step, and equality still compares it whole.
      const n = value.length;
      let h = 0x811c9dc5;
      if (n <= 64) {
        for (let i = 0; i < n; i++) h = Math.imul(h ^ value.charCodeAt(i), 0x01000193);
      } else {
        for (let i = 0; i < 32; i++) h = Math.imul(h ^ value.charCodeAt(i), 0x01000193);
        for (let i = n - 32; i < n; i++) h = Math.imul(h ^ value.charCodeAt(i), 0x01000193);
      }
      return mix32(h ^ n);
    }
    case "boolean":
      return value ? 0x2545f491 : 0x1b873593;
    case "undefined":
      return 0x6a09e667;
    case "object": {
      if (value === null) return 0x3c6ef372;
      if (Array.isArray(value)) {
        let h = 0x510e527f ^ value.length;
        for (const item of value) h = mix32(Math.imul(h, 31) + hashValue(item));
        return h;
      }
      // Key order must not matter: sum the pairs' hashes.
      let h = 0x1f83d9ab;
      for (const key of Object.keys(value)) {
        h = (h + mix32(hashValue(key) ^ hashValue((value as Record<string, unknown>)[key]))) | 0;
      }
      return mix32(h);
    }
    default:
      return mix32(hashValue(String(value)));
  }
}

/** A value as a person reads it in a timeline: `1`, `"a"`, `[1 2]`, `nil`. */
export function showValue(value: unknown): string {
  if (value === null) return "nil";
  if (value === undefined) return "?";
  if (typeof value === "string") return JSON.stringify(value);
  if (Array.isArray(value)) return `[${value.map(showValue).join(" ")}]`;
  if (typeof value === "object") {
    return `{${Object.entries(value)
      .map(([k, v]) => `${k} ${showValue(v)}`)
      .join(", ")}}`;
  }
  return String(value);
}
