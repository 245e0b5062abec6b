/**
 * Portable transcendental functions: `log`, `exp`, `pow`, `sin` and `cos` whose results are the
 * same bits on every JavaScript engine, because they are computed from IEEE-754 additions,
 * subtractions, multiplications, divisions and `Math.sqrt` alone (each correctly rounded by the
 * ECMAScript specification), plus exact reads and writes of a double's two 32-bit words.
 *
 * Why this exists: ECMAScript leaves `Math.log`, `Math.exp`, `Math.pow` and `**`, `Math.sin`,
 * `Math.cos` and the other transcendental functions "implementation-approximated". Node 20's V8
 * and Chromium 156 differ in the last bit for 4-10% of arguments, and the next engine version
 * may differ again. Every random duration in distsim goes through one of them, so a seed could
 * give a different run on another engine. Simulation code (src/core, src/random, src/load,
 * src/metrics, src/components) uses these functions instead; test/random/portableMath.test.ts
 * scans those folders so a `Math.log` or a computed `**` cannot come back.
 *
 * The algorithms are the ones of fdlibm, as kept in FreeBSD's msun (lib/msun/src: e_log.c,
 * e_exp.c, e_pow.c, s_sin.c, s_cos.c, k_sin.c, k_cos.c, e_rem_pio2.c, k_rem_pio2.c, s_scalbn.c),
 * translated line by line; every result is within 1 ulp of the exact value (fdlibm's stated
 * bounds). The `@stdlib/math-base-special-*` packages port the same code, but five functions
 * pulled in 170 packages (17 MB, CommonJS, with the build tooling of their native add-ons) and
 * 98 kB of bundle, so the few hundred lines live here instead. Differences from the C: `pow`
 * follows ECMAScript's special cases (`1 ** NaN` and `(-1) ** Infinity` are NaN) so that it can
 * replace `**`; exponents are changed by multiplying by exact powers of two rather than by
 * rewriting words (see POWERS_OF_TWO), which gives the same bits faster.
 *
 * fdlibm's notice, which its licence asks to keep:
 *   Copyright (C) 1993-2004 by Sun Microsystems, Inc. All rights reserved.
 *   Developed at SunSoft, a Sun Microsystems, Inc. business.
 *   Permission to use, copy, modify, and distribute this software is freely granted, provided
 *   that this notice is preserved.
 *
 * @since 0.1.0
 */

// Word access. A double's bits are read and written through one shared 8-byte buffer; which
// 32-bit half is the high word depends on the platform's byte order, found once here.
const f64 = new Float64Array(1);
const u32 = new Uint32Array(f64.buffer);
const i32 = new Int32Array(f64.buffer);
const HI = new Uint8Array(new Uint16Array([1]).buffer)[0] === 1 ? 1 : 0;
const LO = 1 - HI;

/** The sign, exponent and top 20 significand bits of `x`, as a signed 32-bit integer. */
export function highWord(x: number): number {
  f64[0] = x;
  return i32[HI]!;
}

/** The low 32 significand bits of `x`, as an unsigned integer. */
function lowWord(x: number): number {
  f64[0] = x;
  return u32[LO]!;
}

/** `x` with its high word replaced. */
function withHighWord(x: number, high: number): number {
  f64[0] = x;
  i32[HI] = high;
  return f64[0]!;
}

/** The double whose high word is `high` and whose low word is `low`. */
export function fromWords(high: number, low: number): number {
  i32[HI] = high;
  u32[LO] = low;
  return f64[0]!;
}

// Writing one word of the buffer and then reading the whole double stalls the processor (the
// load cannot be forwarded from two stores), which made `log` three times slower than
// `Math.log`. So the hot paths never do that: they change an exponent by multiplying by an
// exact power of two from this table, and build "high word only" doubles from the high word
// arithmetically. Both are exact, so the bits are those of the C code's word writes.

/** POWERS_OF_TWO[n + 1074] = 2**n for n in [-1074, 1023], built by exact halving. */
const POWERS_OF_TWO = new Float64Array(2098);
POWERS_OF_TWO[2097] = 8.98846567431158e307; // 2**1023
for (let i = 2096; i >= 0; i--) POWERS_OF_TWO[i] = POWERS_OF_TWO[i + 1]! / 2;

/** 2**n, exactly, for an integer n in [-1074, 1023]. */
function twoTo(n: number): number {
  return POWERS_OF_TWO[n + 1074]!;
}

/**
 * `x` (finite) with its low word cleared, the C code's `SET_LOW_WORD(x, 0)`: the sign, the
 * exponent and the top 20 significand bits of `x`, rebuilt as (2**20 + those bits) * 2**(e - 20)
 * (for a subnormal, those bits * 2**-1042), which is exact.
 */
function withZeroLowWord(x: number): number {
  const high = highWord(x);
  const e = (high >>> 20) & 0x7ff;
  const bits = high & 0x000fffff;
  const magnitude = e === 0 ? bits * twoTo(-1042) : (bits | 0x00100000) * twoTo(e - 1043);
  return high < 0 ? -magnitude : magnitude;
}

/** The normal double whose high word is `high` and whose low word is 0, built exactly. */
function fromHighWord(high: number): number {
  const magnitude = ((high & 0x000fffff) | 0x00100000) * twoTo(((high >>> 20) & 0x7ff) - 1043);
  return high < 0 ? -magnitude : magnitude;
}

// Constants shared by several functions. Hex words in the comments are the exact bits.
const LN2_HI = 0.6931471803691238; // 3fe62e42 fee00000
const LN2_LO = 1.9082149292705877e-10; // 3dea39ef 35793c76
const TWO54 = 18014398509481984.0; // 43500000 00000000
const TWOM54 = 5.551115123125783e-17; // 3c900000 00000000
const HUGE = 1e300;
const TINY = 1e-300;

// log (e_log.c)
const LG1 = 0.6666666666666735; // 3fe55555 55555593
const LG2 = 0.3999999999940942; // 3fd99999 9997fa04
const LG3 = 0.2857142874366239; // 3fd24924 94229359
const LG4 = 0.22222198432149784; // 3fcc71c5 1d8e78af
const LG5 = 0.1818357216161805; // 3fc74664 96cb03de
const LG6 = 0.15313837699209373; // 3fc39a09 d078c69f
const LG7 = 0.14798198605116586; // 3fc2f112 df3e5244

/**
 * The natural logarithm, bit-identical on every engine (fdlibm's `__ieee754_log`, error below
 * 1 ulp). Same special cases as `Math.log`: `log(±0) = -Infinity`, `log(x < 0) = NaN`,
 * `log(Infinity) = Infinity`, `log(NaN) = NaN`, `log(1) = +0`.
 *
 * @example log(Math.E) === 1
 * @since 0.1.0
 */
export function log(x: number): number {
  let hx = highWord(x);
  let k = 0;
  if (hx < 0x00100000) {
    // x < 2**-1022: zero, negative (the high word is negative), NaN with its sign bit set,
    // or subnormal.
    if (x === 0) return Number.NEGATIVE_INFINITY;
    if (!(x > 0)) return Number.NaN;
    k -= 54;
    x *= TWO54; // subnormal: scale up
    hx = highWord(x);
  }
  if (hx >= 0x7ff00000) return x + x; // Infinity or NaN
  return logNormal(x, hx, k);
}

/**
 * The body of `log` for a positive, finite, normal `x` with high word `hx`, plus `k` in the
 * exponent (from the subnormal scaling). Writes `x = 2**k * (1 + f)` with sqrt(2)/2 < 1 + f <
 * sqrt(2), then log(1 + f) = f - s*(f - R) with s = f/(2 + f) and R a minimax polynomial.
 */
function logNormal(x: number, hx: number, k: number): number {
  const e = hx >> 20; // biased exponent
  k += e - 1023;
  hx &= 0x000fffff;
  let i = (hx + 0x95f64) & 0x100000;
  x *= twoTo(1023 - e - (i >> 20)); // normalize x or x/2: exponent 0 or -1
  k += i >> 20;
  const f = x - 1.0;
  if ((0x000fffff & (2 + hx)) < 3) {
    // -2**-20 <= f < 2**-20
    if (f === 0) return k === 0 ? 0 : k * LN2_HI + k * LN2_LO;
    const R = f * f * (0.5 - 0.3333333333333333 * f);
    return k === 0 ? f - R : k * LN2_HI - (R - k * LN2_LO - f);
  }
  const s = f / (2.0 + f);
  const z = s * s;
  i = hx - 0x6147a;
  const w = z * z;
  const j = 0x6b851 - hx;
  const t1 = w * (LG2 + w * (LG4 + w * LG6));
  const t2 = z * (LG1 + w * (LG3 + w * (LG5 + w * LG7)));
  i |= j;
  const R = t2 + t1;
  if (i > 0) {
    const hfsq = 0.5 * f * f;
    return k === 0
      ? f - (hfsq - s * (hfsq + R))
      : k * LN2_HI - (hfsq - (s * (hfsq + R) + k * LN2_LO) - f);
  }
  return k === 0 ? f - s * (f - R) : k * LN2_HI - (s * (f - R) - k * LN2_LO - f);
}

// exp (e_exp.c)
const O_THRESHOLD = 709.782712893384; // 40862e42 fefa39ef
const U_THRESHOLD = -745.1332191019411; // c0874910 d52d3051
/** 1/ln2, 3ff71547 652b82fe: ECMAScript fixes Math.LOG2E to this double (the nearest). */
const INV_LN2 = Math.LOG2E;
const P1 = 0.16666666666666602; // 3fc55555 5555553e
const P2 = -0.0027777777777015593; // bf66c16c 16bebd93
const P3 = 0.00006613756321437934; // 3f11566a af25de2c
const P4 = -0.0000016533902205465252; // bebbbd41 c5d26bf1
const P5 = 4.1381367970572385e-8; // 3e663769 72bea4d0
const TWOM1000 = 9.332636185032189e-302; // 01700000 00000000
const TWO1023 = 8.98846567431158e307; // 7fe00000 00000000

/**
 * e raised to `x`, bit-identical on every engine (fdlibm's `__ieee754_exp`, error below 1 ulp).
 * `exp(-Infinity) = +0`, `exp(Infinity) = Infinity`, `exp(NaN) = NaN`, `exp(±0) = 1`;
 * overflows to Infinity above 709.78 and underflows to +0 below -745.13.
 *
 * @example exp(0) === 1
 * @since 0.1.0
 */
export function exp(x: number): number {
  let hx = highWord(x);
  const xsb = hx >>> 31; // sign bit of x
  hx &= 0x7fffffff; // high word of |x|
  let hi = 0;
  let lo = 0;
  let k = 0;
  if (hx >= 0x40862e42) {
    // |x| >= 709.78...
    if (hx >= 0x7ff00000) {
      if (Number.isNaN(x)) return x + x; // NaN
      return xsb === 0 ? x : 0; // exp(±Infinity) = Infinity, 0
    }
    if (x > O_THRESHOLD) return HUGE * HUGE; // overflow
    if (x < U_THRESHOLD) return TWOM1000 * TWOM1000; // underflow
  }
  // Argument reduction: x = k*ln2 + r, |r| <= 0.5*ln2, r kept as hi - lo.
  if (hx > 0x3fd62e42) {
    // |x| > 0.5 ln2
    if (hx < 0x3ff0a2b2) {
      // and |x| < 1.5 ln2
      if (xsb === 0) {
        hi = x - LN2_HI;
        lo = LN2_LO;
        k = 1;
      } else {
        hi = x + LN2_HI;
        lo = -LN2_LO;
        k = -1;
      }
    } else {
      k = (INV_LN2 * x + (xsb === 0 ? 0.5 : -0.5)) | 0; // truncates toward zero, as C's (int)
      hi = x - k * LN2_HI; // k*LN2_HI is exact here
      lo = k * LN2_LO;
    }
    x = hi - lo;
  } else if (hx < 0x3e300000) {
    // |x| < 2**-28
    return 1 + x;
  }
  // x is now in the primary range.
  const t = x * x;
  const c = x - t * (P1 + t * (P2 + t * (P3 + t * (P4 + t * P5))));
  if (k === 0) return 1 - ((x * c) / (c - 2.0) - x);
  const y = 1 - (lo - (x * c) / (2.0 - c) - hi);
  if (k >= -1021) return k === 1024 ? y * 2.0 * TWO1023 : y * twoTo(k);
  return y * twoTo(k + 1000) * TWOM1000;
}

/**
 * `x` times 2**`n`, exactly when the result is normal, rounded once when it is subnormal
 * (FreeBSD's s_scalbn.c). Used by `pow` for a subnormal result and by the large-argument
 * reduction of `sin` and `cos`.
 */
function scalbn(x: number, n: number): number {
  let hx = highWord(x);
  const lx = lowWord(x);
  let k = (hx & 0x7ff00000) >> 20; // exponent of x
  if (k === 0) {
    // 0 or subnormal x
    if ((lx | (hx & 0x7fffffff)) === 0) return x; // ±0
    x *= TWO54;
    hx = highWord(x);
    k = ((hx & 0x7ff00000) >> 20) - 54;
    if (n < -50000) return TINY * x; // underflow
  }
  if (k === 0x7ff) return x + x; // NaN or Infinity
  k += n;
  if (k > 0x7fe) return HUGE * (x < 0 ? -HUGE : HUGE); // overflow
  if (k > 0) return withHighWord(x, (hx & 0x800fffff) | (k << 20)); // normal result
  if (k <= -54) {
    if (n > 50000) return HUGE * (x < 0 ? -HUGE : HUGE); // overflow (n + k wrapped)
    return TINY * (x < 0 ? -TINY : TINY); // underflow
  }
  k += 54; // subnormal result
  return withHighWord(x, (hx & 0x800fffff) | (k << 20)) * TWOM54;
}

// pow (e_pow.c)
const BP = [1.0, 1.5] as const;
const DP_H = [0.0, 0.5849624872207642] as const; // 3fe2b803 40000000
const DP_L = [0.0, 1.350039202129749e-8] as const; // 3e4cfdeb 43cfd006
const TWO53 = 9007199254740992.0; // 43400000 00000000
const L1 = 0.5999999999999946; // 3fe33333 33333303
const L2 = 0.4285714285785502; // 3fdb6db6 db6fabff
const L3 = 0.33333332981837743; // 3fd55555 518f264d
const L4 = 0.272728123808534; // 3fd17460 a91d4101
const L5 = 0.23066074577556175; // 3fcd864a 93c9db65
const L6 = 0.20697501780033842; // 3fca7e28 4a454eef
/** ln2, 3fe62e42 fefa39ef: ECMAScript fixes Math.LN2 to this double (the nearest). */
const LG2_FULL = Math.LN2;
const LG2_H = 0.6931471824645996; // 3fe62e43 00000000
const LG2_L = -1.904654299957768e-9; // be205c61 0ca86c39
const OVT = 8.008566259537294e-17; // -(1024 - log2(ovfl + .5ulp))
const CP = 0.9617966939259756; // 3feec709 dc3a03fd = 2/(3 ln2)
const CP_H = 0.9617967009544373; // 3feec709 e0000000 = (float)cp
const CP_L = -7.028461650952758e-9; // be3e2fe0 145b01f5 = tail of cp_h
const IVLN2 = INV_LN2; // 3ff71547 652b82fe = 1/ln2
const IVLN2_H = 1.4426950216293335; // 3ff71547 60000000 = 24 bits of 1/ln2
const IVLN2_L = 1.9259629911266175e-8; // 3e54ae0b f85ddf44 = 1/ln2 tail

/**
 * `x` raised to `y`, bit-identical on every engine (fdlibm's `__ieee754_pow`, error below
 * 1 ulp; integer results that are representable are exact). Special cases follow ECMAScript's
 * `**`: NaN if `y` is NaN (even for `x = 1`), 1 if `y` is ±0 (even for a NaN `x`), NaN for
 * `(±1) ** ±Infinity` and for a negative finite `x` with a non-integer `y`; `(-0) ** -3` is
 * -Infinity, `0 ** -2` is Infinity.
 *
 * @example pow(2, 0.5) === Math.SQRT2
 * @since 0.1.0
 */
export function pow(x: number, y: number): number {
  if (Number.isNaN(y)) return Number.NaN; // ECMAScript: x ** NaN is NaN, even for x = 1
  const hx = highWord(x);
  const lx = lowWord(x);
  const hy = highWord(y);
  const ly = lowWord(y);
  let ix = hx & 0x7fffffff;
  const iy = hy & 0x7fffffff;

  if ((iy | ly) === 0) return 1; // x ** ±0 = 1, even for a NaN x
  if (Number.isNaN(x)) return Number.NaN;
  if (hx === 0x3ff00000 && lx === 0) return iy === 0x7ff00000 ? Number.NaN : 1; // 1 ** y

  // yisint = 0: y is not an integer; 1: an odd integer; 2: an even integer (only when x < 0).
  let yisint = 0;
  if (hx < 0) {
    if (iy >= 0x43400000)
      yisint = 2; // |y| >= 2**53: even
    else if (iy >= 0x3ff00000) {
      const k = (iy >> 20) - 0x3ff; // exponent
      if (k > 20) {
        const j = ly >>> (52 - k);
        if ((j << (52 - k)) >>> 0 === ly) yisint = 2 - (j & 1);
      } else if (ly === 0) {
        const j = iy >> (20 - k);
        if (j << (20 - k) === iy) yisint = 2 - (j & 1);
      }
    }
  }

  // Special values of y.
  if (ly === 0) {
    if (iy === 0x7ff00000) {
      // y is ±Infinity
      if (((ix - 0x3ff00000) | lx) === 0) return Number.NaN; // (-1) ** ±Infinity (ECMAScript)
      if (ix >= 0x3ff00000) return hy >= 0 ? y : 0; // (|x| > 1) ** ±Infinity = Infinity, 0
      return hy < 0 ? -y : 0; // (|x| < 1) ** -Infinity, +Infinity = Infinity, 0
    }
    if (iy === 0x3ff00000) return hy < 0 ? 1 / x : x; // y is ±1
    if (hy === 0x40000000) return x * x; // y is 2
    if (hy === 0x3fe00000 && hx >= 0) return Math.sqrt(x); // y is 0.5, x >= +0
  }

  let ax = Math.abs(x);
  // Special values of x: ±0, ±Infinity, ±1.
  if (lx === 0 && (ix === 0x7ff00000 || ix === 0 || ix === 0x3ff00000)) {
    let z = ax;
    if (hy < 0) z = 1 / z; // 1/|x|
    if (hx < 0) {
      if (((ix - 0x3ff00000) | yisint) === 0)
        z = Number.NaN; // (-1) ** non-integer
      else if (yisint === 1) z = -z; // (x < 0) ** odd = -(|x| ** odd)
    }
    return z;
  }

  let n = (hx >>> 31) - 1; // 0 for negative x, -1 otherwise
  if ((n | yisint) === 0) return Number.NaN; // (x < 0) ** non-integer
  let s = 1; // sign of the result: -1 for (negative) ** (odd integer)
  if ((n | (yisint - 1)) === 0) s = -1;

  let t1: number;
  let t2: number;
  if (iy > 0x41e00000) {
    // |y| > 2**31
    if (iy > 0x43f00000) {
      // |y| > 2**64: must overflow or underflow
      if (ix <= 0x3fefffff) return hy < 0 ? HUGE * HUGE : TINY * TINY;
      if (ix >= 0x3ff00000) return hy > 0 ? HUGE * HUGE : TINY * TINY;
    }
    // Over- or underflow if x is not close to one.
    if (ix < 0x3fefffff) return hy < 0 ? s * HUGE * HUGE : s * TINY * TINY;
    if (ix > 0x3ff00000) return hy > 0 ? s * HUGE * HUGE : s * TINY * TINY;
    // Now |1 - x| <= 2**-20: log(x) by x - x^2/2 + x^3/3 - x^4/4.
    const t = ax - 1; // t has 20 trailing zeros
    const w = t * t * (0.5 - t * (3.3333333333333331e-1 - t * 0.25));
    const u = IVLN2_H * t; // IVLN2_H has 21 significant bits
    const v = t * IVLN2_L - w * IVLN2;
    t1 = withZeroLowWord(u + v);
    t2 = v - (t1 - u);
  } else {
    n = 0;
    if (ix < 0x00100000) {
      // subnormal x
      ax *= TWO53;
      n -= 53;
      ix = highWord(ax);
    }
    const e = ix >> 20; // biased exponent
    n += e - 0x3ff;
    const j = ix & 0x000fffff;
    // Determine the interval.
    ix = j | 0x3ff00000; // normalize ix
    let k: 0 | 1;
    if (j <= 0x3988e)
      k = 0; // |x| < sqrt(3/2)
    else if (j < 0xbb67a)
      k = 1; // |x| < sqrt(3)
    else {
      k = 0;
      n += 1;
      ix -= 0x00100000;
    }
    ax *= twoTo((ix >> 20) - e); // the exponent of ax becomes that of ix

    // ss = s_h + s_l = (x - 1)/(x + 1) or (x - 1.5)/(x + 1.5)
    const bp = BP[k];
    let u = ax - bp;
    let v = 1 / (ax + bp);
    const ss = u * v;
    const sH = withZeroLowWord(ss);
    // tH = ax + bp, high part
    let tH = fromHighWord(((ix >> 1) | 0x20000000) + 0x00080000 + (k << 18));
    let tL = ax - (tH - bp);
    const sL = v * (u - sH * tH - sH * tL);
    // log(ax)
    let s2 = ss * ss;
    let r = s2 * s2 * (L1 + s2 * (L2 + s2 * (L3 + s2 * (L4 + s2 * (L5 + s2 * L6)))));
    r += sL * (sH + ss);
    s2 = sH * sH;
    tH = withZeroLowWord(3.0 + s2 + r);
    tL = r - (tH - 3.0 - s2);
    // u + v = ss*(1 + ...)
    u = sH * tH;
    v = sL * tH + tL * ss;
    // 2/(3 log2) * (ss + ...)
    const pH = withZeroLowWord(u + v);
    const pL = v - (pH - u);
    const zH = CP_H * pH; // CP_H + CP_L = 2/(3 log2)
    const zL = CP_L * pH + pL * CP + DP_L[k];
    // log2(ax) = (ss + ...)*2/(3 log2) = n + DP_H + zH + zL
    const t = n;
    t1 = withZeroLowWord(zH + zL + DP_H[k] + t);
    t2 = zL - (t1 - t - DP_H[k] - zH);
  }

  // Split y into y1 + y2 and compute (y1 + y2)*(t1 + t2).
  const y1 = withZeroLowWord(y);
  const pL = (y - y1) * t1 + y * t2;
  let pH = y1 * t1;
  let z = pL + pH;
  let j = highWord(z);
  let i = lowWord(z);
  if (j >= 0x40900000) {
    // z >= 1024
    if (((j - 0x40900000) | i) !== 0) return s * HUGE * HUGE; // z > 1024: overflow
    if (pL + OVT > z - pH) return s * HUGE * HUGE; // overflow
  } else if ((j & 0x7fffffff) >= 0x4090cc00) {
    // z <= -1075
    if (((j - 0xc090cc00) | i) !== 0) return s * TINY * TINY; // z < -1075: underflow
    if (pL <= z - pH) return s * TINY * TINY; // underflow
  }

  // 2 ** (pH + pL)
  i = j & 0x7fffffff;
  let k = (i >> 20) - 0x3ff;
  n = 0;
  if (i > 0x3fe00000) {
    // |z| > 0.5: n = [z + 0.5]
    n = j + (0x00100000 >> (k + 1));
    k = ((n & 0x7fffffff) >> 20) - 0x3ff; // new k for n
    const t = fromHighWord(n & ~(0x000fffff >> k));
    n = ((n & 0x000fffff) | 0x00100000) >> (20 - k);
    if (j < 0) n = -n;
    pH -= t;
  }
  const t = withZeroLowWord(pL + pH);
  const u = t * LG2_H;
  const v = (pL - (t - pH)) * LG2_FULL + t * LG2_L;
  z = u + v;
  const w = v - (z - u);
  const tt = z * z;
  const c = z - tt * (P1 + tt * (P2 + tt * (P3 + tt * (P4 + tt * P5))));
  const r = (z * c) / (c - 2.0) - (w + z * w);
  z = 1 - (r - z);
  j = highWord(z);
  j += n << 20;
  if (j >> 20 <= 0)
    z = scalbn(z, n); // subnormal result
  else z = n > 1023 ? z * 2 * twoTo(n - 1) : z * twoTo(n); // add n to the exponent, exactly
  return s * z;
}

// sin and cos kernels (k_sin.c, k_cos.c): |x| <= pi/4, x + y the reduced argument.
const S1 = -0.16666666666666632; // bfc55555 55555549
const S2 = 0.00833333333332249; // 3f811111 1110f8a6
const S3 = -0.0001984126982985795; // bf2a01a0 19c161d5
const S4 = 0.0000027557313707070068; // 3ec71de3 57b1fe7d
const S5 = -2.5050760253406863e-8; // be5ae5e6 8a2b9ceb
const S6 = 1.58969099521155e-10; // 3de5d93a 5acfd57c
const C1 = 0.0416666666666666; // 3fa55555 5555554c
const C2 = -0.001388888888887411; // bf56c16c 16c15177
const C3 = 0.00002480158728947673; // 3efa01a0 19cb1590
const C4 = -2.7557314351390663e-7; // be927e4f 809c52ad
const C5 = 2.087572321298175e-9; // 3e21ee9e bdb4b1c4
const C6 = -1.1359647557788195e-11; // bda8fae9 be8838d4

/** sin(x + y) for |x| <= pi/4; `tail` false when y is known to be 0. */
function kernelSin(x: number, y: number, tail: boolean): number {
  const z = x * x;
  const w = z * z;
  const r = S2 + z * (S3 + z * S4) + z * w * (S5 + z * S6);
  const v = z * x;
  if (!tail) return x + v * (S1 + z * r);
  return x - (z * (0.5 * y - v * r) - y - v * S1);
}

/** cos(x + y) for |x| <= pi/4. */
function kernelCos(x: number, y: number): number {
  const z = x * x;
  let w = z * z;
  const r = z * (C1 + z * (C2 + z * C3)) + w * w * (C4 + z * (C5 + z * C6));
  const hz = 0.5 * z;
  w = 1 - hz;
  return w + (1 - w - hz + (z * r - x * y));
}

// Argument reduction (e_rem_pio2.c): x = n*pi/2 + (y0 + y1), |y0 + y1| <= pi/4.
const INV_PIO2 = 0.6366197723675814; // 3fe45f30 6dc9c883
const PIO2_1 = 1.5707963267341256; // 3ff921fb 54400000: first 33 bits of pi/2
const PIO2_1T = 6.077100506506192e-11; // 3dd0b461 1a626331: pi/2 - PIO2_1
const PIO2_2 = 6.077100506303966e-11; // 3dd0b461 1a600000: second 33 bits
const PIO2_2T = 2.0222662487959506e-21; // 3ba3198a 2e037073: pi/2 - (PIO2_1 + PIO2_2)
const PIO2_3 = 2.0222662487111665e-21; // 3ba3198a 2e000000: third 33 bits
const PIO2_3T = 8.4784276603689e-32; // 397b839a 252049c1: pi/2 - (PIO2_1 + ... + PIO2_3)
const TWO24 = 16777216.0; // 41700000 00000000
const TWON24 = 1 / TWO24; // 3e700000 00000000 = 2**-24, exact
/** 1.5 * 2**52: adding and subtracting it rounds a double of magnitude < 2**51 to an integer. */
const ROUNDING_SHIFT = 6755399441055744.0;

/** The reduced argument's two parts, written by `remPio2` (no allocation per call). */
let reducedHead = 0;
let reducedTail = 0;

/**
 * Reduces `x` (|x| > pi/4, finite) by multiples of pi/2: returns n and writes x - n*pi/2 as
 * `reducedHead + reducedTail`.
 */
function remPio2(x: number, hx: number): number {
  const ix = hx & 0x7fffffff;
  // Up to 9pi/4, one subtraction of a 33 + 53-bit pi/2 multiple, except near multiples of
  // pi/2, where cancellation needs the medium case's extra precision.
  if (ix <= 0x400f6a7a) {
    // |x| ~<= 5pi/4
    if ((ix & 0xfffff) !== 0x921fb) {
      const m = ix <= 0x4002d97c ? 1 : 2; // |x| ~<= 3pi/4
      return reduceSmall(x, hx > 0 ? m : -m);
    }
  } else if (ix <= 0x401c463b) {
    // |x| ~<= 9pi/4
    if (ix <= 0x4015fdbc) {
      // |x| ~<= 7pi/4
      if (ix !== 0x4012d97c) return reduceSmall(x, hx > 0 ? 3 : -3); // not ~3pi/2
    } else if (ix !== 0x401921fb) return reduceSmall(x, hx > 0 ? 4 : -4); // not ~4pi/2
  }
  if (ix < 0x413921fb) {
    // |x| ~< 2**20 * (pi/2): medium size
    const fn = x * INV_PIO2 + ROUNDING_SHIFT - ROUNDING_SHIFT;
    const n = fn | 0;
    let r = x - fn * PIO2_1;
    let w = fn * PIO2_1T; // first round, good to 85 bits
    const j = ix >> 20;
    let y0 = r - w;
    let i = j - ((highWord(y0) >> 20) & 0x7ff);
    if (i > 16) {
      // second iteration needed, good to 118 bits
      let t = r;
      w = fn * PIO2_2;
      r = t - w;
      w = fn * PIO2_2T - (t - r - w);
      y0 = r - w;
      i = j - ((highWord(y0) >> 20) & 0x7ff);
      if (i > 49) {
        // third iteration, 151 bits: covers all cases
        t = r;
        w = fn * PIO2_3;
        r = t - w;
        w = fn * PIO2_3T - (t - r - w);
        y0 = r - w;
      }
    }
    reducedHead = y0;
    reducedTail = r - y0 - w;
    return n;
  }
  // Large arguments: split |x| / 2**e0 into three 24-bit pieces for the multi-precision kernel.
  const e0 = (ix >> 20) - 1046; // e0 = ilogb(z) - 23
  let z = fromWords(ix - (e0 << 20), lowWord(x));
  const tx = largeInput;
  for (let i = 0; i < 2; i++) {
    tx[i] = z | 0;
    z = (z - tx[i]!) * TWO24;
  }
  tx[2] = z;
  let nx = 3;
  while (tx[nx - 1] === 0) nx--; // skip zero terms
  const n = kernelRemPio2(tx, e0, nx);
  if (hx < 0) {
    reducedHead = -reducedHead;
    reducedTail = -reducedTail;
    return -n;
  }
  return n;
}

/** x - m*pi/2 for |m| <= 4 and x not near a multiple of pi/2: one subtraction of a 33+53-bit pi/2. */
function reduceSmall(x: number, m: number): number {
  const z = x - m * PIO2_1;
  reducedHead = z - m * PIO2_1T;
  reducedTail = z - reducedHead - m * PIO2_1T;
  return m;
}

// k_rem_pio2.c: 2/pi in 24-bit pieces (enough for any double), and pi/2 in 24-bit pieces.
const IPIO2 = [
  0xa2f983, 0x6e4e44, 0x1529fc, 0x2757d1, 0xf534dd, 0xc0db62, 0x95993c, 0x439041, 0xfe5163,
  0xabdebb, 0xc561b7, 0x246e3a, 0x424dd2, 0xe00649, 0x2eea09, 0xd1921c, 0xfe1deb, 0x1cb129,
  0xa73ee8, 0x8235f5, 0x2ebb44, 0x84e99c, 0x7026b4, 0x5f7e41, 0x3991d6, 0x398353, 0x39f49c,
  0x845f8b, 0xbdf928, 0x3b1ff8, 0x97ffde, 0x05980f, 0xef2f11, 0x8b5a0a, 0x6d1f6d, 0x367ecf,
  0x27cb09, 0xb74f46, 0x3f669e, 0x5fea2d, 0x7527ba, 0xc7ebe5, 0xf17b3d, 0x0739f7, 0x8a5292,
  0xea6bfb, 0x5fb11f, 0x8d5d08, 0x560330, 0x46fc7b, 0x6babf0, 0xcfbc20, 0x9af436, 0x1da9e3,
  0x91615e, 0xe61b08, 0x659985, 0x5f14a0, 0x68408d, 0xffd880, 0x4d7327, 0x310606, 0x1556ca,
  0x73a8c9, 0x60e27b, 0xc08c6b,
] as const;
const PIO2 = [
  1.570796251296997, // 3ff921fb 40000000
  7.549789415861596e-8, // 3e74442d 00000000
  5.390302529957765e-15, // 3cf84698 80000000
  3.282003415807913e-22, // 3b78cc51 60000000
  1.270655753080676e-29, // 39f01b83 80000000
  1.2293330898111133e-36, // 387a2520 40000000
  2.7337005381646456e-44, // 36e38222 80000000
  2.1674168387780482e-51, // 3569f31d 00000000
] as const;
/** Terms of 2/pi the kernel starts with for double precision (fdlibm's init_jk[1]). */
const JK = 4;
// Scratch arrays of the large reduction, allocated once.
const largeInput = new Float64Array(3);
const kf = new Float64Array(20);
const kq = new Float64Array(20);
const kfq = new Float64Array(20);
const kiq = new Int32Array(20);

/**
 * fdlibm's `__kernel_rem_pio2` for double precision (prec = 1): `x[0..nx)` are 24-bit pieces
 * of |input| / 2**e0; returns n mod 8 and writes the reduced argument to reducedHead/Tail.
 */
function kernelRemPio2(x: Float64Array, e0: number, nx: number): number {
  const f = kf;
  const q = kq;
  const fq = kfq;
  const iq = kiq;
  const jp = JK;
  // jx, jv, q0 (q0 < 3)
  const jx = nx - 1;
  let jv = ((e0 - 3) / 24) | 0;
  if (jv < 0) jv = 0;
  let q0 = e0 - 24 * (jv + 1);
  // f[0..jx+JK] where f[jx+JK] = IPIO2[jv+JK]
  let j = jv - jx;
  const m = jx + JK;
  for (let i = 0; i <= m; i++, j++) f[i] = j < 0 ? 0 : IPIO2[j]!;
  // q[0..JK]
  for (let i = 0; i <= JK; i++) {
    let fw = 0;
    for (j = 0; j <= jx; j++) fw += x[j]! * f[jx + i - j]!;
    q[i] = fw;
  }
  let jz = JK;
  let z: number;
  let n: number;
  let ih: number;
  for (;;) {
    // Distill q[] into iq[], reversed.
    z = q[jz]!;
    for (let i = 0, k = jz; k > 0; i++, k--) {
      const fw = (TWON24 * z) | 0;
      iq[i] = (z - TWO24 * fw) | 0;
      z = q[k - 1]! + fw;
    }
    // n
    z = scalbn(z, q0); // the actual value of z
    z -= 8.0 * Math.floor(z * 0.125); // trim off integers >= 8
    n = z | 0;
    z -= n;
    ih = 0;
    if (q0 > 0) {
      // iq[jz-1] is needed to determine n
      const i = iq[jz - 1]! >> (24 - q0);
      n += i;
      iq[jz - 1] = iq[jz - 1]! - (i << (24 - q0));
      ih = iq[jz - 1]! >> (23 - q0);
    } else if (q0 === 0) ih = iq[jz - 1]! >> 23;
    else if (z >= 0.5) ih = 2;

    if (ih > 0) {
      // q > 0.5
      n += 1;
      let carry = 0;
      for (let i = 0; i < jz; i++) {
        // 1 - q
        const v = iq[i]!;
        if (carry === 0) {
          if (v !== 0) {
            carry = 1;
            iq[i] = 0x1000000 - v;
          }
        } else iq[i] = 0xffffff - v;
      }
      if (q0 === 1)
        iq[jz - 1] = iq[jz - 1]! & 0x7fffff; // rare case: chance is 1 in 12
      else if (q0 === 2) iq[jz - 1] = iq[jz - 1]! & 0x3fffff;
      if (ih === 2) {
        z = 1 - z;
        if (carry !== 0) z -= scalbn(1, q0);
      }
    }

    // Is recomputation needed?
    if (z !== 0) break;
    let any = 0;
    for (let i = jz - 1; i >= JK; i--) any |= iq[i]!;
    if (any !== 0) break;
    let k = 1;
    while (iq[JK - k] === 0) k++; // k = number of terms needed
    for (let i = jz + 1; i <= jz + k; i++) {
      // add q[jz+1] to q[jz+k]
      f[jx + i] = IPIO2[jv + i]!;
      let fw = 0;
      for (j = 0; j <= jx; j++) fw += x[j]! * f[jx + i - j]!;
      q[i] = fw;
    }
    jz += k;
  }

  if (z === 0) {
    // chop off zero terms
    jz -= 1;
    q0 -= 24;
    while (iq[jz] === 0) {
      jz--;
      q0 -= 24;
    }
  } else {
    // break z into 24-bit pieces if necessary
    z = scalbn(z, -q0);
    if (z >= TWO24) {
      const fw = (TWON24 * z) | 0;
      iq[jz] = (z - TWO24 * fw) | 0;
      jz += 1;
      q0 += 24;
      iq[jz] = fw;
    } else iq[jz] = z | 0;
  }

  // Integer chunks to floating point.
  let fw = scalbn(1, q0);
  for (let i = jz; i >= 0; i--) {
    q[i] = fw * iq[i]!;
    fw *= TWON24;
  }
  // PIO2[0..jp] * q[jz..0]
  for (let i = jz; i >= 0; i--) {
    fw = 0;
    for (let k = 0; k <= jp && k <= jz - i; k++) fw += PIO2[k]! * q[i + k]!;
    fq[jz - i] = fw;
  }
  // Compress fq[] into the head and tail.
  fw = 0;
  for (let i = jz; i >= 0; i--) fw += fq[i]!;
  reducedHead = ih === 0 ? fw : -fw;
  fw = fq[0]! - fw;
  for (let i = 1; i <= jz; i++) fw += fq[i]!;
  reducedTail = ih === 0 ? fw : -fw;
  return n & 7;
}

/**
 * The sine of `x` (radians), bit-identical on every engine (fdlibm's `sin`, error below 1 ulp,
 * with an exact reduction by pi/2 for any finite `x`). `sin(±0) = ±0`; NaN for ±Infinity and NaN.
 *
 * @example sin(0) === 0
 * @since 0.1.0
 */
export function sin(x: number): number {
  const hx = highWord(x);
  const ix = hx & 0x7fffffff;
  if (ix <= 0x3fe921fb) {
    // |x| ~<= pi/4
    if (ix < 0x3e500000) return x; // |x| < 2**-26: sin x rounds to x
    return kernelSin(x, 0, false);
  }
  if (ix >= 0x7ff00000) return Number.NaN; // Infinity or NaN
  const n = remPio2(x, hx);
  switch (n & 3) {
    case 0:
      return kernelSin(reducedHead, reducedTail, true);
    case 1:
      return kernelCos(reducedHead, reducedTail);
    case 2:
      return -kernelSin(reducedHead, reducedTail, true);
    default:
      return -kernelCos(reducedHead, reducedTail);
  }
}

/**
 * The cosine of `x` (radians), bit-identical on every engine (fdlibm's `cos`, error below 1 ulp,
 * with an exact reduction by pi/2 for any finite `x`). `cos(±0) = 1`; NaN for ±Infinity and NaN.
 *
 * @example cos(0) === 1
 * @since 0.1.0
 */
export function cos(x: number): number {
  const hx = highWord(x);
  const ix = hx & 0x7fffffff;
  if (ix <= 0x3fe921fb) {
    // |x| ~<= pi/4
    if (ix < 0x3e46a09e) return 1; // |x| < 2**-27 * sqrt(2): cos x rounds to 1
    return kernelCos(x, 0);
  }
  if (ix >= 0x7ff00000) return Number.NaN; // Infinity or NaN
  const n = remPio2(x, hx);
  switch (n & 3) {
    case 0:
      return kernelCos(reducedHead, reducedTail);
    case 1:
      return -kernelSin(reducedHead, reducedTail, true);
    case 2:
      return -kernelCos(reducedHead, reducedTail);
    default:
      return kernelSin(reducedHead, reducedTail, true);
  }
}
