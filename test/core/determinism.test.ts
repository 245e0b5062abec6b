/**
 * Goal: a fixed seed gives an identical run (trace hash, event count, end time), a different seed
 * a different one, and the determinism check catches a model that is not deterministic.
 * Method: a client/server model with random gaps, service times and timeouts. A golden trace
 * hash for one seed catches any accidental change to ordering, seeding or hashing (update it
 * only for an intended change, and say so in the commit). The bad build reads a counter shared
 * between builds, the classic way state outside the simulation leaks into a model.
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

/** A client sending 200 calls with random gaps to a server with random service times. */
function build(seed: number): Simulation {
  const sim = new Simulation({ seed });
  const server = new Server(sim, "server");
  const client = new Entity(sim, "client");
  const gaps = client.random("gaps");
  client.start(function* () {
    for (let i = 0; i < 200; i++) {
      yield gaps.exponential(0.1);
      client.start(function* () {
        yield* client.call(server, "double", i, { timeout: 1 });
      });
    }
  });
  return sim;
}

/** Like `build`, but every build takes one more step than the last from a shared counter. */
function leakyBuilder() {
  const shared = { builds: 0 };
  return (seed: number): Simulation => {
    shared.builds++;
    const sim = new Simulation({ seed });
    const e = new Entity(sim, "e");
    const steps = shared.builds;
    e.start(function* () {
      for (let i = 0; i < steps; i++) yield 1;
    });
    return sim;
  };
}

const GOLDEN = { seed: 4711, traceHash: "78e71378c7ee9c16", eventsProcessed: 1201 };

describe("determinism", () => {
  it("a fixed seed gives the golden trace hash and event count", () => {
    const summary = golden();
    expect([summary.traceHash, summary.eventsProcessed]).toEqual([
      GOLDEN.traceHash,
      GOLDEN.eventsProcessed,
    ]);
  });

  it("the same seed gives the same trace hash, event count and end time", () => {
    const verdict = checkDeterminism(build, 1);
    expect(verdict.deterministic).toBe(true);
    expect(verdict.differences).toEqual([]);
    expect(verdict.seed).toBe(1);
    expect(verdict.second.traceHash).toBe(verdict.first.traceHash);
    expect(verdict.second.eventsProcessed).toBe(verdict.first.eventsProcessed);
    expect(verdict.second.timeNs).toBe(verdict.first.timeNs);
    expect(verdict.first.eventsProcessed).toBeGreaterThan(200);
  });

  it("holds for every seed tried", () => {
    for (let seed = 0; seed < 10; seed++) {
      expect(checkDeterminism(build, seed).deterministic).toBe(true);
    }
  });

  it("different seeds give different trace hashes", () => {
    const hashes = new Set(Array.from({ length: 10 }, (_, seed) => build(seed).run().traceHash));
    expect(hashes.size).toBe(10);
  });

  it("checkDeterminism reports a model that reads state shared between builds", () => {
    const verdict = checkDeterminism(leakyBuilder(), 99);
    expect(verdict.deterministic).toBe(false);
    expect(verdict.differences).toEqual([
      expect.stringMatching(/^trace hash [0-9a-f]{16} vs [0-9a-f]{16}$/),
      "events 2 vs 3",
      "end time 1000000000ns vs 2000000000ns",
    ]);
  });

  it("assertDeterministic throws NondeterminismError naming the seed and carrying the verdict", () => {
    let error: unknown;
    try {
      assertDeterministic(leakyBuilder(), 99);
    } catch (caught) {
      error = caught;
    }
    expect(error).toBeInstanceOf(NondeterminismError);
    const nondeterminism = error as NondeterminismError;
    expect(nondeterminism.message).toMatch(/^two runs of seed 99 differ: trace hash /);
    expect(nondeterminism.verdict.deterministic).toBe(false);
    expect(nondeterminism.verdict.seed).toBe(99);
  });

  it("assertDeterministic returns the verdict for a deterministic model", () => {
    expect(assertDeterministic(build, 99).deterministic).toBe(true);
  });

  it("passes run options through to both runs", () => {
    const verdict = checkDeterminism(build, 3, { until: 5 });
    expect([verdict.first.time, verdict.second.time]).toEqual([5, 5]);
    expect(verdict.first.reason).toBe("until");
  });
});

function golden() {
  return build(GOLDEN.seed).run();
}
