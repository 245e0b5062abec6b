/**
 * A client and a server under a random partition schedule: what got through, and which way.
 *
 * Scenario: users send 10 requests/s through a `Client` (500 ms timeout per attempt, up to 4
 * attempts with exponential backoff) to a `Server` across a datacenter network, for two
 * minutes. A nemesis drawn from the seed partitions them now and then (on average every 20 s,
 * for 4 s on average). The same schedule runs four times, with a different cut each time:
 * both ways, requests only (client -> server), replies only (server -> client), or a shape
 * drawn per partition.
 *
 * What it shows: to the client, a cut that drops only the replies looks exactly like one that
 * drops everything: the same timeouts, the same retries, the same requests given up. To the
 * server it is nothing alike: it served every attempt, retries included, and nobody saw the
 * answers. A request the client counts as failed may well have been applied, more than once:
 * retries need idempotent requests, and "it timed out" never means "it did not happen".
 * Each partition is a fault handle that heals itself (`for`); its trace records give the
 * timeline below, with what each one dropped.
 *
 * Run: npx tsx --conditions=distsim-source examples/network/partition-retries.ts
 */
import {
  arrivals,
  Client,
  conditions,
  dist,
  type FaultRecord,
  Network,
  NetworkLink,
  retry,
  Server,
  Simulation,
  Source,
} from "distsim";
import { formatTable } from "../support/table.js";

const SEED = 11;
const RATE_PER_S = 10;
const TIMEOUT_S = 0.5;
const RUN_FOR_S = 120;
const MEAN_BETWEEN_PARTITIONS_S = 20;
const MEAN_PARTITION_S = 4;

type Cut = "both ways" | "requests only" | "replies only" | "drawn per partition";
const SHAPES: readonly Cut[] = ["both ways", "requests only", "replies only"];

interface Outcome {
  ok: number;
  failed: number;
  attempts: number;
  reachedServer: number;
  servedUnseen: number;
  dropped: number;
  timeline: string[][];
}

function run(cut: Cut): Outcome {
  const sim = new Simulation({ seed: SEED });
  const net = new Network(sim, "net", {
    defaultLink: new NetworkLink(sim, "lan", conditions.datacenter()),
  });
  const server = new Server<number, number>(sim, "server", {
    concurrency: 8,
    serviceTime: dist.constant(0.005),
  });
  const client = new Client<number, number>(sim, "client", {
    target: server,
    timeout: TIMEOUT_S,
    retryPolicy: retry.exponentialBackoff({ maxAttempts: 4, initial: 0.5, jitter: "full" }),
  });
  new Source(sim, "users", {
    target: client,
    arrivals: arrivals.constant(RATE_PER_S),
    stopAfter: { time: RUN_FOR_S },
  });

  // The nemesis: when and how long, from one stream (the same in every run); which way, from
  // another, so drawing shapes does not move the schedule.
  const when = sim.random("nemesis");
  const shapes = sim.random("nemesis-shape");
  for (let at = when.exponential(MEAN_BETWEEN_PARTITIONS_S); at < RUN_FOR_S; ) {
    const lasts = when.exponential(MEAN_PARTITION_S);
    const shape = cut === "drawn per partition" ? shapes.pick(SHAPES) : cut;
    sim.at(at, () => {
      if (shape === "both ways") net.partition([client], [server], { for: lasts });
      else if (shape === "requests only") net.partitionOneWay([client], [server], { for: lasts });
      else net.partitionOneWay([server], [client], { for: lasts });
    });
    at += lasts + when.exponential(MEAN_BETWEEN_PARTITIONS_S);
  }

  const started = new Map<number, FaultRecord>();
  const timeline: string[][] = [];
  sim.onTrace((record) => {
    if (record.type !== "fault") return;
    if (record.phase === "activated") started.set(record.faultId, record);
    else {
      const start = started.get(record.faultId)!;
      timeline.push([
        `${(start.timeNs / 1e9).toFixed(1)}s`,
        `${((record.timeNs - start.timeNs) / 1e9).toFixed(1)}s`,
        start.detail,
        record.detail,
      ]);
    }
  });
  sim.run();
  const c = client.stats;
  const s = server.stats;
  return {
    ok: c.succeeded,
    failed: c.gaveUp,
    attempts: c.forwarded,
    reachedServer: s.requests,
    servedUnseen: s.completed - c.succeeded,
    dropped: net.messagesDroppedByPartition,
    timeline,
  };
}

const cuts: readonly Cut[] = [...SHAPES, "drawn per partition"];
const outcomes = cuts.map(run);
console.log(
  `Partition schedule: ${RATE_PER_S} requests/s for ${RUN_FOR_S}s, ${TIMEOUT_S * 1000} ms timeout, ` +
    `4 attempts with backoff; a partition every ~${MEAN_BETWEEN_PARTITIONS_S}s for ~${MEAN_PARTITION_S}s (seed ${SEED})\n`,
);
console.log("The schedule with a shape drawn per partition:\n");
console.log(formatTable(["from", "lasted", "partition", "on heal"], outcomes[3]!.timeline));
console.log();
console.log(
  formatTable(
    ["cut", "ok", "gave up", "attempts", "reached server", "served, answer unseen", "dropped"],
    outcomes.map((o, i) => [
      cuts[i]!,
      String(o.ok),
      String(o.failed),
      String(o.attempts),
      String(o.reachedServer),
      String(o.servedUnseen),
      String(o.dropped),
    ]),
  ),
);
const [both, , replies] = outcomes;
console.log(
  `\nCutting only the replies, the client saw ${replies!.failed} requests fail (${both!.failed} with ` +
    `both ways cut), yet the server served ${replies!.servedUnseen} attempts whose answers never ` +
    `arrived: a timeout does not mean the request was not applied.`,
);
