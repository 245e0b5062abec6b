/**
 * FlexiblePaxosNode: what sizing the election quorum (Q1) and the write quorum (Q2) apart buys
 * and costs, on five nodes in two sites.
 *
 * Scenario: site A holds f1 and f2 (0.5 ms apart), site B holds f3, f4 and f5 (0.5 ms apart),
 * and the sites are 20 ms apart one way. Every node syncs its write-ahead log in 2 ms before it
 * answers. f1 leads (its election timeout is the shortest). One client next to f1 writes one
 * key after another (a put through the log, retried on another node after 100 ms without an
 * answer). At 2 s the leader f1 crashes and comes back 1 s later; a node that hears no
 * heartbeat for 0.3 to 0.6 s starts an election. Ten seeds per quorum pair.
 *
 *   1. Write latency is set by Q2: a write waits for the Q2-th fastest acceptance. With Q2 = 2
 *      the leader and f2 suffice, both in site A: about 5 ms. Any Q2 >= 3 needs site B, a
 *      40 ms round trip: about 45 ms, ten times as long, for the same durability rule.
 *   2. Recovery is set by Q1: a new leader needs Q1 promises. With Q1 <= 4 the four live nodes
 *      elect one within the election timeout (about half a second, the suspicion dominates).
 *      With Q1 = 5 (Q2 = 1) no election can succeed while f1 is down: writes stop until f1
 *      restarts and leads again, a whole second and more; and Q2 = 1 means a write is durable
 *      on the leader's disk alone.
 *
 * Columns: the quorums, how many nodes may be down for writes (N - Q2) and for an election
 * (N - Q1), the client's write latency before the crash (p50, p99 of the writes acknowledged
 * before it, over every seed), and the time from the crash to the client's next acknowledged
 * write (median and worst over seeds).
 *
 * Run: npx tsx --conditions=distsim-source examples/consensus/flexible-paxos.ts
 */
import {
  dist,
  Entity,
  FlexiblePaxosNode,
  type KVCommand,
  type KVResult,
  KVStateMachine,
  Network,
  NetworkLink,
  PaxosKVClient,
  Simulation,
} from "distsim";
import { formatTable, percentile } from "../support/table.js";

const NODES = ["f1", "f2", "f3", "f4", "f5"];
const SITE_A = new Set(["f1", "f2", "client"]);
const NEAR_S = 0.0005;
const FAR_S = 0.02;
const CRASH_AT_S = 2;
const DOWN_FOR_S = 1;
const RUN_FOR_S = 5;
const SEEDS = 10;
const QUORUMS: readonly (readonly [number, number])[] = [
  [3, 3],
  [4, 2],
  [2, 4],
  [5, 1],
];

interface Outcome {
  readonly latencies: number[];
  readonly recovery: number;
}

function run(seed: number, phase1Quorum: number, phase2Quorum: number): Outcome {
  const sim = new Simulation({ seed });
  const far = new NetworkLink(sim, "far", { latency: dist.constant(FAR_S) });
  const network = new Network(sim, "net", { defaultLink: far });
  const nodes = NODES.map(
    (name) =>
      new FlexiblePaxosNode<KVCommand<number>, KVResult<number>>(sim, name, {
        members: NODES,
        stateMachine: new KVStateMachine<number>(),
        phase1Quorum,
        phase2Quorum,
        // f1 suspects first and so leads from the start.
        electionTimeout: name === "f1" ? 0.1 : 0.3,
      }),
  );
  const client = new PaxosKVClient<number>(sim, "client", {
    nodes: NODES,
    attemptTimeout: 0.1,
    maxAttempts: 100,
  });
  // Every pair within a site gets its own near links; pairs across sites use the far default.
  const members: Entity<never, unknown>[] = [...nodes, client];
  let links = 0;
  for (const a of members) {
    for (const b of members) {
      if (a === b || SITE_A.has(a.name) !== SITE_A.has(b.name)) continue;
      network.addLink(
        a,
        b,
        new NetworkLink(sim, `near-${links++}`, { latency: dist.constant(NEAR_S) }),
      );
    }
  }
  const latencies: number[] = [];
  let recovery = Number.NaN;
  const writer = new Entity(sim, "writer");
  writer.start(function* () {
    yield 1; // the election
    for (let i = 0; writer.now < RUN_FOR_S; i++) {
      const started = writer.now;
      yield* client.put("k", i);
      if (writer.now < CRASH_AT_S) latencies.push(writer.now - started);
      else if (Number.isNaN(recovery)) recovery = writer.now - CRASH_AT_S;
      yield 0.01;
    }
  });
  sim.at(CRASH_AT_S, () => nodes[0]!.restart({ downtime: DOWN_FOR_S }));
  sim.run({ until: RUN_FOR_S });
  return { latencies, recovery };
}

const ms = (seconds: number) => `${(seconds * 1000).toFixed(1)} ms`;
const rows: string[][] = [];
const verdicts: [number, number, number, number][] = [];
for (const [q1, q2] of QUORUMS) {
  const latencies: number[] = [];
  const recoveries: number[] = [];
  for (let seed = 1; seed <= SEEDS; seed++) {
    const outcome = run(seed, q1, q2);
    latencies.push(...outcome.latencies);
    recoveries.push(outcome.recovery);
  }
  const p50 = percentile(latencies, 0.5);
  const recovery = percentile(recoveries, 0.5);
  verdicts.push([q1, q2, p50, recovery]);
  rows.push([
    `Q1=${q1} Q2=${q2}`,
    `${NODES.length - q2}`,
    `${NODES.length - q1}`,
    ms(p50),
    ms(percentile(latencies, 0.99)),
    ms(recovery),
    ms(Math.max(...recoveries)),
  ]);
}

console.log(
  `Five nodes, sites {f1, f2} and {f3, f4, f5} ${FAR_S * 1000} ms apart; leader f1 crashes at ${CRASH_AT_S} s for ${DOWN_FOR_S} s; ${SEEDS} seeds each.\n`,
);
console.log(
  formatTable(
    [
      "quorums",
      "writes survive",
      "elections survive",
      "write p50",
      "write p99",
      "recovery p50",
      "recovery max",
    ],
    rows,
  ),
);
// The verdict, from the numbers: the fastest writes among the pairs that recover about as fast
// as majorities do, against majorities and against the fastest pair of all.
const [majority] = verdicts;
const recoversLikeMajority = verdicts.filter((v) => v[3] <= majority![3] * 1.2);
const best = [...recoversLikeMajority].sort((a, b) => a[2] - b[2])[0]!;
const slowest = [...verdicts].sort((a, b) => b[3] - a[3])[0]!;
console.log(
  `\nVerdict: Q1=${best[0]} Q2=${best[1]} writes ${(majority![2] / best[2]).toFixed(1)}x faster than majorities (${ms(best[2])} vs ${ms(majority![2])}) and recovers about as fast (${ms(best[3])} vs ${ms(majority![3])}); Q1=${slowest[0]} Q2=${slowest[1]} cannot elect without the crashed leader (${ms(slowest[3])}).`,
);
