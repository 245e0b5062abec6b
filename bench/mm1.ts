/**
 * M/M/1 written as a user would write it: a source entity that sends requests at Poisson
 * times, and a FIFO server entity with one process serving its queue. Reports customers per
 * wall second and the mean response time next to theory, 1 / (mu - lambda).
 */
import { Entity } from "../src/core/entity.js";
import type { Message } from "../src/core/message.js";
import { Simulation } from "../src/core/simulation.js";

const ARRIVAL_RATE = 8;
const SERVICE_RATE = 10;

class Server extends Entity<number> {
  private readonly service = this.random("service");
  private readonly queue: number[] = [];
  private head = 0;
  private busy = false;
  served = 0;
  totalResponseNs = 0;

  override *handle(request: Message<number>) {
    this.queue.push(request.payload);
    if (this.busy) return;
    this.busy = true;
    while (this.head < this.queue.length) {
      const arrivedNs = this.queue[this.head++]!;
      yield this.service.exponential(1 / SERVICE_RATE);
      this.served++;
      this.totalResponseNs += this.nowNs - arrivedNs;
    }
    this.queue.length = 0;
    this.head = 0;
    this.busy = false;
  }
}

class Source extends Entity {
  private readonly gaps = this.random("arrivals");
  private sent = 0;
  constructor(
    sim: Simulation,
    private readonly server: Server,
    private readonly customers: number,
  ) {
    super(sim, "source");
    this.after(this.gaps.exponential(1 / ARRIVAL_RATE), this.arrive);
  }
  private readonly arrive = (): void => {
    this.send(this.server, "request", this.nowNs);
    if (++this.sent < this.customers)
      this.after(this.gaps.exponential(1 / ARRIVAL_RATE), this.arrive);
  };
}

export interface MM1Result {
  customers: number;
  customersPerWallSecond: number;
  eventsPerWallSecond: number;
  meanResponseSeconds: number;
  theoryMeanResponseSeconds: number;
}

export function mm1(customers: number, seed = 1): MM1Result {
  const sim = new Simulation({ seed });
  const server = new Server(sim, "server");
  new Source(sim, server, customers);
  const summary = sim.run();
  return {
    customers: server.served,
    customersPerWallSecond: server.served / summary.wallSeconds,
    eventsPerWallSecond: summary.eventsPerWallSecond,
    meanResponseSeconds: server.totalResponseNs / server.served / 1e9,
    theoryMeanResponseSeconds: 1 / (SERVICE_RATE - ARRIVAL_RATE),
  };
}
