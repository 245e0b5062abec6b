/**
 * The measure family: entities that observe a model (`Probe` samples any value on a grid,
 * `Sink` records end-to-end latency from each message's chain origin). The metric primitives
 * they are built from live in src/metrics/.
 */

import type { CataloguedComponent } from "../../catalog/entry.js";
import { Probe } from "./probe.js";
import { Sink } from "./sink.js";

export { Probe, type ProbeOptions } from "./probe.js";
export { Sink, type SinkOptions, type SinkStats } from "./sink.js";

/** This family's component classes, in catalog order (src/components/index.ts gathers them). */
export const MEASURE_COMPONENTS = [Probe, Sink] as const satisfies readonly CataloguedComponent[];
