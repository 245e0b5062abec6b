/**
 * CRDTs (conflict-free replicated data types): replicated values that every replica may
 * update without coordination and that converge once replicas have exchanged states, in any
 * order, with duplicates. Pure data structures, not entities: a model keeps one per node and
 * sends `toJSON()` states in its messages. docs/algorithms/crdt.md describes them.
 */

export { ConflictResolver, type Version } from "./conflictResolver.js";
export { GCounter, type GCounterState } from "./gCounter.js";
export { LWWRegister, type LWWRegisterState, type LWWWrite } from "./lwwRegister.js";
export { ORSet, type ORSetState } from "./orSet.js";
export { PNCounter, type PNCounterState } from "./pnCounter.js";
