/**
 * `Catalog`: the registry of entries, with whole-graph validation and queries.
 *
 * Validation never throws: `validate()` returns every problem found, each naming the entry and
 * the field, so a test (or `distsim catalog check`) can show them all at once.
 */
import { type CatalogEntry, SCHEMA_FIELDS } from "./entry.js";
import { type ConceptName, LAYERS, type Layer, ROLES, type Role } from "./vocabulary.js";

export interface CatalogProblem {
  readonly entry: string;
  readonly field: string;
  readonly message: string;
}

export class Catalog {
  private readonly byName = new Map<string, CatalogEntry>();
  private readonly duplicates: string[] = [];
  private readonly groups = new Map<string, string>();

  constructor(readonly entries: readonly CatalogEntry[]) {
    for (const entry of entries) {
      if (this.byName.has(entry.name)) this.duplicates.push(entry.name);
      else this.byName.set(entry.name, entry);
    }
    this.propagateGroups();
  }

  get(name: string): CatalogEntry | undefined {
    return this.byName.get(name);
  }

  /**
   * The entry named `name` in any case ("server" finds Server), when exactly one matches so;
   * the exact name first.
   */
  find(name: string): CatalogEntry | undefined {
    const exact = this.byName.get(name);
    if (exact !== undefined) return exact;
    const wanted = name.toLowerCase();
    const matches = this.entries.filter((e) => e.name.toLowerCase() === wanted);
    return matches.length === 1 ? matches[0] : undefined;
  }

  /** Every group an entry belongs to (its own or inherited), sorted. */
  groupNames(): string[] {
    return [...new Set(this.groups.values())].sort();
  }

  has(name: string): boolean {
    return this.byName.has(name);
  }

  /**
   * The entry's group: its own, or (as the seed describes) the group of the first assembler,
   * in registration order, that requires it directly or through helpers without a group.
   */
  groupOf(name: string): string | undefined {
    return this.groups.get(name);
  }

  byLayer(layer: Layer): CatalogEntry[] {
    return this.entries.filter((e) => e.layer === layer);
  }

  byRole(role: Role): CatalogEntry[] {
    return this.entries.filter((e) => e.role === role);
  }

  byGroup(group: string): CatalogEntry[] {
    return this.entries.filter((e) => this.groups.get(e.name) === group);
  }

  /** Entries that list `name` in `provides`. */
  providersOf(name: ConceptName): CatalogEntry[] {
    return this.entries.filter((e) => e.provides.includes(name));
  }

  /** What `name` requires, directly or (by default) transitively, nearest first. */
  dependenciesOf(name: string, transitive = true): string[] {
    return this.walk(name, (n) => this.byName.get(n)?.requires ?? [], transitive);
  }

  /** What requires `name`, directly or (by default) transitively, nearest first. */
  dependentsOf(name: string, transitive = true): string[] {
    return this.walk(
      name,
      (n) => this.entries.filter((e) => e.requires.includes(n)).map((e) => e.name),
      transitive,
    );
  }

  /** The shortest chain of `requires` from `from` to `to` (both included), or null. */
  path(from: string, to: string): string[] | null {
    const previous = new Map<string, string | null>([[from, null]]);
    const queue = [from];
    while (queue.length > 0) {
      const current = queue.shift()!;
      if (current === to) {
        const chain: string[] = [];
        for (let at: string | null = to; at !== null; at = previous.get(at) ?? null)
          chain.unshift(at);
        return chain;
      }
      for (const next of this.byName.get(current)?.requires ?? []) {
        if (!previous.has(next)) {
          previous.set(next, current);
          queue.push(next);
        }
      }
    }
    return null;
  }

  /**
   * Every problem in the catalog: duplicates, missing fields, unknown layers, roles and names,
   * cycles, composites whose expansion is not their `requires`, and, given the names of the
   * components the package exports, components without an entry and entries without one.
   */
  validate(exportedComponents?: readonly string[]): CatalogProblem[] {
    const problems: CatalogProblem[] = [];
    const report = (entry: string, field: string, message: string) =>
      problems.push({ entry, field, message });
    for (const name of this.duplicates) report(name, "name", "is defined more than once");
    for (const entry of this.entries) {
      for (const field of SCHEMA_FIELDS) {
        if (
          field !== "group" &&
          (entry as unknown as Record<string, unknown>)[field] === undefined
        ) {
          report(entry.name, field, "is missing");
        }
      }
      if (!LAYERS.includes(entry.layer))
        report(entry.name, "layer", `"${entry.layer}" is not a layer (${LAYERS.join(", ")})`);
      if (!ROLES.includes(entry.role)) report(entry.name, "role", `"${entry.role}" is not a role`);
      for (const field of ["requires", "provides", "composition_rules", "expansion"] as const) {
        for (const name of entry[field] ?? []) {
          if (!this.byName.has(name)) report(entry.name, field, `names unknown entry "${name}"`);
        }
      }
      if (entry.expansion !== undefined) {
        const declared = [...entry.expansion].sort().join(" + ");
        const required = [...entry.requires].sort().join(" + ");
        if (declared !== required) {
          report(entry.name, "expansion", `declares ${declared} but requires ${required}`);
        }
      }
    }
    for (const cycle of this.cycles())
      report(cycle[0]!, "requires", `is part of a cycle: ${cycle.join(" -> ")}`);
    if (exportedComponents !== undefined) {
      for (const name of exportedComponents) {
        if (this.byName.get(name)?.kind !== "component")
          report(name, "name", "is an exported component with no catalog entry");
      }
      for (const entry of this.entries) {
        if (entry.kind === "component" && !exportedComponents.includes(entry.name)) {
          report(entry.name, "kind", "is a component entry with no exported component");
        }
      }
    }
    return problems;
  }

  /** Cycles in `requires`, each as a path that returns to its start. */
  private cycles(): string[][] {
    const found: string[][] = [];
    const state = new Map<string, "visiting" | "done">();
    const stack: string[] = [];
    const visit = (name: string) => {
      state.set(name, "visiting");
      stack.push(name);
      for (const next of this.byName.get(name)?.requires ?? []) {
        if (state.get(next) === "visiting") found.push([...stack.slice(stack.indexOf(next)), next]);
        else if (!state.has(next) && this.byName.has(next)) visit(next);
      }
      stack.pop();
      state.set(name, "done");
    };
    for (const entry of this.entries) if (!state.has(entry.name)) visit(entry.name);
    return found;
  }

  private walk(
    start: string,
    next: (name: string) => readonly string[],
    transitive: boolean,
  ): string[] {
    const seen = new Set<string>([start]);
    const order: string[] = [];
    let frontier = [start];
    while (frontier.length > 0) {
      const following: string[] = [];
      for (const name of frontier) {
        for (const n of next(name)) {
          if (!seen.has(n)) {
            seen.add(n);
            order.push(n);
            following.push(n);
          }
        }
      }
      if (!transitive) break;
      frontier = following;
    }
    return order;
  }

  private propagateGroups(): void {
    for (const entry of this.entries) {
      if (entry.group === undefined) continue;
      if (!this.groups.has(entry.name)) this.groups.set(entry.name, entry.group);
      const queue = [...entry.requires];
      while (queue.length > 0) {
        const name = queue.shift()!;
        const helper = this.byName.get(name);
        if (helper === undefined || this.groups.has(name) || helper.group !== undefined) continue;
        this.groups.set(name, entry.group);
        queue.push(...helper.requires);
      }
    }
  }
}
