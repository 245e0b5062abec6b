/**
 * Stable 32-bit hashing (MurmurHash3, x86_32 variant) of strings and integers. Used to derive
 * independent random streams from (root seed, entity name, stream name) and for the trace
 * hash. "Stable" matters more than speed here: the same input gives the same output on every
 * platform and every version of distsim, because seeds are meant to be written down.
 */

const C1 = 0xcc9e2d51;
const C2 = 0x1b873593;

/** Final avalanche of MurmurHash3: every input bit affects every output bit. */
export function fmix32(h: number): number {
  h ^= h >>> 16;
  h = Math.imul(h, 0x85ebca6b);
  h ^= h >>> 13;
  h = Math.imul(h, 0xc2b2ae35);
  h ^= h >>> 16;
  return h >>> 0;
}

/** Mixes one 32-bit word into a running MurmurHash3 state. */
export function mixWord(h: number, word: number): number {
  let k = Math.imul(word, C1);
  k = (k << 15) | (k >>> 17);
  k = Math.imul(k, C2);
  h ^= k;
  h = (h << 13) | (h >>> 19);
  return (Math.imul(h, 5) + 0xe6546b64) | 0;
}

/**
 * MurmurHash3 of a string's UTF-16 code units, two per 32-bit word. Code units rather than
 * UTF-8 bytes because that is what every JS engine holds, with no encoder needed.
 */
export function hashString(text: string, seed: number): number {
  let h = seed | 0;
  const length = text.length;
  let i = 0;
  for (; i + 1 < length; i += 2) {
    h = mixWord(h, text.charCodeAt(i) | (text.charCodeAt(i + 1) << 16));
  }
  if (i < length) {
    // The tail word is mixed without the rotate-multiply-add step, as MurmurHash3 does.
    let k = Math.imul(text.charCodeAt(i), C1);
    k = (k << 15) | (k >>> 17);
    h ^= Math.imul(k, C2);
  }
  return fmix32(h ^ (length * 2));
}
