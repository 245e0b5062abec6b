/**
 * Goal: a fixed seed gives an identical run (trace hash, event count, end time), a different
 * seed a different one, and the determinism check catches a model that is not deterministic.
 * Method: a golden trace hash for a fixed model and seed (catches any accidental change to
 * ordering, seeding or hashing), plus checkDeterminism on good and deliberately bad builds.
 */
import { describe, expect, it } from "vitest";
import {
  assertDeterministic,
  checkDeterminism,
  NondeterminismError,
} from "../../src/core/determinism.js";
import { Entity } from "../../src/core/entity.js";
import type { Message } from "../../src/core/message.js";
import { Simulation } from "../../src/core/simulation.js";

class Server extends Entity<number, number> {
  private readonly service = this.random("service");
  override *handle(request: Message<number>) {
    yield this.service.exponential(0.05);
    this.reply(request, request.payload * 2);
  }
}

/** A client/server model; `leak` injects a draw from state shared across builds. */
function build(leak?: { state: number }) {
  return (seed: number) => {
    const sim = new Simulation({ seed });
    const server = new Server(sim, "server");
    const client = new Entity(sim, "client");
    const gaps = client.random("gaps");
    client.start(function* () {
      for (let i = 0; i < 200; i++) {
        let gap = gaps.exponential(0.1);
        if (leak) {
          leak.state = (leak.state * 16807) % 2147483647;
          gap = leak.state / 2147483647;
        }
        yield gap;
        client.start(function* () {
          yield* client.call(server, "double", i, { timeout: 1 });
        });
      }
    });
    return sim;
  };
}

describe("determinism", () => {
  it("a fixed seed gives the golden trace hash (update only for an intended change)", () => {
    const summary = build()(4711).run();
    expect([summary.traceHash, summary.eventsProcessed]).toEqual(GOLDEN);
  });

  it("same seed, same run; different seed, different run", () => {
    const verdict = checkDeterminism(build(), 1);
    expect(verdict.deterministic).toBe(true);
    expect(verdict.differences).toEqual([]);
    expect(verdict.first.traceHash).toBe(verdict.second.traceHash);
    expect(build()(2).run().traceHash).not.toBe(verdict.first.traceHash);
  });

  it("catches a model that draws from state outside the simulation, naming the seed", () => {
    const leaky = build({ state: 1 });
    const verdict = checkDeterminism(leaky, 99);
    expect(verdict.deterministic).toBe(false);
    expect(verdict.differences.join()).toMatch(/trace hash/);
    expect(() => assertDeterministic(leaky, 99)).toThrow(NondeterminismError);
    expect(() => assertDeterministic(leaky, 99)).toThrow(/two runs of seed 99 differ/);
    expect(assertDeterministic(build(), 99).deterministic).toBe(true);
  });

  it("passes run options through (a horizon)", () => {
    const verdict = checkDeterminism(build(), 3, { until: 5 });
    expect(verdict.first.time).toBe(5);
  });
});

const GOLDEN: [string, number] = ["78e71378c7ee9c16", 1201];
