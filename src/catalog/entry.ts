/**
 * A catalog entry: the Lego catalog seed's thirteen-field schema (field names exactly as the
 * seed spells them), plus `kind` (a concept the seed names, or a component distsim implements)
 * and, for composites, the declared `expansion`.
 */
import type { ConceptName, Layer, Role } from "./vocabulary.js";

/**
 * A component's name. Components declare their own entries (no central list of names), so the
 * compiler cannot know the set; `Catalog.validate` checks at run time that each name is unique
 * and that every name an entry refers to exists (the catalog test and `distsim catalog check`
 * fail naming the entry, the field and the unknown name).
 */
export type ComponentName = string;

/**
 * Anything the catalog can name: a seed concept or a component. Concept names complete in an
 * editor; a field that can only hold concepts (`provides`) is checked by the compiler.
 */
// `string & {}` keeps the concept names as suggestions instead of collapsing into `string`.
export type CatalogName = ConceptName | (ComponentName & {});

/** A component class as its family's index lists it: the class carries its catalog entry. */
export interface CataloguedComponent {
  readonly name: string;
  readonly catalog: CatalogEntry;
}

export interface CatalogEntry {
  readonly name: CatalogName;
  /** Primary purpose. */
  readonly role: Role;
  /** Dependency category. */
  readonly layer: Layer;
  /** What callers can rely on. */
  readonly contract: string;
  /** Lower-level legos this one needs. */
  readonly requires: readonly CatalogName[];
  /** Capabilities, properties or outputs it offers (seed concepts). */
  readonly provides: readonly ConceptName[];
  /** Data, signals, policies or events it consumes. */
  readonly inputs: readonly string[];
  /** Data, signals, state or events it emits. */
  readonly outputs: readonly string[];
  /** What it remembers, if anything. */
  readonly state: string;
  /** Behaviour across crash, retry, timeout, duplicate, partition or stale ownership. */
  readonly failure_semantics: string;
  /** Legos it commonly connects to. */
  readonly composition_rules: readonly CatalogName[];
  /** Its settings; for a component, exactly its constructor options. */
  readonly operational_knobs: readonly string[];
  /** Installer or ownership label; helpers without one inherit their assembler's. */
  readonly group?: string;
  /** A concept from the seed, or a component distsim implements. */
  readonly kind: "concept" | "component";
  /** For a composite: the parts it is declared to be made of (must equal `requires`). */
  readonly expansion?: readonly CatalogName[];
}

/** The thirteen schema fields, in the seed's order. */
export const SCHEMA_FIELDS = [
  "name",
  "role",
  "layer",
  "contract",
  "requires",
  "provides",
  "inputs",
  "outputs",
  "state",
  "failure_semantics",
  "composition_rules",
  "operational_knobs",
  "group",
] as const;

/**
 * `knobs<Options>()("a", "b")`: the operational knobs of a component, checked by the compiler
 * to be exactly the keys of its options type (a missing or extra knob fails to compile); a test
 * checks the same at run time against what the constructor reads.
 */
export function knobs<Options>() {
  return <const Names extends readonly (keyof Options & string)[]>(
    ...names: Names &
      ([Exclude<keyof Options & string, Names[number]>] extends [never]
        ? unknown
        : { missingKnobs: Exclude<keyof Options & string, Names[number]> })
  ): readonly string[] => names;
}
