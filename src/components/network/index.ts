/** The network family: links, the network (topology and faults), fault handles, condition presets. */

import type { CataloguedComponent } from "../../catalog/entry.js";
import { Network } from "./network.js";
import { NetworkLink } from "./networkLink.js";

export * as conditions from "./conditions.js";
export {
  type BandwidthFaultOptions,
  type ClogOptions,
  type DuplicationFaultOptions,
  type IsolateOptions,
  type LatencyFaultOptions,
  type LossFaultOptions,
  Network,
  type NetworkFaultStats,
  type NetworkOptions,
  type RandomPartitionOptions,
  type ReorderingFaultOptions,
  type SwizzleClogOptions,
} from "./network.js";
export {
  NetworkFault,
  type NetworkFaultCounts,
  type NetworkFaultKind,
  type NetworkFaultScope,
  type NetworkFaultTiming,
} from "./networkFault.js";
export { NetworkLink, type NetworkLinkOptions, type NetworkLinkStats } from "./networkLink.js";
export { SwizzleClog } from "./swizzleClog.js";

/** This family's component classes, in catalog order (src/components/index.ts gathers them). */
export const NETWORK_COMPONENTS = [
  NetworkLink,
  Network,
] as const satisfies readonly CataloguedComponent[];
