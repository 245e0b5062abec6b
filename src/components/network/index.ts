/** The network family: links, the network (topology and partitions), condition presets. */

import type { CataloguedComponent } from "../../catalog/entry.js";
import { Network } from "./network.js";
import { NetworkLink } from "./networkLink.js";

export * as conditions from "./conditions.js";
export { Network, type NetworkOptions } from "./network.js";
export { NetworkLink, type NetworkLinkOptions, type NetworkLinkStats } from "./networkLink.js";

/** This family's component classes, in catalog order (src/components/index.ts gathers them). */
export const NETWORK_COMPONENTS = [
  NetworkLink,
  Network,
] as const satisfies readonly CataloguedComponent[];
