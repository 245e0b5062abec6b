/** The network family: links, the network (topology and partitions), condition presets. */

export * as conditions from "./conditions.js";
export { Network, type NetworkOptions } from "./network.js";
export { NetworkLink, type NetworkLinkOptions, type NetworkLinkStats } from "./networkLink.js";
