/**
 * Goal: errors carry the facts a user needs (component, parameter, expected, given; entity and
 * simulated time) in their fields and in their messages, and every one is a DistsimError.
 * Method: construct each error and inspect it.
 */
import { describe, expect, it } from "vitest";
import {
  CancelledError,
  ConfigError,
  DistsimError,
  describeValue,
  InterruptError,
  SimulationError,
  TimeoutError,
} from "../../src/core/errors.js";

describe("errors", () => {
  it("ConfigError names component, parameter, expected and given", () => {
    const error = new ConfigError("Server", "concurrency", "an integer >= 1", 0);
    expect(error).toBeInstanceOf(DistsimError);
    expect(error).toMatchObject({
      name: "ConfigError",
      component: "Server",
      parameter: "concurrency",
      given: 0,
    });
    expect(error.message).toBe('Server: option "concurrency" must be an integer >= 1; given 0');
  });

  it("SimulationError names the entity and the exact time, and keeps the cause", () => {
    const cause = new Error("x");
    const error = new SimulationError("went wrong", "db", 2_000_000_001, { cause });
    expect(error.message).toBe('entity "db" at t=2.000000001s: went wrong');
    expect(error.time).toBeCloseTo(2.000000001, 12);
    expect(error.cause).toBe(cause);
    expect(new SimulationError("m", null, 0).message).toBe("simulation at t=0s: m");
  });

  it("modelled failures carry their facts", () => {
    expect(new TimeoutError(2)).toMatchObject({ name: "TimeoutError", seconds: 2 });
    expect(new CancelledError("lost a race")).toMatchObject({ reason: "lost a race" });
    expect(new InterruptError({ why: 1 }).message).toBe("interrupted: object");
    for (const error of [new TimeoutError(1), new CancelledError("r"), new InterruptError("r")]) {
      expect(error).toBeInstanceOf(DistsimError);
    }
  });

  it("describes given values briefly", () => {
    expect(describeValue("a")).toBe('"a"');
    expect(describeValue(undefined)).toBe("undefined");
    expect(describeValue([1, 2])).toBe("array(2)");
    expect(describeValue(() => {})).toMatch(/^function/);
    expect(describeValue(new Map())).toBe("Map instance");
    expect(describeValue({})).toBe("object");
    expect(describeValue(10n)).toBe("10");
  });
});
