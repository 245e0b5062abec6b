/**
 * Goal: src/random/portableMath.ts computes log, exp, pow, sin and cos accurately, with the
 * special cases of their ECMAScript counterparts, and keeps returning the same bits.
 * Method, three ways:
 *   1. accuracy: fast-check compares each function with Node's `Math` over wide ranges (all
 *      positive doubles for log, every finite double for sin and cos, and so on); both are
 *      faithful, so they may differ, but by at most 1 ulp;
 *   2. special cases, exactly (`Object.is`, so -0 and +0 differ): NaN, ±Infinity, ±0, 1,
 *      subnormals, overflow and underflow edges, and ECMAScript's table for `**` (negative
 *      bases with integer exponents, 0 and -0 to negative powers, (±1) ** ±Infinity, ...);
 *   3. reference bits: for 57 fixed arguments, the exact Float64 bits (hex) the module returns,
 *      recorded from this implementation (and agreeing with Node's `Math` or within 1 ulp of
 *      it, noted where not equal). A change of algorithm, constant or evaluation order that
 *      moves any last bit fails here, because it would change simulation runs.
 * test/portableMathUse.test.ts checks that simulation code uses this module.
 */
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { cos, exp, log, pow, sin } from "../../src/random/portableMath.js";

const float = new Float64Array(1);
const bits = new BigInt64Array(float.buffer);
const unsignedBits = new BigUint64Array(float.buffer);

/** A double's place on the number line in ulps: consecutive doubles differ by 1; ±0 are 0. */
function ordinal(x: number): bigint {
  float[0] = x;
  const b = bits[0]!;
  return b < 0n ? -(b & 0x7fffffffffffffffn) : b;
}

/** How many doubles apart two results are (0 when both are NaN). */
function ulpDistance(a: number, b: number): bigint {
  if (Number.isNaN(a) || Number.isNaN(b)) return Number.isNaN(a) && Number.isNaN(b) ? 0n : -1n;
  const d = ordinal(a) - ordinal(b);
  return d < 0n ? -d : d;
}

function hex(x: number): string {
  float[0] = x;
  return unsignedBits[0]!.toString(16).padStart(16, "0");
}

/** Asserts `actual` is within 1 ulp of `expected`, naming the arguments on failure. */
function expectWithinOneUlp(actual: number, expected: number, what: string): void {
  const distance = ulpDistance(actual, expected);
  if (distance < 0n || distance > 1n)
    throw new Error(`${what}: ${actual} (${hex(actual)}) vs Math ${expected} (${hex(expected)})`);
}

const RUNS = { numRuns: 20_000 };
const finite = fc.double({ noNaN: true, noDefaultInfinity: true });
const positive = fc.double({ min: Number.MIN_VALUE, noNaN: true, noDefaultInfinity: true });
/** What exponential sampling feeds `log`: 1 - u for u a multiple of 2**-53 in [0, 1). */
const unitArgument = fc.integer({ min: 0, max: 2 ** 53 - 1 }).map((k) => 1 - k / 2 ** 53);

describe("accuracy: within 1 ulp of Node's Math", () => {
  it("log over every positive double, subnormals included", () => {
    fc.assert(
      fc.property(positive, (x) => expectWithinOneUlp(log(x), Math.log(x), `log(${x})`)),
      RUNS,
    );
  });

  it("log on (0, 1], the arguments of exponential draws, and near 1", () => {
    fc.assert(
      fc.property(unitArgument, (x) => expectWithinOneUlp(log(x), Math.log(x), `log(${x})`)),
      RUNS,
    );
    fc.assert(
      fc.property(fc.double({ min: 0.999, max: 1.001, noNaN: true }), (x) =>
        expectWithinOneUlp(log(x), Math.log(x), `log(${x})`),
      ),
      RUNS,
    );
  });

  it("exp from underflow to overflow", () => {
    fc.assert(
      fc.property(fc.double({ min: -746, max: 710, noNaN: true }), (x) =>
        expectWithinOneUlp(exp(x), Math.exp(x), `exp(${x})`),
      ),
      RUNS,
    );
    fc.assert(
      fc.property(fc.double({ min: -1, max: 1, noNaN: true }), (x) =>
        expectWithinOneUlp(exp(x), Math.exp(x), `exp(${x})`),
      ),
      RUNS,
    );
  });

  it("pow for positive bases and real exponents, up to overflow and down to subnormals", () => {
    fc.assert(
      fc.property(
        fc.double({ min: 0, max: 1e6, noNaN: true }),
        fc.double({ min: -60, max: 60, noNaN: true }),
        (x, y) => expectWithinOneUlp(pow(x, y), x ** y, `pow(${x}, ${y})`),
      ),
      RUNS,
    );
    fc.assert(
      fc.property(positive, finite, (x, y) =>
        expectWithinOneUlp(pow(x, y), x ** y, `pow(${x}, ${y})`),
      ),
      RUNS,
    );
  });

  it("pow for negative bases with integer exponents, and for bases near 1 with huge exponents", () => {
    fc.assert(
      fc.property(
        fc.double({ min: -1e3, max: -Number.MIN_VALUE, noNaN: true }),
        fc.integer({ min: -200, max: 200 }),
        (x, y) => expectWithinOneUlp(pow(x, y), x ** y, `pow(${x}, ${y})`),
      ),
      RUNS,
    );
    fc.assert(
      fc.property(
        fc.double({ min: 1 - 1e-6, max: 1 + 1e-6, noNaN: true }),
        fc.double({ min: -1e12, max: 1e12, noNaN: true }),
        (x, y) => expectWithinOneUlp(pow(x, y), x ** y, `pow(${x}, ${y})`),
      ),
      RUNS,
    );
  });

  it("sin and cos over every finite double, and over the range a sine profile uses", () => {
    for (const range of [finite, fc.double({ min: -1e7, max: 1e7, noNaN: true })]) {
      fc.assert(
        fc.property(range, (x) => {
          expectWithinOneUlp(sin(x), Math.sin(x), `sin(${x})`);
          expectWithinOneUlp(cos(x), Math.cos(x), `cos(${x})`);
        }),
        RUNS,
      );
    }
  });

  it("measures distances in doubles (the helper the checks above rely on)", () => {
    expect(ulpDistance(1, 1 + Number.EPSILON)).toBe(1n);
    expect(ulpDistance(-0, 0)).toBe(0n);
    expect(ulpDistance(-Number.MIN_VALUE, Number.MIN_VALUE)).toBe(2n);
    expect(ulpDistance(Number.NaN, 1)).toBe(-1n);
  });
});

const { NaN: NAN, POSITIVE_INFINITY: INF, NEGATIVE_INFINITY: NINF, MIN_VALUE, MAX_VALUE } = Number;

/** [arguments, exact expected result] pairs, compared with Object.is. */
function expectExact(fn: (...args: number[]) => number, cases: [number[], number][]): void {
  for (const [args, expected] of cases)
    expect({ args, result: fn(...args) }).toEqual({ args, result: expected });
  // toEqual treats -0 and +0 alike; Object.is does not.
  for (const [args, expected] of cases)
    expect(Object.is(fn(...args), expected), `${args} -> ${expected}`).toBe(true);
}

describe("special cases, exactly", () => {
  it("log", () => {
    expectExact(log, [
      [[NAN], NAN],
      [[-1], NAN],
      [[-MIN_VALUE], NAN],
      [[NINF], NAN],
      [[0], NINF],
      [[-0], NINF],
      [[INF], INF],
      [[1], 0],
      [[MIN_VALUE], -744.4400719213812],
      [[MAX_VALUE], 709.782712893384],
      [[2], Math.LN2],
      [[Math.E], 1],
    ]);
  });

  it("exp", () => {
    expectExact(exp, [
      [[NAN], NAN],
      [[INF], INF],
      [[NINF], 0],
      [[0], 1],
      [[-0], 1],
      [[710], INF],
      [[MAX_VALUE], INF],
      [[-746], 0],
      [[-MAX_VALUE], 0],
      [[-745.1], MIN_VALUE], // the last subnormal before underflow
      [[1e-300], 1],
      [[-1e-300], 1],
      [[Math.LN2], 2],
    ]);
  });

  it("pow: ECMAScript's table for **", () => {
    expectExact(pow, [
      [[NAN, 0], 1],
      [[NAN, -0], 1],
      [[1, NAN], NAN],
      [[2, NAN], NAN],
      [[NAN, 1], NAN],
      [[3, INF], INF],
      [[3, NINF], 0],
      [[-3, INF], INF],
      [[0.5, INF], 0],
      [[0.5, NINF], INF],
      [[-0.5, NINF], INF],
      [[1, INF], NAN],
      [[-1, INF], NAN],
      [[1, NINF], NAN],
      [[-1, NINF], NAN],
      [[INF, 0.5], INF],
      [[INF, -0.5], 0],
      [[NINF, 3], NINF],
      [[NINF, 2], INF],
      [[NINF, 0.5], INF],
      [[NINF, -3], -0],
      [[NINF, -2], 0],
      [[0, 3], 0],
      [[0, -3], INF],
      [[0, -0.5], INF],
      [[-0, 3], -0],
      [[-0, 2], 0],
      [[-0, 0.5], 0],
      [[-0, -3], NINF],
      [[-0, -2], INF],
      [[-0, -0.5], INF],
      [[-2, 0.5], NAN],
      [[-1, 0.5], NAN],
      [[-MIN_VALUE, 1.5], NAN],
    ]);
  });

  it("pow: negative bases with integer exponents, exact integer results, over- and underflow", () => {
    expectExact(pow, [
      [[-2, 3], -8],
      [[-2, 4], 16],
      [[-2, -1], -0.5],
      [[-2, -2], 0.25],
      [[-1, 2 ** 53], 1], // every double >= 2**53 is even
      [[-1, 2 ** 53 + 2], 1],
      [[-1, 2 ** 52 + 1], -1], // odd
      [[-2, 1e300], INF],
      [[-0.5, 1e300], 0],
      [[-10, 309], NINF],
      [[-10, -325], -0],
      [[10, 309], INF],
      [[10, -324], 0],
      [[3, 20], 3486784401],
      [[10, 15], 1e15],
      [[7, 18], 1628413597910449],
      [[2, 1023], 2 ** 1023],
      [[2, 1024], INF],
      [[2, -1074], MIN_VALUE],
      [[2, -1075], 0], // exactly halfway to the smallest subnormal: ties to even
      [[2, -1022], 2 ** -1022],
      [[MIN_VALUE, 0.5], Math.sqrt(MIN_VALUE)],
      [[MIN_VALUE, 1], MIN_VALUE],
      [[MIN_VALUE, -1], INF],
      [[MAX_VALUE, 2], INF],
      [[1.5, 2], 2.25],
      [[4, 0.5], 2],
      [[1 + 2 ** -52, 2 ** 62], INF], // |y| > 2**31 with x just above 1
      [[1 - 2 ** -53, 2 ** 70], 0],
      [[1 - 2 ** -53, 2 ** 62], 4.377491037052927e-223], // exp(-512), through the |y| > 2**31 path
      [[1 + 2 ** -52, -(2 ** 62)], 0],
    ]);
  });

  it("sin and cos", () => {
    expectExact(sin, [
      [[NAN], NAN],
      [[INF], NAN],
      [[NINF], NAN],
      [[0], 0],
      [[-0], -0],
      [[MIN_VALUE], MIN_VALUE],
      [[-MIN_VALUE], -MIN_VALUE],
      [[1e-300], 1e-300],
      [[Math.PI / 2], 1],
      [[Math.PI], 1.2246467991473532e-16],
    ]);
    expectExact(cos, [
      [[NAN], NAN],
      [[INF], NAN],
      [[NINF], NAN],
      [[0], 1],
      [[-0], 1],
      [[MIN_VALUE], 1],
      [[1e-300], 1],
      [[Math.PI], -1],
      [[Math.PI / 2], 6.123233995736766e-17],
    ]);
    // Huge arguments need the multi-precision reduction by pi/2 (k_rem_pio2).
    for (const x of [1e22, 1e300, MAX_VALUE, -MAX_VALUE, 2 ** 1000, 3 * 2 ** 1023]) {
      expectWithinOneUlp(sin(x), Math.sin(x), `sin(${x})`);
      expectWithinOneUlp(cos(x), Math.cos(x), `cos(${x})`);
    }
    // sin(1e22) to 17 digits is -0.85220084976718880177...
    expect(sin(1e22)).toBe(-0.8522008497671888);
  });
});

/**
 * Bits recorded from this implementation. The comment gives the value, and says so where Node's
 * Math returns a neighbouring double instead (a 1-ulp difference, allowed).
 */
const REFERENCE: [name: "log" | "exp" | "pow" | "sin" | "cos", args: number[], hex: string][] = [
  ["log", [2], "3fe62e42fefa39ef"], // 0.6931471805599453
  ["log", [10], "40026bb1bbb55516"], // 2.302585092994046
  ["log", [0.1], "c0026bb1bbb55515"], // -2.3025850929940455
  ["log", [0.5], "bfe62e42fefa39ef"], // -0.6931471805599453
  ["log", [1e-300], "c085963447f87fb5"], // -690.7755278982137
  ["log", [5e-324], "c0874385446d71c3"], // -744.4400719213812
  ["log", [1.7976931348623157e308], "40862e42fefa39ef"], // 709.782712893384
  ["log", [1.0000001], "3e7ad7f2847b6492"], // 9.999999505838704e-8
  ["log", [0.9999999], "be7ad7f2b1049b9f"], // -1.0000000494736474e-7
  ["log", [1 - 2 ** -53], "bca0000000000000"], // -1.1102230246251565e-16
  ["log", [2 ** -53], "c0425e4f7b2737fa"], // -36.7368005696771
  ["log", [0.7], "bfd6d3c324e13f50"], // -0.35667494393873245
  ["log", [123456.789], "40277281cad8a844"], // 11.723646487185881
  ["exp", [1], "4005bf0a8b14576a"], // 2.7182818284590455; Math.E and Node's Math give ...769
  ["exp", [-1], "3fd78b56362cef38"], // 0.36787944117144233
  ["exp", [0.5], "3ffa61298e1e069c"], // 1.6487212707001282
  ["exp", [1e-10], "3ff000000006df38"], // 1.0000000001
  ["exp", [10], "40d5829dcf950560"], // 22026.465794806718
  ["exp", [-10], "3f07cd79b5647c9a"], // 0.00004539992976248485
  ["exp", [100], "48f3494a9b171bf5"], // 2.6881171418161356e43
  ["exp", [-100], "36ea8c1f14e2af5d"], // 3.720075976020836e-44
  ["exp", [709.78], "7fefe9ce5c4c52b4"], // 1.7928227943945155e308
  ["exp", [-745.1], "0000000000000001"], // 5e-324
  ["exp", [0.34657359027997264], "3ff6a09e667f3bcc"], // 1.414213562373095
  ["exp", [3.4657359027997265], "4040000000000000"], // 32
  ["pow", [2, 0.5], "3ff6a09e667f3bcd"], // 1.4142135623730951
  ["pow", [1.5, 2.5], "40060b9fd68a4554"], // 2.7556759606310752
  ["pow", [10, -3], "3f50624dd2f1a9fc"], // 0.001
  ["pow", [0.3, 7.7], "3f18ae7e5b4e6bae"], // 0.00009415289134866056
  ["pow", [1.01, 1000000], "7ff0000000000000"], // Infinity
  ["pow", [9.99, -0.25], "3fe1ffda3f7e475e"], // 0.5624819984534317
  ["pow", [2, -1074.5], "0000000000000001"], // 5e-324
  ["pow", [1.0000001, 1e9], "48f349445c228792"], // 2.6881038582144647e43
  ["pow", [-2, 11], "c0a0000000000000"], // -2048
  ["pow", [0.5, 1 / 3], "3fe965fea53d6e3d"], // 0.7937005259840998
  ["pow", [1.5, 3], "400b000000000000"], // 3.375 (a retry backoff with multiplier 1.5)
  ["pow", [1.3, 7], "40191972b95b0002"], // 6.274851700000001
  ["pow", [1.31, 1.5], "3ff7fd649d531142"], // 1.4993635316360074; Node's Math gives ...141
  ["sin", [7.2], "3fe965ba25e3c90f"], // 0.7936678638491531; Node's Math gives ...910
  ["sin", [0.5], "3fdeaee8744b05f0"], // 0.479425538604203
  ["sin", [1], "3feaed548f090cee"], // 0.8414709848078965
  ["sin", [3], "3fc210386db6d55b"], // 0.1411200080598672
  ["sin", [10], "bfe1689ef5f34f52"], // -0.5440211108893698
  ["sin", [-7.5], "bfee041886fcae30"], // -0.9379999767747389
  ["sin", [100], "bfe03425b78c4db8"], // -0.5063656411097588
  ["sin", [1e6], "bfd6664b2568d867"], // -0.34999350217129294
  ["sin", [1e22], "bfeb453ab76bf397"], // -0.8522008497671888
  ["sin", [1e300], "bfea2c16b010e385"], // -0.8178819121159085
  ["cos", [0.5], "3fec1528065b7d50"], // 0.8775825618903728
  ["cos", [1], "3fe14a280fb5068c"], // 0.5403023058681398
  ["cos", [3], "bfefae04be85e5d2"], // -0.9899924966004454
  ["cos", [10], "bfead9ac890c6b1f"], // -0.8390715290764524
  ["cos", [-7.5], "3fd62f45e66f5c2f"], // 0.3466353178350258
  ["cos", [100], "3feb981dbf665fdf"], // 0.8623188722876839
  ["cos", [1e6], "3fedf9df9906d32c"], // 0.9367521275331447
  ["cos", [1e22], "3fe0be2cef01c8f4"], // 0.523214785395139
  ["cos", [1e300], "bfe2699022adc4c1"], // -0.5753861119575491
];

describe("reference bits", () => {
  const functions = { log, exp, pow, sin, cos } as const;

  it("returns exactly the recorded Float64 bits for each fixed argument", () => {
    const found = REFERENCE.map(([name, args]) => {
      const fn = functions[name] as (...a: number[]) => number;
      return [name, args, hex(fn(...args))];
    });
    expect(found).toEqual(REFERENCE);
  });

  it("each recorded value is within 1 ulp of Node's Math (the references are not typos)", () => {
    for (const [name, args, recorded] of REFERENCE) {
      const value = new Float64Array(new BigUint64Array([BigInt(`0x${recorded}`)]).buffer)[0]!;
      const fn = Math[name] as (...a: number[]) => number;
      expectWithinOneUlp(value, fn(...args), `${name}(${args})`);
    }
  });
});
