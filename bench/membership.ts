/**
 * Scale of `MembershipProtocol` (issue 19): a SWIM cluster of 100, 1,000 and 10,000 members
 * on a datacenter network runs 60 simulated seconds (probe every second, no faults). For each
 * size it prints the wall seconds, the events per wall second, and the heap bytes per member
 * (heap after a full GC with the cluster built and run, minus the heap before, over the
 * members): the engine's overhead per idle node, goal <= 1 KB.
 *
 * `npm run bench:membership` (node --expose-gc); `-- 100 1000` runs only those sizes.
 */
import { conditions, MembershipProtocol, Network, NetworkLink, Simulation } from "../src/index.js";

const SECONDS = 60;

function gc(): void {
  const collect = (globalThis as { gc?: () => void }).gc;
  if (collect === undefined)
    throw new Error("run with node --expose-gc (npm run bench:membership)");
  collect();
  collect();
}

function measure(members: number): void {
  gc();
  const before = process.memoryUsage().heapUsed;
  const sim = new Simulation({ seed: 1 });
  new Network(sim, "dc", { defaultLink: new NetworkLink(sim, "dc-link", conditions.datacenter()) });
  const swim = new MembershipProtocol(sim, "swim", { members, recordEvents: false });
  const started = performance.now();
  const summary = sim.run({ until: SECONDS });
  const wall = (performance.now() - started) / 1000;
  gc();
  const perMember = (process.memoryUsage().heapUsed - before) / members;
  const stats = swim.stats;
  console.log(
    [
      `members ${members}`.padEnd(15),
      `wall ${wall.toFixed(2)} s`.padEnd(14),
      `events ${summary.eventsProcessed}`.padEnd(18),
      `events/s ${Math.round(summary.eventsProcessed / wall)}`.padEnd(18),
      `heap/member ${Math.round(perMember)} B`.padEnd(20),
      `probes ${stats.probesSent} suspicions ${stats.suspicions}`,
    ].join(" "),
  );
  // Keep the cluster alive until measured.
  if (swim.members.length !== members) throw new Error("lost members");
}

const sizes = process.argv.slice(2).map(Number);
for (const members of sizes.length > 0 ? sizes : [100, 1_000, 10_000]) measure(members);
