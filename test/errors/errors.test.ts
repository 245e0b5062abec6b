/**
 * Goal: every error carries the facts a user needs, in fields and in its message: component,
 * parameter, expected and given for bad configuration; entity and exact simulated time (and the
 * original cause) for failures at run time; the modelled outcomes carry what happened. All of
 * them are DistsimErrors, so a caller can tell them from its own.
 * Method: construct each error and inspect it; describeValue on one value of each kind.
 */
import { describe, expect, it } from "vitest";
import {
  CancelledError,
  ConfigError,
  DistsimError,
  describeValue,
  InterruptError,
  RemoteError,
  SimulationError,
  TimeoutError,
} from "../../src/errors/errors.js";

describe("ConfigError", () => {
  it("names component, parameter, expected and given, in fields and message", () => {
    const error = new ConfigError("Server", "concurrency", "an integer >= 1", 0);
    expect(error).toMatchObject({
      name: "ConfigError",
      component: "Server",
      parameter: "concurrency",
      expected: "an integer >= 1",
      given: 0,
    });
    expect(error.message).toBe('Server: option "concurrency" must be an integer >= 1; given 0');
  });

  it("quotes a given string, so an empty or numeric-looking one is unambiguous", () => {
    expect(new ConfigError("C", "p", "x", "1").message).toBe('C: option "p" must be x; given "1"');
  });
});

describe("SimulationError", () => {
  it("names the entity and the exact simulated time", () => {
    const error = new SimulationError("went wrong", "db", 2_000_000_001);
    expect(error.message).toBe('entity "db" at t=2.000000001s: went wrong');
    expect(error.entity).toBe("db");
    expect(error.timeNs).toBe(2_000_000_001);
    expect(error.time).toBeCloseTo(2.000000001, 12);
  });

  it("says 'simulation' when no entity is involved", () => {
    const error = new SimulationError("m", null, 0);
    expect(error.message).toBe("simulation at t=0s: m");
    expect(error.entity).toBeNull();
  });

  it("keeps the original error as its cause", () => {
    const cause = new Error("x");
    expect(new SimulationError("m", "e", 0, { cause }).cause).toBe(cause);
  });
});

describe("modelled outcomes", () => {
  it("TimeoutError carries the seconds waited", () => {
    const error = new TimeoutError(2);
    expect(error).toMatchObject({ name: "TimeoutError", seconds: 2 });
    expect(error.message).toBe("timed out after 2s");
  });

  it("CancelledError carries the reason", () => {
    expect(new CancelledError("lost a race")).toMatchObject({
      name: "CancelledError",
      reason: "lost a race",
      message: "cancelled: lost a race",
    });
  });

  it("InterruptError carries any reason and describes it briefly", () => {
    expect(new InterruptError("stop").message).toBe("interrupted: stop");
    const reason = { why: 1 };
    const error = new InterruptError(reason);
    expect(error.reason).toBe(reason);
    expect(error.message).toBe("interrupted: object");
  });

  it("RemoteError names the entity that failed the request", () => {
    expect(new RemoteError("overloaded", "db")).toMatchObject({
      name: "RemoteError",
      reason: "overloaded",
      entity: "db",
      message: "db failed the request: overloaded",
    });
  });

  it("every error distsim throws is a DistsimError and an Error", () => {
    const errors = [
      new ConfigError("c", "p", "x", 1),
      new SimulationError("m", null, 0),
      new TimeoutError(1),
      new CancelledError("r"),
      new InterruptError("r"),
      new RemoteError("r", "e"),
    ];
    for (const error of errors) {
      expect(error).toBeInstanceOf(DistsimError);
      expect(error).toBeInstanceOf(Error);
    }
  });
});

describe("describeValue", () => {
  it.each([
    ["a string, quoted", "a", '"a"'],
    ["a number", 1.5, "1.5"],
    ["NaN", Number.NaN, "NaN"],
    ["a boolean", true, "true"],
    ["a bigint", 10n, "10"],
    ["undefined", undefined, "undefined"],
    ["null", null, "null"],
    ["an array, by length", [1, 2], "array(2)"],
    ["a class instance, by class", new Map(), "Map instance"],
    ["a plain object", { a: 1 }, "object"],
    ["an object without prototype", Object.create(null), "object"],
  ])("describes %s", (_label, value, expected) => {
    expect(describeValue(value)).toBe(expected);
  });

  it("describes functions by name", () => {
    function named() {}
    expect(describeValue(named)).toBe("function named");
    expect(describeValue(() => {})).toMatch(/^function /);
  });
});
