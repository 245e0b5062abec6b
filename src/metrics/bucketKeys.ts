/**
 * The bucket key of a value in a logarithmic histogram, `ceil(log(value) / log(gamma))`,
 * mostly without computing a logarithm.
 *
 * A histogram records on per-message paths (a server's wait and sojourn, a client's latency),
 * and the logarithm was most of what a record cost. The key depends on the value's exponent
 * and the top bits of its significand almost everywhere: split each binade [2^e, 2^(e+1)) into
 * 1,024 slices of equal width; a slice spans log(1 + 1/1024) ≈ 0.001 in natural log, a twentieth
 * of a 1% histogram's bucket width, so about 19 slices in 20 lie inside one bucket. For those
 * the key is read from a table; for the others (a bucket boundary crosses the slice) and for
 * subnormal values it is computed. The table holds, for each slice, the key of its first and
 * of its last value when they agree, so a value inside gets the same key the logarithm gives
 * (the portable `log` is monotone), and every answer is unchanged. Entries are filled lazily,
 * a slice at a time when a value first lands in it (two logarithms), so a short run pays for
 * the slices it uses and no more; tables are shared by every histogram of the same accuracy.
 */
import { fromWords, log } from "../random/portableMath.js";

/** A double's words, through one shared buffer; which half is high depends on byte order. */
const words = new Float64Array(1);
const highWords = new Int32Array(words.buffer);
const HIGH = new Uint8Array(new Uint16Array([1]).buffer)[0] === 1 ? 1 : 0;

/** Slices per binade: the top bits of the significand that index a table. */
const SLICE_BITS = 10;
const SLICES = 1 << SLICE_BITS;
/** Marks a slice a bucket boundary crosses: its values' keys are computed. */
const CROSSED = 0x7fffffff;
/** Marks a slice not looked at yet. */
const UNKNOWN = -0x80000000;
/** The biased exponent field of a double's high word. */
const EXPONENT_SHIFT = 20;
const SLICE_SHIFT = EXPONENT_SHIFT - SLICE_BITS;

/** The key of a value > 0, computed: the definition every table entry agrees with. */
export function computedKey(value: number, logGamma: number): number {
  return Math.ceil(log(value) / logGamma);
}

/** Key tables for one accuracy: per biased exponent, the key of each slice (or CROSSED). */
export class BucketKeys {
  /** Indexed by the biased exponent (0 to 2047); filled as binades are first used. */
  private readonly binades: (Int32Array | undefined)[] = Array.from(
    { length: 2048 },
    () => undefined,
  );

  /**
   * Whether every key fits a table entry: |log| of a double is under 745, so keys stay under
   * 745 / log(gamma), within 32 bits for any accuracy above about 2e-7. Finer histograms
   * compute every key.
   */
  private readonly tabled: boolean;

  constructor(readonly logGamma: number) {
    this.tabled = 745 / logGamma < 0x7ffffff0;
  }

  /** The key of a finite value > 0. */
  keyOf(value: number): number {
    // The word is read here, not through portableMath's helper: keeping this path to a few
    // loads (and small enough to inline into `record`) is the point of the table.
    words[0] = value;
    const high = highWords[HIGH]!;
    const table = this.binades[high >>> EXPONENT_SHIFT];
    if (table !== undefined) {
      const key = table[(high >>> SLICE_SHIFT) & (SLICES - 1)]!;
      if (key !== UNKNOWN && key !== CROSSED) return key;
    }
    return this.slowKey(value, high);
  }

  /** A slice not looked at yet, one a boundary crosses, a new binade, or a subnormal. */
  private slowKey(value: number, high: number): number {
    const exponent = high >>> EXPONENT_SHIFT;
    let table = this.binades[exponent];
    if (table === undefined) {
      // Subnormals get no table; nor do histograms too fine for 32-bit keys.
      if (exponent === 0 || !this.tabled) return computedKey(value, this.logGamma);
      table = new Int32Array(SLICES).fill(UNKNOWN);
      this.binades[exponent] = table;
    }
    const slice = (high >>> SLICE_SHIFT) & (SLICES - 1);
    let key = table[slice]!;
    if (key === UNKNOWN) {
      const head = (exponent << EXPONENT_SHIFT) | (slice << SLICE_SHIFT);
      const first = computedKey(fromWords(head, 0), this.logGamma);
      const last = computedKey(
        fromWords(head | ((1 << SLICE_SHIFT) - 1), 0xffffffff),
        this.logGamma,
      );
      key = first === last ? first | 0 : CROSSED;
      table[slice] = key;
    }
    // Always a small integer here (never -0), so callers see one number representation.
    return key !== CROSSED ? key : computedKey(value, this.logGamma) | 0;
  }
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
