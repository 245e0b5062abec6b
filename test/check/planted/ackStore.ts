/**
 * Planted bug: a primary that acknowledges a write before replicating it (the store of
 * examples/checkers/ack-before-replicate.ts, shared through examples/support/). The primary
 * batches writes and ships them to the backup every 20 ms, but tells the client "ok" at once;
 * a primary that crashes with a batch unsent loses writes its clients were told succeeded (and
 * a batch sent while the backup is down is lost too). The backup's log survives crashes and is
 * the truth at the end: `AcknowledgedWrites` compares it with every acknowledged write.
 * The correct twin replicates first (a call to the backup) and acknowledges after. Here the
 * nemesis crashes the backup too, with a larger workload than the example's.
 */
import { ACK_INVARIANT, ackStore as store } from "../../../examples/support/ackBeforeReplicate.js";
import { randomFaultSchedule } from "../../../src/index.js";
import type { PlantedModel } from "./support.js";

export { ACK_INVARIANT };

export function ackStore(correct: boolean): PlantedModel {
  return {
    ...store(correct, { clients: 3, operations: 10 }),
    invariant: ACK_INVARIANT,
    safety: 4,
    faults: (seed) =>
      randomFaultSchedule({
        seed,
        horizon: 2,
        classes: [
          {
            targets: ["primary", "backup"],
            timeBetweenFailures: 1,
            timeToRepair: 0.2,
            maxConcurrent: 1,
          },
        ],
      }),
  };
}
