/**
 * Network condition presets: `new NetworkLink(sim, "wan", conditions.crossRegion())`. Each
 * returns link options, so any field can be overridden with a spread. Figures are typical
 * one-way values, not measurements of any particular network.
 */

import { constant, exponential } from "../../random/distributions/closedForm.js";
import type { Param } from "../../random/profile.js";
import { requireSeconds } from "../shared/validate.js";
import type { NetworkLinkOptions } from "./networkLink.js";

/** Same host or rack: 0.1 ms, 1 Gbit/s. */
export function local(): NetworkLinkOptions {
  return { latency: constant(0.0001), bandwidthBps: 1e9 };
}

/** Within a datacenter: 0.5 ms plus ~50 us exponential jitter, 10 Gbit/s. */
export function datacenter(): NetworkLinkOptions {
  return { latency: constant(0.0005), jitter: exponential(0.00005), bandwidthBps: 10e9 };
}

/** Between regions: 50 ms plus ~2 ms jitter, 1 Gbit/s. */
export function crossRegion(): NetworkLinkOptions {
  return { latency: constant(0.05), jitter: exponential(0.002), bandwidthBps: 1e9 };
}

/** Over the public internet: 100 ms plus ~10 ms jitter, 100 Mbit/s, 0.1% loss. */
export function internet(): NetworkLinkOptions {
  return {
    latency: constant(0.1),
    jitter: exponential(0.01),
    bandwidthBps: 100e6,
    lossProbability: 0.001,
  };
}

/** Geostationary satellite: 600 ms plus ~20 ms jitter, 10 Mbit/s, 0.5% loss. */
export function satellite(): NetworkLinkOptions {
  return {
    latency: constant(0.6),
    jitter: exponential(0.02),
    bandwidthBps: 10e6,
    lossProbability: 0.005,
  };
}

/** A datacenter link that loses `lossProbability` of messages. */
export function lossy(lossProbability: number): NetworkLinkOptions {
  return { ...datacenter(), lossProbability };
}

/** A 4G mobile link: 50 ms plus ~10 ms jitter, 20 Mbit/s, 0.1% loss. */
export function mobile4g(): NetworkLinkOptions {
  return {
    latency: constant(0.05),
    jitter: exponential(0.01),
    bandwidthBps: 20e6,
    lossProbability: 0.001,
  };
}

/** A 3G mobile link: 100 ms plus ~20 ms jitter, 2 Mbit/s, 0.5% loss. */
export function mobile3g(): NetworkLinkOptions {
  return {
    latency: constant(0.1),
    jitter: exponential(0.02),
    bandwidthBps: 2e6,
    lossProbability: 0.005,
  };
}

/**
 * A congested or throttled link you size yourself: a fixed `latency` in seconds and a
 * bandwidth in bits per second (a number or a profile, e.g. a link that degrades at noon).
 */
export function slow(options: { latency: number; bandwidthBps: Param }): NetworkLinkOptions {
  const latency = requireSeconds("conditions.slow", "latency", options?.latency, true);
  return { latency: constant(latency), bandwidthBps: options.bandwidthBps };
}
