import { describe, expect, it } from "vitest";
import { PhiAccrualDetector } from "../../src/algorithms/index.js";
import { ConfigError } from "../../src/errors/errors.js";

/**
 * The normal upper tail Q(x) = P(Z > x) by Simpson's rule over the density from x to x + 30:
 * slow, but independent of the erfc approximation the detector uses.
 */
function normalTail(x: number): number {
  const steps = 60_000;
  const h = 30 / steps;
  const density = (z: number) => Math.exp((-z * z) / 2) / Math.sqrt(2 * Math.PI);
  let total = density(x) + density(x + 30);
  for (let i = 1; i < steps; i++) total += (i % 2 === 1 ? 4 : 2) * density(x + i * h);
  return (total * h) / 3;
}

function referencePhi(sinceLast: number, mean: number, std: number): number {
  // For negative x the tail is 1 - Q(-x); Simpson's rule is accurate for both.
  const x = (sinceLast - mean) / std;
  return -Math.log10(x >= 0 ? normalTail(x) : 1 - normalTail(-x));
}

function feed(detector: PhiAccrualDetector, intervals: readonly number[], start = 0): number {
  let t = start;
  detector.heartbeat(t);
  for (const interval of intervals) {
    t += interval;
    detector.heartbeat(t);
  }
  return t;
}

describe("PhiAccrualDetector", () => {
  it("gives -log10 of the normal tail of the interval window's mean and standard deviation", () => {
    const intervals = [1, 1.3, 0.7, 1.1, 0.9, 1.2, 0.8, 1];
    const mean = intervals.reduce((a, b) => a + b, 0) / intervals.length;
    const std = Math.sqrt(intervals.reduce((a, b) => a + (b - mean) ** 2, 0) / intervals.length);
    const detector = new PhiAccrualDetector({ minStdDeviationSeconds: 0.01 });
    const last = feed(detector, intervals, 10);
    expect(detector.estimate().meanSeconds).toBeCloseTo(mean, 12);
    expect(detector.estimate().stdDeviationSeconds).toBeCloseTo(std, 12);
    for (const since of [0, 0.5, 1, 1.2, 1.5, 1.8, 2.2, 2.6]) {
      const phi = detector.phi(last + since);
      expect(phi, `phi ${since}s after the last heartbeat`).toBeCloseTo(
        referencePhi(since, mean, std),
        5,
      );
    }
  });

  it("grows with the silence, stays finite far in the tail, and is 0 before any heartbeat", () => {
    const detector = new PhiAccrualDetector();
    expect(detector.phi(5)).toBe(0);
    expect(detector.isAvailable(5)).toBe(true);
    const last = feed(detector, [1, 1, 1, 1]);
    let previous = -1;
    for (let since = 0; since <= 30; since += 0.05) {
      const phi = detector.phi(last + since);
      expect(phi).toBeGreaterThanOrEqual(previous);
      previous = phi;
    }
    // 290 standard deviations out: the tail underflows a double, phi does not.
    expect(Number.isFinite(detector.phi(last + 30))).toBe(true);
    expect(detector.phi(last + 30)).toBeGreaterThan(1e4);
  });

  it("uses the minimum standard deviation when the heartbeats are steadier than it", () => {
    const detector = new PhiAccrualDetector({ minStdDeviationSeconds: 0.2 });
    const last = feed(detector, [1, 1, 1, 1, 1]);
    expect(detector.estimate().stdDeviationSeconds).toBe(0.2);
    // Two floors out: Q(2) = 0.02275.
    expect(detector.phi(last + 1.4)).toBeCloseTo(referencePhi(1.4, 1, 0.2), 5);
    expect(detector.phi(last + 1.4)).toBeCloseTo(-Math.log10(0.0227501319), 5);
  });

  it("adds the acceptable pause to the mean interval", () => {
    const intervals = [0.5, 0.6, 0.4, 0.55, 0.45];
    const plain = new PhiAccrualDetector();
    const paused = new PhiAccrualDetector({ acceptableHeartbeatPauseSeconds: 3 });
    const last = feed(plain, intervals);
    feed(paused, intervals);
    expect(paused.estimate().meanSeconds).toBeCloseTo(plain.estimate().meanSeconds + 3, 12);
    for (const since of [0.3, 0.6, 0.9, 1.2]) {
      expect(paused.phi(last + since + 3)).toBeCloseTo(plain.phi(last + since), 10);
      expect(paused.phi(last + since)).toBeLessThan(plain.phi(last + since));
    }
    expect(plain.isAvailable(last + 1.5)).toBe(false);
    expect(paused.isAvailable(last + 1.5)).toBe(true);
  });

  it("assumes the first-heartbeat estimate until an interval is measured", () => {
    const detector = new PhiAccrualDetector({ firstHeartbeatEstimateSeconds: 2 });
    detector.heartbeat(7);
    expect(detector.estimate()).toEqual({ meanSeconds: 2, stdDeviationSeconds: 0.5, samples: 0 });
    expect(detector.phi(7 + 3)).toBeCloseTo(referencePhi(3, 2, 0.5), 5);
    detector.heartbeat(7.5);
    expect(detector.estimate().samples).toBe(1);
    expect(detector.estimate().meanSeconds).toBe(0.5);
  });

  it("forgets intervals older than the window, however long it runs", () => {
    const detector = new PhiAccrualDetector({ windowSize: 4, minStdDeviationSeconds: 0.001 });
    const last = feed(detector, [9, 9, 9, 9, 9, 9, 9, 1, 2, 3, 4]);
    const estimate = detector.estimate();
    expect(estimate.samples).toBe(4);
    expect(estimate.meanSeconds).toBeCloseTo(2.5, 12);
    expect(estimate.stdDeviationSeconds).toBeCloseTo(Math.sqrt(1.25), 12);
    expect(detector.lastHeartbeatAtSeconds).toBe(last);
    const long = new PhiAccrualDetector({ windowSize: 3 });
    feed(
      long,
      Array.from({ length: 10_000 }, (_, i) => 1 + (i % 3) * 0.1),
    );
    expect(long.estimate().meanSeconds).toBeCloseTo(1.1, 12);
  });

  it("rejects bad options and times, naming the option, what it must be and what was given", () => {
    const bad: [object, string][] = [
      [{ windowSize: 0 }, 'option "windowSize" must be an integer >= 1; given 0'],
      [{ windowSize: 2.5 }, "windowSize"],
      [
        { minStdDeviationSeconds: 0 },
        'option "minStdDeviationSeconds" must be a duration in seconds > 0; given 0',
      ],
      [{ minStdDeviationSeconds: Number.NaN }, "minStdDeviationSeconds"],
      [
        { acceptableHeartbeatPauseSeconds: -1 },
        'option "acceptableHeartbeatPauseSeconds" must be a duration in seconds >= 0; given -1',
      ],
      [
        { firstHeartbeatEstimateSeconds: Number.POSITIVE_INFINITY },
        "firstHeartbeatEstimateSeconds",
      ],
      [{ threshold: 0 }, 'option "threshold" must be a finite number > 0; given 0'],
      [{ threshold: "8" }, "threshold"],
    ];
    for (const [options, message] of bad) {
      expect(() => new PhiAccrualDetector(options as never), JSON.stringify(options)).toThrow(
        ConfigError,
      );
      expect(() => new PhiAccrualDetector(options as never)).toThrow(
        `PhiAccrualDetector: ${message.startsWith("option") ? message : `option "${message}"`}`,
      );
    }
    expect(() => new PhiAccrualDetector(null as never)).toThrow(ConfigError);
    const detector = new PhiAccrualDetector();
    expect(() => detector.heartbeat(Number.NaN)).toThrow(
      'option "atSeconds" must be a finite time in seconds; given NaN',
    );
    detector.heartbeat(5);
    expect(() => detector.heartbeat(4)).toThrow("a time >= the last heartbeat's (5); given 4");
    expect(() => detector.phi(4)).toThrow(ConfigError);
  });
});
