/**
 * Goal: every unbounded waiting queue in the component library fails the run with a
 * `RunawayError` once it holds `sim.limits.maxQueueLength` items, naming the component (and
 * its entity), the size, the simulated time and what to change; a queue bounded by its own
 * option is never checked (it refuses instead), and a model under the limit runs exactly as
 * without one (same trace).
 * Method: arrivals at twice the service rate into each queue holder (Server, ThreadPool,
 * Resource, Store items, processes waiting on a Store), with a small limit so the queue passes
 * it in a fraction of a second; and a client with no timeout calling a crashed server, whose
 * requests in flight are the only thing that grows.
 */
import { describe, expect, it } from "vitest";
import { Client } from "../../../src/components/client/client.js";
import { arrivals } from "../../../src/components/load/index.js";
import { Source } from "../../../src/components/load/source.js";
import { Resource } from "../../../src/components/resource/resource.js";
import { Store } from "../../../src/components/resource/store.js";
import { Server } from "../../../src/components/server/server.js";
import { ThreadPool } from "../../../src/components/server/threadPool.js";
import { Entity } from "../../../src/core/entity.js";
import { Simulation } from "../../../src/core/simulation.js";
import { RunawayError } from "../../../src/errors/errors.js";
import * as dist from "../../../src/random/distributions/index.js";

const limits = { maxQueueLength: 500 };

function failure(sim: Simulation, until = 1_000): RunawayError {
  try {
    sim.run({ until });
  } catch (error) {
    expect(error).toBeInstanceOf(RunawayError);
    return error as RunawayError;
  }
  throw new Error("expected the run to fail");
}

/** A source at 20/s into a server that serves 10/s: the queue grows by ~10 a second. */
function overloadedServer(options: { queueCapacity?: number; limits?: typeof limits }) {
  const sim = new Simulation({ seed: 1, ...(options.limits ? { limits: options.limits } : {}) });
  const server = new Server<number, number>(sim, "api", {
    serviceTime: dist.constant(0.1),
    ...(options.queueCapacity === undefined ? {} : { queueCapacity: options.queueCapacity }),
  });
  new Source(sim, "load", { target: server, arrivals: arrivals.constant(20) });
  return { sim, server };
}

describe("the runaway guard of unbounded queues", () => {
  it("stops a Server whose unbounded queue passes maxQueueLength, naming it, its size and what to change", () => {
    const { sim, server } = overloadedServer({ limits });
    const error = failure(sim);
    expect(server.queued).toBe(500);
    expect(error.limit).toBe("maxQueueLength");
    expect(error.size).toBe(500);
    expect(error.component).toBe('Server "api"');
    expect(error.entity).toBe("api");
    expect(error.time).toBeGreaterThan(49);
    expect(error.time).toBeLessThan(51);
    expect(error.message).toBe(
      `entity "api" at t=${error.time}s: runaway queue: Server "api" has 500 waiting, the limit for an unbounded queue (maxQueueLength = 500): arrivals outpace service. Bound the queue (its queueCapacity option refuses the excess at once), lower the load, or raise the limit: new Simulation({ seed, limits: { maxQueueLength } }) (Infinity disables it).`,
    );
    expect(sim.status).toBe("failed");
  });

  it("stops a Client whose requests in flight pass maxQueueLength (no timeout, a crashed server)", () => {
    const sim = new Simulation({ seed: 1, limits });
    const server = new Server<number, number>(sim, "api", { serviceTime: dist.constant(0.01) });
    const client = new Client<number, number>(sim, "users", { target: server });
    new Source(sim, "load", { target: client, arrivals: arrivals.constant(20) });
    // Down from the start: the server drops every request, so no queue grows and no timer is
    // pending; only the client's calls accumulate, each waiting for an answer that never comes.
    sim.at(0, () => server.crash());
    const error = failure(sim);
    expect(client.stats.inFlight).toBe(500);
    expect(error.limit).toBe("maxQueueLength");
    expect(error.component).toBe('Client "users"');
    expect(error.entity).toBe("users");
    expect(error.size).toBe(500);
    expect(error.time).toBeCloseTo(25, 0);
    expect(error.message).toContain(
      'runaway queue: Client "users" has 500 requests in flight, the limit for an unbounded queue (maxQueueLength = 500): arrivals outpace service. Bound the queue (a timeout ends a request nobody answers; a queueCapacity on the server it calls refuses the excess at once)',
    );
  });

  it("leaves a queue bounded by its own option alone, even above the limit", () => {
    const { sim, server } = overloadedServer({ limits, queueCapacity: 800 });
    sim.run({ until: 200 });
    expect(server.queued).toBe(800);
    expect(server.stats.rejected).toBeGreaterThan(0);
  });

  it("is off with Infinity, and under the limit changes nothing (same trace)", () => {
    const traceOf = (maxQueueLength: number) => {
      const { sim } = overloadedServer({ limits: { maxQueueLength } });
      return sim.run({ until: 40 }).traceHash;
    };
    expect(traceOf(500)).toBe(traceOf(Number.POSITIVE_INFINITY));
    const { sim } = overloadedServer({ limits: { maxQueueLength: Number.POSITIVE_INFINITY } });
    sim.run({ until: 200 });
    expect(sim.status).toBe("idle");
  });

  it("guards the default: 1,000,000 waiting", () => {
    expect(new Simulation({ seed: 1 }).limits.maxQueueLength).toBe(1_000_000);
  });

  it("stops a ThreadPool's unbounded task queue", () => {
    const sim = new Simulation({ seed: 1, limits });
    const pool = new ThreadPool<number, number>(sim, "workers", {
      workers: 1,
      taskTime: () => 0.1,
    });
    const model = new Entity(sim, "model");
    model.start(function* () {
      for (;;) {
        pool.submit(0).defuse();
        yield 0.05;
      }
    });
    const error = failure(sim);
    expect(error.component).toBe('ThreadPool "workers"');
    expect(error.size).toBe(500);
  });

  it("stops a Resource's unbounded line of processes", () => {
    const sim = new Simulation({ seed: 1, limits });
    const owner = new Entity(sim, "hospital");
    const beds = new Resource(owner, { name: "beds", capacity: 1 });
    const patients = new Entity(sim, "patients");
    patients.start(function* () {
      for (;;) {
        patients.start(function* () {
          const bed = yield* beds.acquire();
          yield 0.1;
          beds.release(bed);
        });
        yield 0.05;
      }
    });
    const error = failure(sim);
    expect(error.component).toBe('Resource "beds"');
    expect(error.entity).toBe("hospital");
  });

  it("stops an unbounded Store whose items pile up, and the processes waiting to get from one", () => {
    const sim = new Simulation({ seed: 1, limits });
    const owner = new Entity(sim, "line");
    const buffer = new Store<number>(owner, { name: "buffer" });
    const producer = new Entity(sim, "producer");
    producer.start(function* () {
      for (let i = 0; ; i++) {
        yield* buffer.put(i);
        yield 0.01;
      }
    });
    const items = failure(sim);
    expect(items.message).toContain(
      'runaway queue: Store "buffer" has 500 items, the limit for an unbounded queue (maxQueueLength = 500): arrivals outpace service. Bound the queue (its capacity option makes producers wait for room)',
    );

    const sim2 = new Simulation({ seed: 1, limits });
    const owner2 = new Entity(sim2, "line");
    const empty = new Store<number>(owner2, { name: "empty" });
    const consumers = new Entity(sim2, "consumers");
    consumers.start(function* () {
      for (;;) {
        consumers.start(function* () {
          yield* empty.get();
        });
        yield 0.01;
      }
    });
    const getters = failure(sim2);
    expect(getters.component).toBe('the line to get from store "empty"');
    expect(getters.message).toContain("(a maxWait on each wait lets waiters give up)");
  });
});
