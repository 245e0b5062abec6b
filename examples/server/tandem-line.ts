/**
 * Tandem line: servers in a row, with `next`, checked against Jackson's theorem.
 *
 * Scenario: an order pipeline of three stations, each one worker with exponential service:
 * validate (mean 80 ms), price (mean 100 ms), pack (mean 60 ms). Orders arrive as a Poisson
 * stream of 8 per second. Each station hands a finished order on to the next one (`next`) and
 * takes its next order at once; the customer's answer is the last station's, passed back, so
 * it arrives when the whole line is done. No hand-written relay.
 *
 *   order -> [validate] -> [price] -> [pack] -> answer to the customer
 *
 * Jackson's theorem: with Poisson arrivals and exponential service, each station behaves as
 * an M/M/1 queue of its own, so its mean sojourn (wait + service) is 1 / (mu - lambda), and a
 * customer's mean time through the line is the sum. The slowest station (price, rho = 0.8)
 * holds most of it.
 *
 * Columns: per station, its utilization (measured and rho = lambda / mu), its mean sojourn
 * (measured and 1 / (mu - lambda)), and its p99 sojourn; the last row is the whole line, as
 * the customers measured it. Statistics after a 100 s warm-up (`sim.resetStats()`).
 *
 * Run: npx tsx --conditions=distsim-source examples/server/tandem-line.ts
 */
import { arrivals, Client, dist, Server, Simulation, Source } from "distsim";
import { formatTable } from "../support/table.js";

const SEED = 11;
const ORDERS_PER_S = 8;
const STATIONS = [
  { name: "validate", meanS: 0.08 },
  { name: "price", meanS: 0.1 },
  { name: "pack", meanS: 0.06 },
];
const WARM_UP_S = 100;
const RUN_FOR_S = 2100;

const sim = new Simulation({ seed: SEED });
// Built from the last station back, so each can name its next.
let next: Server<number, number> | undefined;
const servers: Server<number, number>[] = [];
for (const station of [...STATIONS].reverse()) {
  next = new Server<number, number>(sim, station.name, {
    serviceTime: dist.exponential(station.meanS),
    ...(next === undefined ? {} : { next }),
  });
  servers.unshift(next);
}
const customers = new Client<number, number>(sim, "customers", { target: servers[0]! });
new Source(sim, "orders", { target: customers, arrivals: arrivals.poisson(ORDERS_PER_S) });
sim.run({ until: WARM_UP_S });
sim.resetStats();
sim.run({ until: RUN_FOR_S });

const ms = (seconds: number) => (seconds * 1000).toFixed(1);
let theoryTotal = 0;
const rows = servers.map((server, i) => {
  const mu = 1 / STATIONS[i]!.meanS;
  const theory = 1 / (mu - ORDERS_PER_S);
  theoryTotal += theory;
  const s = server.stats;
  return [
    server.name,
    s.utilization.toFixed(3),
    (ORDERS_PER_S / mu).toFixed(3),
    ms(s.meanSojourn),
    ms(theory),
    ms(server.sojournTime.p99),
  ];
});
const c = customers.stats;
rows.push(["whole line", "", "", ms(c.meanLatency), ms(theoryTotal), ms(customers.latency.p99)]);

console.log(
  `Tandem line: ${ORDERS_PER_S} orders/s through ${STATIONS.map((s) => s.name).join(" -> ")} ` +
    `(one worker each, exponential service); ${RUN_FOR_S - WARM_UP_S} s after a ${WARM_UP_S} s warm-up (seed ${SEED})\n`,
);
console.log(
  formatTable(
    [
      "station",
      "utilization",
      "rho",
      "mean sojourn (ms)",
      "1/(mu-lambda) (ms)",
      "p99 sojourn (ms)",
    ],
    rows,
  ),
);
console.log(
  `\n${c.succeeded} of ${c.requests} orders answered; each station freed its worker as soon as it handed an order on.`,
);
