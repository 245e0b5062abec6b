/**
 * The bucket key of a value in a logarithmic histogram, `ceil(log(value) / log(gamma))`,
 * without computing a logarithm once a table is filled.
 *
 * A histogram records on per-message paths (a server's wait and sojourn, a client's latency),
 * and the logarithm was most of what a record cost. The key depends on the value's exponent
 * and the top bits of its significand: split each binade [2^e, 2^(e+1)) into 1,024 slices of
 * equal width; a slice spans log(1 + 1/1024) ≈ 0.001 in natural log, a twentieth of a 1%
 * histogram's bucket width, so a slice holds one key, or two when a bucket boundary crosses
 * it. The table holds, for each slice, the key of its first value and the first value whose
 * key is one more (Infinity when none is): the portable `log` is monotone, so every value
 * gets the key the logarithm gives, and every answer is unchanged. Entries are filled lazily,
 * a slice at a time when a value first lands in it (two logarithms, and a binary search over
 * the slice's values when a boundary crosses it), so a short run pays for the slices it uses
 * and no more; tables are shared by every histogram of the same accuracy. Subnormal values,
 * and histograms so fine that several boundaries cross one slice, compute their keys.
 */
import { fromWords, log } from "../random/portableMath.js";

/** Which 32-bit half of a double is the high word, by byte order. */
const HIGH = new Uint8Array(new Uint16Array([1]).buffer)[0] === 1 ? 1 : 0;

/** Slices per binade: the top bits of the significand that index a table. */
const SLICE_BITS = 10;
const SLICES = 1 << SLICE_BITS;
/** Marks a slice several bucket boundaries cross: its values' keys are computed. */
const CROSSED = 0x7fffffff;
/** Marks a slice not looked at yet. */
const UNKNOWN = -0x80000000;
/** The biased exponent field of a double's high word. */
const EXPONENT_SHIFT = 20;
const SLICE_SHIFT = EXPONENT_SHIFT - SLICE_BITS;
/** Values in a slice: the significand bits below the slice's (10 of the high word, 32 low). */
const SLICE_VALUES = 4398046511104; // 2^(SLICE_SHIFT + 32), written out: `**` is engine math
/** 2^32: a double's low word. */
const LOW_WORD_VALUES = 4294967296;

/** The key of a value > 0, computed: the definition every table entry agrees with. */
export function computedKey(value: number, logGamma: number): number {
  return Math.ceil(log(value) / logGamma);
}

/** One binade's slices. */
class Binade {
  /** The key of each slice's first value, or UNKNOWN (not looked at yet), or CROSSED. */
  readonly keys = new Int32Array(SLICES).fill(UNKNOWN);
  /** The first value of each slice whose key is one more than `keys` says; Infinity if none. */
  readonly steps = new Float64Array(SLICES);
}

/** Key tables for one accuracy: per biased exponent, the keys of its slices. */
export class BucketKeys {
  /** Indexed by the biased exponent (0 to 2047); filled as binades are first used. */
  private readonly binades: (Binade | undefined)[] = Array.from({ length: 2048 }, () => undefined);

  /**
   * Whether every key fits a table entry: |log| of a double is under 745, so keys stay under
   * 745 / log(gamma), within 32 bits for any accuracy above about 2e-7. Finer histograms
   * compute every key.
   */
  private readonly tabled: boolean;

  /** A double written here is read back as its high word through `highWord`. */
  private readonly word = new Float64Array(1);
  private readonly highWord = new Int32Array(this.word.buffer, HIGH * 4, 1);

  constructor(readonly logGamma: number) {
    this.tabled = 745 / logGamma < 0x7ffffff0;
  }

  /** The key of a finite value > 0. */
  keyOf(value: number): number {
    // The word is read here, not through portableMath's helper: keeping this path to a few
    // loads (and small enough to inline into `record`) is the point of the table. The views
    // are fields and the shifts literals (EXPONENT_SHIFT, SLICE_SHIFT, SLICES - 1, UNKNOWN,
    // CROSSED): V8 knows a field's type and folds a literal, but loads and checks a module
    // constant on every call, which cost more than the lookup itself.
    this.word[0] = value;
    const high = this.highWord[0]!;
    const binade = this.binades[high >>> 20];
    if (binade !== undefined) {
      const slice = (high >>> 10) & 1023;
      const key = binade.keys[slice]!;
      if (key !== -0x80000000 && key !== 0x7fffffff) {
        return value < binade.steps[slice]! ? key : key + 1;
      }
    }
    return this.slowKey(value, high);
  }

  /** A slice not looked at yet, one boundaries cross, a new binade, or a subnormal. */
  private slowKey(value: number, high: number): number {
    const exponent = high >>> EXPONENT_SHIFT;
    let binade = this.binades[exponent];
    if (binade === undefined) {
      // Subnormals get no table; nor do histograms too fine for 32-bit keys.
      if (exponent === 0 || !this.tabled) return computedKey(value, this.logGamma);
      binade = new Binade();
      this.binades[exponent] = binade;
    }
    const slice = (high >>> SLICE_SHIFT) & (SLICES - 1);
    if (binade.keys[slice] === UNKNOWN)
      this.fill(binade, (exponent << EXPONENT_SHIFT) | (slice << SLICE_SHIFT), slice);
    const key = binade.keys[slice]!;
    // Always a small integer here (never -0), so callers see one number representation.
    if (key === CROSSED) return computedKey(value, this.logGamma) | 0;
    return value < binade.steps[slice]! ? key : key + 1;
  }

  /** Looks at the slice whose first value's high word is `head`. */
  private fill(binade: Binade, head: number, slice: number): void {
    const first = computedKey(sliceValue(head, 0), this.logGamma) | 0;
    const last = computedKey(sliceValue(head, SLICE_VALUES - 1), this.logGamma) | 0;
    if (first === last) {
      binade.keys[slice] = first;
      binade.steps[slice] = Number.POSITIVE_INFINITY;
    } else if (last === first + 1) {
      // One boundary: find the first value past it (keys only grow with the value).
      let below = 0;
      let above = SLICE_VALUES - 1;
      while (above - below > 1) {
        const middle = Math.floor((below + above) / 2);
        if ((computedKey(sliceValue(head, middle), this.logGamma) | 0) === last) above = middle;
        else below = middle;
      }
      binade.keys[slice] = first;
      binade.steps[slice] = sliceValue(head, above);
    } else {
      binade.keys[slice] = CROSSED;
    }
  }
}

/** The value at `offset` (0 to SLICE_VALUES - 1) in the slice whose first high word is `head`. */
function sliceValue(head: number, offset: number): number {
  return fromWords(head | Math.floor(offset / LOW_WORD_VALUES), offset % LOW_WORD_VALUES);
}

/** One table set per accuracy, shared by every histogram (there are usually one or two). */
const shared: BucketKeys[] = [];

/** The key tables for histograms whose bucket ratio has logarithm `logGamma`. */
export function bucketKeysFor(logGamma: number): BucketKeys {
  for (const keys of shared) if (keys.logGamma === logGamma) return keys;
  const keys = new BucketKeys(logGamma);
  shared.push(keys);
  return keys;
}
