/**
 * `itReadsExactlyItsKnobs(Component, sample)`: a component's spec states valid options for it;
 * the check constructs it once with those options wrapped in a Proxy that records which ones
 * the constructor reads, and requires exactly the entry's operational_knobs (the compiler checks
 * the same against the options type, see test/catalog/entry.test.ts). Every component's spec
 * calls it; test/catalog/components.test.ts fails naming a component whose spec does not.
 */
import { expect, it } from "vitest";
import type { CatalogEntry } from "../../src/catalog/entry.js";
import { Entity } from "../../src/core/entity.js";
import { Simulation } from "../../src/core/simulation.js";

// `options: never` admits any constructor; `sample` is typed by the component's own options.
type ComponentClass = (new (
  sim: Simulation,
  name: string,
  options: never,
) => Entity<never, unknown>) & {
  readonly catalog: CatalogEntry;
};

export function itReadsExactlyItsKnobs<C extends ComponentClass>(
  Component: C,
  sample: (sim: Simulation, target: Entity) => NonNullable<ConstructorParameters<C>[2]>,
): void {
  it(`${Component.catalog.name}: operational_knobs are exactly the options its constructor reads`, () => {
    const sim = new Simulation({ seed: 1 });
    const options = sample(sim, new Entity(sim, "target")) as object;
    const read = new Set<string>();
    const recording = new Proxy(options, {
      get(object, key, receiver) {
        if (typeof key === "string") read.add(key);
        return Reflect.get(object, key, receiver);
      },
    });
    new Component(sim, "component", recording as never);
    expect([...read].sort()).toEqual([...Component.catalog.operational_knobs].sort());
  });
}
