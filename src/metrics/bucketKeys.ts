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
import { fromWords, highWord, log } from "../random/portableMath.js";

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
    const high = highWord(value);
    const exponent = high >>> EXPONENT_SHIFT;
    const table = this.binades[exponent] ?? this.binade(exponent);
    if (table !== undefined) {
      const slice = (high >>> SLICE_SHIFT) & (SLICES - 1);
      let key = table[slice]!;
      if (key === UNKNOWN) key = this.fill(table, exponent, slice);
      // Always a small integer here (never -0), so callers see one number representation.
      return key !== CROSSED ? key : computedKey(value, this.logGamma) | 0;
    }
    return computedKey(value, this.logGamma);
  }

  /** The table of a binade, all unknown (none for subnormals: their keys are computed). */
  private binade(exponent: number): Int32Array | undefined {
    if (exponent === 0 || !this.tabled) return undefined;
    const table = new Int32Array(SLICES).fill(UNKNOWN);
    this.binades[exponent] = table;
    return table;
  }

  /** Looks at a slice: the key of its first value if its last one has the same, else CROSSED. */
  private fill(table: Int32Array, exponent: number, slice: number): number {
    const head = (exponent << EXPONENT_SHIFT) | (slice << SLICE_SHIFT);
    const first = computedKey(fromWords(head, 0), this.logGamma);
    const last = computedKey(fromWords(head | ((1 << SLICE_SHIFT) - 1), 0xffffffff), this.logGamma);
    const key = first === last ? first | 0 : CROSSED;
    table[slice] = key;
    return key;
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
