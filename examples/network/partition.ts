/**
 * A network partition, as a client sees it: not an error, just silence.
 *
 * Scenario: a client calls a server every 100 ms with a 500 ms timeout across a datacenter
 * network. From t = 10 s to t = 20 s the network partitions the two. Nothing fails loudly:
 * requests and replies are dropped in flight, and the client only learns through its timeouts,
 * half a second late each time. After the heal the very next call succeeds: nothing was
 * queued, nothing is redelivered.
 *
 * Run: npx tsx examples/network/partition.ts
 */
import {
  conditions,
  Entity,
  type Message,
  Network,
  NetworkLink,
  Simulation,
  TimeoutError,
} from "../../src/index.js";
import { formatTable } from "../support/table.js";

const SEED = 8;
const CALL_EVERY_S = 0.1;
const TIMEOUT_S = 0.5;
const PARTITION_FROM_S = 10;
const PARTITION_UNTIL_S = 20;
const RUN_FOR_S = 30;
const WINDOW_S = 5;

class Server extends Entity<number, number> {
  override handle(request: Message<number>) {
    this.reply(request, request.payload);
  }
}

class Client extends Entity {
  readonly outcomes: { at: number; ok: boolean }[] = [];
  constructor(
    sim: Simulation,
    private readonly server: Server,
  ) {
    super(sim, "client");
    this.start(this.loop);
  }
  private *loop() {
    for (let i = 0; this.now < RUN_FOR_S; i++) {
      this.start(this.callOnce(i));
      yield CALL_EVERY_S;
    }
  }
  private *callOnce(i: number) {
    const at = this.now;
    try {
      yield* this.call(this.server, "get", i, { timeout: TIMEOUT_S });
      this.outcomes.push({ at, ok: true });
    } catch (error) {
      if (!(error instanceof TimeoutError)) throw error;
      this.outcomes.push({ at, ok: false });
    }
  }
}

const sim = new Simulation({ seed: SEED });
const net = new Network(sim, "net", {
  defaultLink: new NetworkLink(sim, "lan", conditions.datacenter()),
});
const server = new Server(sim, "server");
const client = new Client(sim, server);
sim.at(PARTITION_FROM_S, () => net.partition([client], [server]));
sim.at(PARTITION_UNTIL_S, () => net.heal());
sim.run();

const rows: string[][] = [];
for (let start = 0; start < RUN_FOR_S; start += WINDOW_S) {
  const inWindow = client.outcomes.filter((o) => o.at >= start && o.at < start + WINDOW_S);
  const partitioned = start >= PARTITION_FROM_S && start < PARTITION_UNTIL_S;
  rows.push([
    `${start}-${start + WINDOW_S}s`,
    partitioned ? "partitioned" : "healthy",
    String(inWindow.length),
    String(inWindow.filter((o) => o.ok).length),
    String(inWindow.filter((o) => !o.ok).length),
  ]);
}
console.log(
  `Partition: a call every ${CALL_EVERY_S * 1000} ms, timeout ${TIMEOUT_S * 1000} ms; ` +
    `partitioned from ${PARTITION_FROM_S}s to ${PARTITION_UNTIL_S}s (seed ${SEED})\n`,
);
console.log(formatTable(["calls made in", "network", "calls", "answered", "timed out"], rows));
console.log(`\nMessages dropped by the partition: ${net.messagesDroppedByPartition}.`);
