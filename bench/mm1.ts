/**
 * M/M/1 written as a user would write it with the public API: a source entity whose timer
 * (`after`) sends a request per Poisson arrival (lambda = 8/s) to a FIFO single server with
 * exponential service (mu = 10/s). Two idiomatic servers:
 * - "handler": a plain `handle` that queues the request, and a timer for each service;
 * - "process": a generator `handle` (a process per message): the first request to find the
 *   server idle serves the queue in a loop, `yield`ing each service time.
 * - "components": no hand-written server at all: the library's `Source` (Poisson arrivals) ->
 *   `Client` -> `Server`, the path most models take; it costs more events per customer (the
 *   client's call, the reply) and shows what the components cost over the bare engine.
 * - "componentsTraced": the same with a trace listener (`sim.onTrace`) that only counts the
 *   records: what the trace stream costs when on. "components" is the same run with it off.
 * Response time (arrival to end of service) is kept as batch means, so the mean comes with a
 * confidence interval to set next to theory, W = 1 / (mu - lambda) = 0.5 s.
 */
import { Client } from "../src/components/client/client.js";
import { Source as LibrarySource } from "../src/components/load/source.js";
import { Server } from "../src/components/server/server.js";
import { Entity } from "../src/core/entity.js";
import type { Message } from "../src/core/message.js";
import { Simulation } from "../src/core/simulation.js";
import { poisson } from "../src/load/arrivals.js";
import { exponential } from "../src/random/distributions/index.js";

export const ARRIVAL_RATE = 8;
export const SERVICE_RATE = 10;
export const THEORY_MEAN_RESPONSE = 1 / (SERVICE_RATE - ARRIVAL_RATE);

export type ServerKind = "handler" | "process" | "components" | "componentsTraced";

/** A library Client that also records each request's response time into the batches. */
class RecordingClient extends Client<number, number> {
  constructor(
    sim: Simulation,
    target: Server<number, number>,
    private readonly responses: ResponseBatches,
  ) {
    super(sim, "client", { target });
  }
  override *handle(message: Message<number>) {
    const startNs = this.nowNs;
    yield* this.issue(message.payload);
    this.responses.record(this.nowNs - startNs);
  }
}

function buildComponents(sim: Simulation, responses: ResponseBatches, customers: number): void {
  const server = new Server<number, number>(sim, "server", {
    serviceTime: exponential(1 / SERVICE_RATE),
  });
  const client = new RecordingClient(sim, server, responses);
  new LibrarySource(sim, "source", {
    target: client,
    arrivals: poisson(ARRIVAL_RATE),
    stopAfter: { count: customers },
  });
}

/** Response times in batches of consecutive customers (batch means). */
export class ResponseBatches {
  readonly batchSums: number[] = [];
  private sum = 0;
  private count = 0;
  customers = 0;

  constructor(readonly batchSize: number) {}

  record(responseNs: number): void {
    this.sum += responseNs;
    this.customers++;
    if (++this.count === this.batchSize) {
      this.batchSums.push(this.sum);
      this.sum = 0;
      this.count = 0;
    }
  }
}

/** Batch means in seconds of several runs pooled: mean and 95% half-width (Student t). */
export function pooledMean(batches: ResponseBatches[]): { mean: number; halfWidth95: number } {
  const means: number[] = [];
  for (const b of batches) for (const sum of b.batchSums) means.push(sum / b.batchSize / 1e9);
  const k = means.length;
  const mean = means.reduce((a, m) => a + m, 0) / k;
  const variance = means.reduce((a, m) => a + (m - mean) ** 2, 0) / (k - 1);
  // Student t quantile, Cornish-Fisher first correction: within 0.5% of the table for k >= 10.
  const z = 1.959964;
  const t = z + (z ** 3 + z) / (4 * (k - 1));
  return { mean, halfWidth95: (t * Math.sqrt(variance)) / Math.sqrt(k) };
}

/** FIFO server with a plain handler: queue the arrival, serve with one timer at a time. */
class HandlerServer extends Entity<number> {
  private readonly service = this.random("service");
  /** Arrival times (ns) of waiting customers; `head` is the next to serve. */
  private readonly waiting: number[] = [];
  private head = 0;
  private busy = false;
  /** Arrival time (ns) of the customer in service. */
  private current = 0;

  constructor(
    sim: Simulation,
    readonly responses: ResponseBatches,
  ) {
    super(sim, "server");
  }

  override handle(request: Message<number>): void {
    if (this.busy) this.waiting.push(request.payload);
    else this.begin(request.payload);
  }

  private begin(arrivedNs: number): void {
    this.busy = true;
    this.current = arrivedNs;
    this.after(this.service.exponential(1 / SERVICE_RATE), this.complete);
  }

  private readonly complete = (): void => {
    this.responses.record(this.nowNs - this.current);
    if (this.head < this.waiting.length) {
      this.begin(this.waiting[this.head++]!);
      if (this.head === this.waiting.length) {
        this.waiting.length = 0;
        this.head = 0;
      }
    } else {
      this.busy = false;
    }
  };
}

/** FIFO server with a generator handler: one process per message, one of them serving. */
class ProcessServer extends Entity<number> {
  private readonly service = this.random("service");
  private readonly waiting: number[] = [];
  private head = 0;
  private busy = false;

  constructor(
    sim: Simulation,
    readonly responses: ResponseBatches,
  ) {
    super(sim, "server");
  }

  override *handle(request: Message<number>) {
    this.waiting.push(request.payload);
    if (this.busy) return;
    this.busy = true;
    while (this.head < this.waiting.length) {
      const arrivedNs = this.waiting[this.head++]!;
      yield this.service.exponential(1 / SERVICE_RATE);
      this.responses.record(this.nowNs - arrivedNs);
    }
    this.waiting.length = 0;
    this.head = 0;
    this.busy = false;
  }
}

/** Poisson arrivals: a timer callback (bound once) that sends a request and re-arms itself. */
class Source extends Entity {
  private readonly gaps = this.random("arrivals");
  private sent = 0;

  constructor(
    sim: Simulation,
    private readonly server: Entity<number>,
    private readonly customers: number,
  ) {
    super(sim, "source");
    this.after(this.gaps.exponential(1 / ARRIVAL_RATE), this.arrive);
  }

  private readonly arrive = (): void => {
    this.send(this.server, "request", this.nowNs);
    if (++this.sent < this.customers) {
      this.after(this.gaps.exponential(1 / ARRIVAL_RATE), this.arrive);
    }
  };
}

export interface MM1Run {
  kind: ServerKind;
  seed: number;
  customers: number;
  wallSeconds: number;
  events: number;
  customersPerWallSecond: number;
  eventsPerWallSecond: number;
  meanResponseSeconds: number;
  responses: ResponseBatches;
}

/** One run of `customers` customers; only `sim.run()` is timed, not the setup. */
export function runMM1(kind: ServerKind, customers: number, seed: number, batches = 20): MM1Run {
  const responses = new ResponseBatches(Math.max(1, Math.floor(customers / batches)));
  const sim = new Simulation({ seed });
  let traceRecords = 0;
  if (kind === "components" || kind === "componentsTraced") {
    buildComponents(sim, responses, customers);
    if (kind === "componentsTraced") {
      sim.onTrace(() => {
        traceRecords++;
      });
    }
  } else {
    const server =
      kind === "handler" ? new HandlerServer(sim, responses) : new ProcessServer(sim, responses);
    new Source(sim, server, customers);
  }
  const start = performance.now();
  const summary = sim.run();
  const wallSeconds = (performance.now() - start) / 1000;
  if (responses.customers !== customers) {
    throw new Error(`M/M/1 (${kind}) served ${responses.customers} of ${customers} customers`);
  }
  if (kind === "componentsTraced" && traceRecords === 0) {
    throw new Error("M/M/1 (componentsTraced): the trace listener heard nothing");
  }
  const totalNs = responses.batchSums.reduce((a, s) => a + s, 0);
  return {
    kind,
    seed,
    customers,
    wallSeconds,
    events: summary.eventsProcessed,
    customersPerWallSecond: customers / wallSeconds,
    eventsPerWallSecond: summary.eventsProcessed / wallSeconds,
    meanResponseSeconds: totalNs / (responses.batchSums.length * responses.batchSize) / 1e9,
    responses,
  };
}
