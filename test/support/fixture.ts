/**
 * The fixture most core tests start from: a fresh simulation (seed 1), one plain entity named
 * "node", and a log whose entries are stamped with the simulated time ("2.5:what").
 */
import { Entity } from "../../src/core/entity.js";
import { Simulation } from "../../src/core/simulation.js";

export function setup() {
  const sim = new Simulation({ seed: 1 });
  const entity = new Entity(sim, "node");
  const log: string[] = [];
  const note = (what: string) => log.push(`${sim.now}:${what}`);
  return { sim, entity, log, note };
}
