/**
 * A model to check, written as a file for `distsim check` and `exploreModel` (every backend
 * loads the same thing), with two planted bugs: two nodes "a" and "b" tick every 0.1 s and
 * the invariant says one of them always serves, but the random schedule crashes and pauses
 * them independently, so some seeds take both down at once; and "a" never ticks again after a
 * crash, so after the heal a seed whose "a" crashed makes no progress. It imports the sources
 * by path, so worker threads load it under tsx with no build.
 */
import {
  always,
  Entity,
  type FaultScheduleSpec,
  type ModelBuilder,
  randomFaultSchedule,
  Simulation,
} from "../../src/index.js";

export const SAFETY = 20;

/** A node that counts every 0.1 s; `resumes` says whether it starts again after a crash. */
export class Ticker extends Entity {
  count = 0;
  constructor(
    sim: Simulation,
    name: string,
    private readonly resumes: boolean,
  ) {
    super(sim, name);
    this.after(0.1, this.tick);
  }
  private readonly tick = (): void => {
    this.count++;
    this.after(0.1, this.tick);
  };
  protected override onRecover(): void {
    if (this.resumes) this.after(0.1, this.tick);
  }
}

const build: ModelBuilder = ({ seed }) => {
  const sim = new Simulation({ seed });
  new Ticker(sim, "a", false);
  new Ticker(sim, "b", true);
  return sim;
};
export default build;

export const safety = SAFETY;

export function faults(seed: number): FaultScheduleSpec {
  return randomFaultSchedule({
    seed,
    horizon: SAFETY,
    classes: [
      {
        targets: ["a", "b"],
        kinds: [{ kind: "crash" }, { kind: "pause" }],
        timeBetweenFailures: 15,
        timeToRepair: 1.5,
      },
    ],
  });
}

const serving = (node: Entity): boolean => node.isUp && !node.isPaused;

export function checks(sim: Simulation): void {
  const a = sim.entity("a")!;
  const b = sim.entity("b")!;
  always(sim, "one node serves", () => serving(a) || serving(b) || "a and b are both down");
}

export const liveness = {
  within: 2,
  progress: (sim: Simulation): number => (sim.entity("a") as Ticker).count,
};
