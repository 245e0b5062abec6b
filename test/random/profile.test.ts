/**
 * Goal: profiles give the right value at every time, exact integrals (the basis of exact
 * non-homogeneous arrivals), honest bounds, and refuse malformed input.
 * Method: hand-computed values and integrals for each builder; integrals cross-checked against
 * fine numeric quadrature; checkParam on numbers and profiles.
 */
import { describe, expect, it } from "vitest";
import { ConfigError } from "../../src/errors/errors.js";
import {
  checkParam,
  constant,
  fromFunction,
  fromTable,
  piecewise,
  ramp,
  sine,
  spike,
  step,
  valueAt,
} from "../../src/random/profile.js";

/** Midpoint-rule integral with many steps, to cross-check the closed forms. */
function numericIntegral(f: (t: number) => number, from: number, to: number): number {
  const steps = 200_000;
  const h = (to - from) / steps;
  let total = 0;
  for (let i = 0; i < steps; i++) total += f(from + (i + 0.5) * h);
  return total * h;
}

describe("profiles: values", () => {
  it("constant, step, ramp, spike", () => {
    expect(constant(5).at(123)).toBe(5);
    const s = step(100, [
      { at: 30, value: 300 },
      { at: 60, value: 50 },
    ]);
    expect([s.at(0), s.at(29.999), s.at(30), s.at(59), s.at(60), s.at(1e6)]).toEqual([
      100, 100, 300, 300, 50, 50,
    ]);
    const r = ramp({ from: 1, to: 5, start: 10, end: 20 });
    expect([r.at(0), r.at(10), r.at(15), r.at(20), r.at(99)]).toEqual([1, 1, 3, 5, 5]);
    const p = spike({ base: 8, peak: 16, start: 60, duration: 10 });
    expect([p.at(59.9), p.at(60), p.at(69.9), p.at(70)]).toEqual([8, 16, 16, 8]);
  });

  it("piecewise interpolates linearly; fromTable can hold steps", () => {
    const lin = piecewise([
      [0, 0],
      [10, 10],
      [20, 0],
    ]);
    expect([lin.at(5), lin.at(15), lin.at(25)]).toEqual([5, 5, 0]);
    const held = fromTable(
      [
        [0, 1],
        [10, 3],
      ],
      { interpolation: "step" },
    );
    expect([held.at(9.9), held.at(10)]).toEqual([1, 3]);
  });

  it("sine oscillates around its mean", () => {
    const s = sine({ mean: 10, amplitude: 5, period: 100 });
    expect(s.at(0)).toBeCloseTo(10, 12);
    expect(s.at(25)).toBeCloseTo(15, 12);
    expect(s.at(75)).toBeCloseTo(5, 12);
    expect([s.min, s.max]).toEqual([5, 15]);
  });

  it("valueAt reads numbers and profiles alike", () => {
    expect(valueAt(3, 99)).toBe(3);
    expect(valueAt(ramp({ from: 0, to: 10, start: 0, end: 10 }), 4)).toBe(4);
  });
});

describe("profiles: integrals and bounds", () => {
  const cases = {
    step: step(100, [
      { at: 30, value: 300 },
      { at: 60, value: 50 },
    ]),
    ramp: ramp({ from: 1, to: 5, start: 10, end: 20 }),
    spike: spike({ base: 8, peak: 16, start: 60, duration: 10 }),
    piecewise: piecewise([
      [0, 0],
      [10, 10],
      [20, 0],
      [30, 4],
    ]),
    sine: sine({ mean: 10, amplitude: 5, period: 37, phase: 3 }),
  };
  for (const [name, p] of Object.entries(cases)) {
    it(`${name}: integral matches quadrature over several intervals`, () => {
      for (const [a, b] of [
        [0, 100],
        [5, 17.5],
        [29, 61],
        [62, 62],
      ] as const) {
        expect(p.integral(a, b)).toBeCloseTo(
          numericIntegral((t) => p.at(t), a, b),
          4,
        );
      }
      expect(p.integral(10, 0)).toBeCloseTo(-p.integral(0, 10), 10);
    });
    it(`${name}: maxOver bounds the value`, () => {
      for (const [a, b] of [
        [0, 100],
        [5, 17.5],
        [29, 61],
      ] as const) {
        const bound = p.maxOver(a, b);
        for (let t = a; t <= b; t += 0.25) expect(p.at(t)).toBeLessThanOrEqual(bound + 1e-9);
        expect(bound).toBeLessThanOrEqual(p.max + 1e-9);
      }
    });
  }
  for (const name of ["step", "ramp", "spike", "sine"] as const) {
    it(`${name}: advance inverts the integral`, () => {
      const p = cases[name];
      for (const [from, to] of [
        [0, 45],
        [12.5, 61],
        [59.999, 70.001],
      ] as const) {
        const area = p.integral(from, to);
        expect(p.advance(from, area)).toBeCloseTo(to, 7);
      }
    });
  }
  it("advance is Infinity when the rate stays at zero", () => {
    expect(step(1, [{ at: 5, value: 0 }]).advance(0, 10)).toBe(Number.POSITIVE_INFINITY);
    expect(constant(0).advance(0, 1)).toBe(Number.POSITIVE_INFINITY);
  });

  it("exact integrals of simple shapes", () => {
    expect(cases.step.integral(0, 90)).toBe(100 * 30 + 300 * 30 + 50 * 30);
    expect(cases.ramp.integral(10, 20)).toBe(30);
    expect(cases.spike.integral(0, 100)).toBe(8 * 90 + 16 * 10);
  });
});

describe("profile.fromFunction", () => {
  const wave = sine({ mean: 20, amplitude: 15, period: 60 });
  const same = fromFunction((t) => wave.at(t), { min: 5, max: 35 });

  it("integrates and advances numerically to the closed form's answer", () => {
    expect(same.closedForm).toBe(false);
    for (const [a, b] of [
      [0, 1],
      [3, 47],
      [10, 1000],
    ] as const) {
      expect(same.integral(a, b)).toBeCloseTo(wave.integral(a, b), 6);
    }
    for (const area of [0.5, 17, 1234]) {
      expect(same.advance(2, area)).toBeCloseTo(wave.advance(2, area), 6);
    }
    expect(same.maxOver(0, 10)).toBe(35);
    expect(fromFunction(() => 0, { min: 0, max: 0 }).advance(0, 1)).toBe(Number.POSITIVE_INFINITY);
  });

  it("fails, naming the time, when the function leaves its promised bounds", () => {
    const liar = fromFunction((t) => t, { min: 0, max: 10 });
    expect(liar.at(5)).toBe(5);
    expect(() => liar.at(11)).toThrow(/within its bounds \[0, 10\] \(at t=11s\)/);
    expect(() => liar.integral(0, 20)).toThrow(ConfigError);
  });

  it("refuses bad arguments", () => {
    expect(() => fromFunction(3 as never, { min: 0, max: 1 })).toThrow(/"fn"/);
    expect(() => fromFunction(() => 1, { min: 2, max: 1 })).toThrow(/"max"/);
    expect(() => fromFunction(() => 1, { min: Number.NaN, max: 1 })).toThrow(/"min"/);
  });
});

describe("profiles: validation", () => {
  it("refuses malformed builders, naming the parameter", () => {
    expect(() => constant(Number.NaN)).toThrow(ConfigError);
    expect(() => step(1, [])).toThrow(/changes/);
    expect(() =>
      step(1, [
        { at: 5, value: 1 },
        { at: 5, value: 2 },
      ]),
    ).toThrow(/changes\[1\]\.at/);
    expect(() => ramp({ from: 0, to: 1, start: 5, end: 5 })).toThrow(/"end"/);
    expect(() => spike({ base: 1, peak: 2, start: 0, duration: 0 })).toThrow(/duration/);
    expect(() => piecewise([[-1, 0]])).toThrow(/rows\[0\]\[0\]/);
    expect(() =>
      fromTable(
        [
          [0, 1],
          [1, 2],
        ],
        { interpolation: "cubic" as never },
      ),
    ).toThrow(/interpolation/);
    expect(() => sine({ mean: 1, amplitude: 1, period: -1 })).toThrow(/period/);
  });

  it("checkParam validates numbers now and profiles at all times", () => {
    const positive = (v: number) => v > 0;
    expect(checkParam("Server", "serviceTime", 0.1, "a number > 0", positive)).toBe(0.1);
    expect(() => checkParam("Server", "serviceTime", 0, "a number > 0", positive)).toThrow(
      'Server: option "serviceTime" must be a number > 0; given 0',
    );
    const dips = ramp({ from: 1, to: -1, start: 0, end: 10 });
    expect(() => checkParam("Server", "serviceTime", dips, "a number > 0", positive)).toThrow(
      /must be a number > 0 at all times; given "ramp 1 -> -1 over \[0s, 10s\] \(ranges over \[-1, 1\]\)"/,
    );
    expect(() => checkParam("Server", "serviceTime", "fast", "a number > 0", positive)).toThrow(
      /a number or a Profile/,
    );
  });
});
