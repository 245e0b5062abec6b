/**
 * Goal: the payload digest is a function of the value as documented: numbers by their exact
 * bits, objects by constructor name and own enumerable keys (in any order), Map and Set in
 * order, engine objects by identity (entity name, message id), cycles without looping.
 * Method: pairs of values that must digest equal or differ; one pinned digest.
 */
import { describe, expect, it } from "vitest";
import { ValueDigest } from "../../src/check/payloadDigest.js";
import { Entity } from "../../src/core/entity.js";
import { Simulation } from "../../src/core/simulation.js";

const digest = (value: unknown) => new ValueDigest().add(value).hex();

describe("ValueDigest", () => {
  it("pins the digest of a JSON-like value", () => {
    expect(digest({ kind: "put", key: "k1", value: [1, 2.5, null, true] })).toBe(
      "ddd86547935b8b7b",
    );
    expect(digest({ kind: "put", key: "k1", value: [1, 2.5, null, true] })).toBe(
      digest({ value: [1, 2.5, null, true], key: "k1", kind: "put" }),
    );
  });

  it("tells apart values JSON would merge", () => {
    const pairs: [unknown, unknown][] = [
      [0, -0],
      [0.1 + 0.2, 0.3],
      [1, "1"],
      [undefined, null],
      [[1, 2], { 0: 1, 1: 2 }],
      [new Map([[1, 2]]), new Set([1, 2])],
      [new Date(1), new Date(2)],
      [new Error("a"), new Error("b")],
      [
        ["ab", "c"],
        ["a", "bc"],
      ],
      [1n, 1],
    ];
    for (const [a, b] of pairs) expect(digest(a)).not.toBe(digest(b));
    expect(digest(Number.NaN)).toBe(digest(Number.NaN));
  });

  it("digests an entity by its name and walks cycles without looping", () => {
    const sim = new Simulation({ seed: 1 });
    const other = new Simulation({ seed: 2 });
    expect(digest({ to: new Entity(sim, "a") })).toBe(digest({ to: new Entity(other, "a") }));
    expect(digest({ to: new Entity(sim, "b") })).not.toBe(digest({ to: new Entity(other, "c") }));
    const loop: { self?: unknown; n: number } = { n: 1 };
    loop.self = loop;
    expect(digest(loop)).toMatch(/^[0-9a-f]{16}$/);
  });
});
