/**
 * Checkers: a store that acknowledges writes before replicating them, caught by exploring
 * seeds under random crashes, and shrunk to the smallest run that still loses a write.
 *
 * Scenario (the store is in ../support/ackBeforeReplicate.ts, which the checkers' own tests
 * explore too): a primary and a backup. Clients put values under key "x" through the primary
 * (retrying on timeouts). The buggy primary answers "ok" at once and ships writes to the
 * backup in batches every 20 ms; the correct one calls the backup first and answers after.
 * The backup's log survives crashes and is the truth at the end: `AcknowledgedWrites`, fed
 * every acknowledged write, compares it with the backup's log once the clients are done.
 * Random crashes of the primary (about one a second, 0.2 s each) are drawn from each seed.
 *
 * `explore` runs 100 seeds of the buggy store and reports the failing ones. `shrink` takes
 * the first and reduces it (fewer faults, shorter and earlier, fewer clients and writes, a
 * shorter run) while the same invariant still fails first; the result prints as a JSON
 * scenario and as a vitest test that replays it. The correct store passes 1,000 seeds.
 *
 * Run: npx tsx --conditions=distsim-source examples/checkers/ack-before-replicate.ts
 */
import {
  explore,
  formatShrink,
  formatViolation,
  randomFaultSchedule,
  replay,
  scenarioJson,
  scenarioTestSource,
  shrink,
} from "distsim";
import { ackStore } from "../support/ackBeforeReplicate.js";

const SAFETY_S = 3;
/** The store (in ../support/ackBeforeReplicate.ts): `replicateFirst` false plants the bug. */
const store = (replicateFirst: boolean) => ackStore(replicateFirst, { clients: 2, operations: 8 });

const faults = (seed: number) =>
  randomFaultSchedule({
    seed,
    horizon: 1.5,
    classes: [{ targets: ["primary"], timeBetweenFailures: 1, timeToRepair: 0.2 }],
  });

const buggy = store(false);
const found = explore({ ...buggy, seeds: 100, faults, safety: SAFETY_S });
console.log(`Acknowledge, then replicate: ${found.runs} seeds, ${found.failed} failed`);
for (const [name, seeds] of found.byInvariant) console.log(`  ${name}: ${seeds.length} seeds`);

const first = found.failures[0]!;
console.log(`\nFirst failing seed: ${first.seed}`);
console.log(`  ${formatViolation(first.violation)}`);
const scenario = { seed: first.seed, params: {}, faults: faults(first.seed), until: SAFETY_S };
console.log(`  ${scenario.faults.faults.length} faults, 2 clients x 8 writes, ${SAFETY_S}s`);

const result = shrink(buggy, scenario);
console.log(`\nShrinking seed ${first.seed}:`);
console.log(formatShrink(result));
console.log("Smallest reproduction:");
console.log(scenarioJson(result.scenario));
console.log(`  ${formatViolation(replay(buggy, result.scenario).violation!)}`);
console.log("\nAs a test to paste beside the model:\n");
console.log(
  scenarioTestSource(result.scenario, result.violation.name, {
    importModel: 'import { store } from "./store.js";',
    model: "store(false)",
  }),
);

const fixed = explore({ ...store(true), seeds: 1000, faults, safety: SAFETY_S });
console.log(`Replicate, then acknowledge: ${fixed.runs} seeds, ${fixed.failed} failed`);
