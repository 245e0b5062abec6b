/**
 * Goal: a paused station starts no work: capacity restored while its owner is paused starts
 * the waiting work when the pause ends, not during it.
 * Method: a one-worker Server with its capacity at 0, a request waiting, a pause, the capacity
 * restored inside the pause; the reply's time (constant service time).
 */
import { describe, expect, it } from "vitest";
import { dist, Entity, type NodeFault, Server, Simulation } from "../../src/index.js";

describe("reduceCapacity under a pause", () => {
  it("capacity restored during a pause starts the waiting work when the pause ends", () => {
    const sim = new Simulation({ seed: 1 });
    const server = new Server(sim, "server", { concurrency: 1, serviceTime: dist.constant(1) });
    const replies: number[] = [];
    class Caller extends Entity {
      constructor() {
        super(sim, "caller");
        this.at(0.1, () => this.start(this.ask()));
      }
      *ask() {
        yield* this.call(server, "request", "x");
        replies.push(this.now);
      }
    }
    new Caller();
    let capacity: NodeFault | null = null;
    sim.at(0, () => {
      capacity = server.reduceCapacity(0);
    });
    sim.at(0.5, () => server.pause(5));
    sim.at(1, () => capacity!.heal());
    sim.run();
    // Paused from 0.5 to 5.5: the request starts at 5.5 and takes 1 s.
    expect(replies).toEqual([6.5]);
  });
});
