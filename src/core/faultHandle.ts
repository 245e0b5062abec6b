/**
 * `FaultHandle`: what every fault in force looks like from outside, whatever made it (an
 * entity's `pause`, a `Network`'s `partition`, a `Disk`'s `fill`), so a fault schedule and a
 * model treat them alike: end any of them with `heal()`, find its trace records by `faultId`.
 * Each handle keeps its own fuller names too (`NodeFault.fault`, `NetworkFault.id`).
 */
export interface FaultHandle {
  /** Shared by the fault's trace records (`FaultRecord.faultId`, from `sim.nextFaultId()`). */
  readonly faultId: number;
  /** What it is, as in its trace records: "pause", "partition", "disk-full", ... */
  readonly kind: string;
  /** Names of the entities it applies to. */
  readonly targets: readonly string[];
  /** True until it ends. */
  readonly active: boolean;
  /** Ends it now; nothing if it has already ended. */
  heal(): void;
}
