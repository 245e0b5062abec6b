/**
 * Entries for every concept the seed names, built from its families (layer, role), its
 * dependency graph (requires) and its composite expansions, so the whole graph is present and
 * queryable before any of it is implemented.
 */
import type { CatalogEntry } from "./entry.js";
import {
  SEED_COMPOSITION_RULES,
  SEED_EDGES,
  SEED_EXPANSIONS,
  SEED_PLACEMENT,
} from "./seedGraph.js";
import { type ConceptName, FAMILIES, type Layer, type Role } from "./vocabulary.js";

export function conceptEntries(): CatalogEntry[] {
  const placement = new Map<ConceptName, { layer: Layer; role: Role; family: string }>();
  for (const { family, names, layer, role } of FAMILIES) {
    for (const name of names)
      if (!placement.has(name)) placement.set(name, { layer, role, family });
  }
  const requires = new Map<ConceptName, ConceptName[]>();
  for (const [from, to] of SEED_EDGES) {
    const list = requires.get(from) ?? [];
    if (!list.includes(to)) list.push(to);
    requires.set(from, list);
  }
  for (const [name, parts] of Object.entries(SEED_EXPANSIONS) as [ConceptName, ConceptName[]][]) {
    // A composite requires exactly its parts; the graph's edges are a subset of them.
    requires.set(name, [...parts]);
  }
  return [...placement].map(([name, where]) => {
    const corrected = SEED_PLACEMENT[name];
    const expansion = SEED_EXPANSIONS[name];
    return {
      name,
      kind: "concept",
      role: corrected?.role ?? where.role,
      layer: corrected?.layer ?? where.layer,
      contract: `${name}: a ${where.family.toLowerCase()} concept from the Lego catalog seed (not implemented as a distsim component yet).`,
      requires: requires.get(name) ?? [],
      provides: [],
      inputs: [],
      outputs: [],
      state: "",
      failure_semantics: "",
      composition_rules: SEED_COMPOSITION_RULES[name] ?? [],
      operational_knobs: [],
      ...(expansion === undefined ? {} : { expansion }),
    };
  });
}
