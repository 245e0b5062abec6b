/**
 * Bandwidth queueing: why a link is more than a latency number.
 *
 * Scenario: a service sends 20 responses at the same instant to one client across a
 * cross-region link (50 ms one way). Modelled as latency alone, every response arrives after
 * 50 ms whatever its size. A `NetworkLink` with 1 Gbit/s of bandwidth serialises them onto
 * the wire: each takes size x 8 / bandwidth to transmit and waits for the ones before it. For
 * small messages nothing changes; at a megabyte each the last response arrives 160 ms after
 * the latency-only model says it would, at 10 MB 1.6 s after: the difference between a
 * healthy timeout and a retry storm.
 *
 * Run: npx tsx --conditions=distsim-source examples/network/bandwidth-queueing.ts
 */
import { conditions, dist, Entity, type Message, Network, NetworkLink, Simulation } from "distsim";
import { formatTable } from "../support/table.js";

const SEED = 3;
const RESPONSES = 20;
const SIZES_BYTES = [1_000, 100_000, 1_000_000, 10_000_000];

class Client extends Entity<number> {
  readonly arrivals: number[] = [];
  override handle(_message: Message<number>) {
    this.arrivals.push(this.now);
  }
}

/** Time (ms) until the last of RESPONSES messages of `sizeBytes` arrives, sent together at t=0. */
function lastArrivalMs(sizeBytes: number, withBandwidth: boolean): string {
  const sim = new Simulation({ seed: SEED });
  const server = new Entity(sim, "server");
  const client = new Client(sim, "client");
  const options = withBandwidth
    ? { ...conditions.crossRegion(), jitter: undefined }
    : { latency: dist.constant(0.05) };
  const link = new NetworkLink(
    sim,
    "wan",
    withBandwidth ? { latency: options.latency, bandwidthBps: 1e9 } : options,
  );
  new Network(sim, "net", { defaultLink: link });
  for (let i = 0; i < RESPONSES; i++) server.send(client, "response", i, { sizeBytes });
  sim.run();
  return (Math.max(...client.arrivals) * 1000).toFixed(1);
}

const rows = SIZES_BYTES.map((size) => [
  size >= 1e6 ? `${size / 1e6} MB` : `${size / 1e3} kB`,
  lastArrivalMs(size, false),
  lastArrivalMs(size, true),
]);
console.log(
  `Bandwidth queueing: ${RESPONSES} responses sent at once over a 50 ms, 1 Gbit/s link (seed ${SEED})\n`,
);
console.log(
  formatTable(["response size", "last arrival, latency only (ms)", "with bandwidth (ms)"], rows),
);
