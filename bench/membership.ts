/**
 * Scale of `MembershipProtocol` (issue 19): a SWIM cluster of 100, 1,000 and 10,000 members
 * on a datacenter network runs 60 simulated seconds (probe every second, no faults). For each
 * size it prints the wall seconds, the events per wall second, and the heap bytes per member:
 * the heap a cluster holds after a full GC (built and run, still alive), minus what a cluster of
 * one holds (the simulation, network and protocol, paid once), over the other members: the
 * engine's overhead per idle node, goal <= 1 KB. Numbers: docs/components/membership.md.
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

interface Run {
  readonly heapBytes: number;
  readonly wall: number;
  readonly events: number;
  readonly probes: number;
  readonly suspicions: number;
}

/** A cluster of `members` run for SECONDS; the heap it holds after a full GC, still alive. */
function runCluster(members: number): Run {
  gc();
  const before = process.memoryUsage().heapUsed;
  const sim = new Simulation({ seed: 1 });
  new Network(sim, "dc", { defaultLink: new NetworkLink(sim, "dc-link", conditions.datacenter()) });
  const swim = new MembershipProtocol(sim, "swim", { members, recordEvents: false });
  const started = performance.now();
  const summary = sim.run({ until: SECONDS });
  const wall = (performance.now() - started) / 1000;
  gc();
  const heapBytes = process.memoryUsage().heapUsed - before;
  // The cluster is still referenced here, so the GC above could not take it.
  if (swim.members.length !== members) throw new Error("lost members");
  return {
    heapBytes,
    wall,
    events: summary.eventsProcessed,
    probes: swim.stats.probesSent,
    suspicions: swim.stats.suspicions,
  };
}

function measure(members: number, baseline: Run): void {
  const run = runCluster(members);
  const perMember = (run.heapBytes - baseline.heapBytes) / (members - 1);
  console.log(
    [
      `members ${members}`.padEnd(15),
      `wall ${run.wall.toFixed(2)} s`.padEnd(14),
      `events ${run.events}`.padEnd(18),
      `events/s ${Math.round(run.events / run.wall)}`.padEnd(18),
      `heap/member ${Math.round(perMember)} B`.padEnd(20),
      `probes ${run.probes} suspicions ${run.suspicions}`,
    ].join(" "),
  );
}

const sizes = process.argv.slice(2).map(Number);
runCluster(100); // warm the code up, so the baseline does not count compiled code
const baseline = runCluster(1);
for (const members of sizes.length > 0 ? sizes : [100, 1_000, 10_000]) measure(members, baseline);
