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
} from "../../src/check/determinism.js";
import { Entity, type EntityMetrics } from "../../src/core/entity.js";
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

/**
 * Every build shares one counter outside the simulation, and every message carries its next
 * value: the runs have the same events at the same times (the trace hash agrees), but not the
 * same payloads. `Tally` keeps a count of what it received (the same in both runs) and, if
 * `sums`, the sum of the payloads (which differs).
 */
class Tally extends Entity<number> {
  count = 0;
  sum = 0;
  constructor(
    sim: Simulation,
    name: string,
    private readonly sums: boolean,
  ) {
    super(sim, name);
  }
  override handle(message: Message<number>) {
    this.count++;
    this.sum += message.payload;
  }
  override metrics(): EntityMetrics {
    return this.sums ? { count: this.count, sum: this.sum } : { count: this.count };
  }
}

function globalCounterBuilder(sums: boolean) {
  const global = { next: 0 };
  return (seed: number): Simulation => {
    const sim = new Simulation({ seed });
    const tally = new Tally(sim, "tally", sums);
    const sender = new Entity(sim, "sender");
    sender.start(function* () {
      for (let i = 0; i < 5; i++) {
        yield 1;
        sender.send(tally, "add", global.next++);
      }
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

  it("payloads from a global counter pass the trace hash but fail the payload digest", () => {
    const build = globalCounterBuilder(false);
    const plain = checkDeterminism(build, 5);
    // What the check compared before it compared metrics and payloads: all equal.
    expect(plain.first.traceHash).toBe(plain.second.traceHash);
    expect(plain.first.eventsProcessed).toBe(plain.second.eventsProcessed);
    expect(plain.first.timeNs).toBe(plain.second.timeNs);
    expect(plain.deterministic).toBe(true);

    const verdict = checkDeterminism(build, 5, { payloads: true });
    expect(verdict.deterministic).toBe(false);
    const [a, b] = verdict.payloadDigests!;
    expect(a).toMatch(/^[0-9a-f]{16}$/);
    expect(verdict.differences).toEqual([`payload digest ${a} vs ${b}`]);
  });

  it("payloads from a global counter that reach a metric fail the check, naming the leaf", () => {
    const verdict = checkDeterminism(globalCounterBuilder(true), 5);
    expect(verdict.first.traceHash).toBe(verdict.second.traceHash);
    expect(verdict.deterministic).toBe(false);
    // Payloads 0..4 in the first build, 5..9 in the second.
    expect(verdict.differences).toEqual(['entity "tally" metrics.sum: 10 vs 35']);
  });

  it("compares every engine counter too", () => {
    const shared = { crashes: 0 };
    const verdict = checkDeterminism((seed) => {
      const sim = new Simulation({ seed });
      const e = new Entity(sim, "flaky");
      if (shared.crashes++ === 0) {
        e.crash();
        e.recover();
      }
      return sim;
    }, 1);
    expect(verdict.differences).toEqual(['entity "flaky" counters.crashes: 1 vs 0']);
  });

  it("a deterministic model passes with payloads too, with equal digests", () => {
    const verdict = checkDeterminism(build, 2, { payloads: true });
    expect(verdict.deterministic).toBe(true);
    expect(verdict.payloadDigests![0]).toBe(verdict.payloadDigests![1]);
    expect(checkDeterminism(build, 2).payloadDigests).toBeNull();
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
