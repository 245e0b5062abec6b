/**
 * The load family: components that drive a model (`Source`, open loop; `ClosedLoopClients`,
 * closed loop), with the workload generators they take (the `arrivals` and `keys` namespaces,
 * from src/load/, which are plain generators, not entities).
 */

import type { CataloguedComponent } from "../../catalog/entry.js";
import { ClosedLoopClients } from "./closedLoopClients.js";
import { Source } from "./source.js";

export type { ArrivalProcess } from "../../load/arrivals.js";
export * as arrivals from "../../load/arrivals.js";
export type { KeyGenerator } from "../../load/keys.js";
export * as keys from "../../load/keys.js";
export { ClosedLoopClients, type ClosedLoopOptions } from "./closedLoopClients.js";
export { Source, type SourceOptions } from "./source.js";

/** This family's component classes, in catalog order (src/components/index.ts gathers them). */
export const LOAD_COMPONENTS = [
  Source,
  ClosedLoopClients,
] as const satisfies readonly CataloguedComponent[];
