/**
 * What the clock fault kinds share: a target is an entity with a `NodeClock` (a node's clock is
 * found through its owner, as `nodeClocksOf` finds it: a registered symbol on the entity, so
 * the CLI's copy of distsim's modules finds the clocks of a model loaded with another), and
 * each fault moves the clock and, when it ends, may put it back (`params.correction`: "step",
 * "slew" or "none"), as NTP would.
 */
import type { Entity } from "../core/entity.js";
import type { Simulation } from "../core/simulation.js";
import { type ActiveFault, entityNamed } from "./kind.js";
import { type FaultSpec, faultFieldError } from "./spec.js";

/** What the clock kinds use of a `NodeClock`. */
export interface FaultableClock {
  readonly name: string;
  step(by: number): { readonly movedSeconds: number };
  slew(by: number): { readonly movedSeconds: number };
  addDrift(ppm: number): { readonly movedSeconds: number; end(): void };
}

const CLOCKS = Symbol.for("distsim.nodeClocks");

/** The clocks of each target, or the schedule's error naming a target without one. */
export function clocksOf(fault: FaultSpec, index: number, sim: Simulation): FaultableClock[] {
  return fault.targets.flatMap((name, i) => {
    const entity = entityNamed(sim, name, index, "targets") as Entity<unknown, unknown> & {
      [CLOCKS]?: FaultableClock[];
    };
    const clocks = entity[CLOCKS] ?? [];
    if (clocks.length === 0) {
      throw faultFieldError(index, `targets[${i}]`, "an entity with a NodeClock", name);
    }
    return clocks;
  });
}

export type Correction = "step" | "slew" | "none";

/** `params.correction`, or `fallback`. */
export function correctionParam(fault: FaultSpec, index: number, fallback: Correction): Correction {
  const value = fault.params?.correction;
  if (value === undefined) return fallback;
  if (value !== "step" && value !== "slew" && value !== "none") {
    throw faultFieldError(index, "params.correction", '"step", "slew" or "none"', value);
  }
  return value;
}

/**
 * A clock fault in force: `moved(i)` says how far it has moved clock i (seconds), `stop()`
 * ends what goes on (a drift); on heal each clock is corrected back by what it moved, as
 * `correction` says. Effects: `countKey` (how many clocks) and `movedMicroseconds` (how far
 * it moved them, in whole microseconds, summed over the clocks whatever the direction).
 */
export function clockFault(
  clocks: readonly FaultableClock[],
  countKey: string,
  detail: string,
  correction: Correction,
  moved: (i: number) => number,
  stop: () => void = () => {},
): ActiveFault {
  let frozen: Readonly<Record<string, number>> | null = null;
  const effects = (): Readonly<Record<string, number>> => {
    if (frozen !== null) return frozen;
    let total = 0;
    clocks.forEach((_, i) => {
      total += Math.abs(moved(i));
    });
    const micros = Math.round(total * 1e6);
    return micros > 0
      ? { [countKey]: clocks.length, movedMicroseconds: micros }
      : { [countKey]: clocks.length };
  };
  return {
    detail: `${detail}${correction === "none" ? "" : `, corrected by a ${correction} when it ends`}`,
    heal: () => {
      stop();
      frozen = effects();
      clocks.forEach((clock, i) => {
        const back = -moved(i);
        if (back === 0 || correction === "none") return;
        if (correction === "step") clock.step(back);
        else clock.slew(back);
      });
    },
    effects,
  };
}
