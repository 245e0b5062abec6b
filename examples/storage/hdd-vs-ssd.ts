/**
 * DiskIO: an HDD's random-read throughput collapse, against an SSD and an NVMe drive.
 *
 * Scenario: each device holds 8 files of 4,096 records of 4 KiB (the HDD spreads the files
 * over its platter). A closed loop keeps N reads outstanding, each issued as the previous one
 * returns (fio's iodepth), for 2,000 reads:
 *
 *   1. Sequential vs random reads at depth 1. The HDD streams a file at its transfer rate
 *      (160 MB/s: no seek, no rotational wait between records), but every random read pays a
 *      seek across the platter and half a revolution on average: about 12 ms, some 80 reads a
 *      second, hundreds of times slower. Flash has no head: random reads cost what sequential
 *      ones do.
 *   2. Random reads against queue depth. The HDD's one head serializes: more depth adds only
 *      waiting (IOPS flat, latency in proportion; a real drive's command reordering would win
 *      back a little). The SSD's 8 channels and the NVMe drive's 32 queues run reads in
 *      parallel: IOPS grow with depth up to their parallelism (the NVMe drive's then bounded by
 *      its PCIe link), and only past it does latency grow.
 *
 * Run: npx tsx --conditions=distsim-source examples/storage/hdd-vs-ssd.ts
 */
import { type DeviceModel, DiskIO, queueDepthCurve } from "distsim";
import { formatTable } from "../support/table.js";

const devices: [string, DeviceModel][] = [
  ["hdd", DiskIO.hdd()],
  ["ssd", DiskIO.ssd()],
  ["nvme", DiskIO.nvme()],
];
const DEPTHS = [1, 2, 4, 8, 16, 32, 64];

const count = (n: number) => Math.round(n).toLocaleString("en-US");
const ms = (seconds: number) => (seconds * 1000).toFixed(3);

console.log(
  "4 KiB reads over 8 files of 4,096 records; a closed loop of N outstanding reads, 2,000 reads per row (seed 1)\n",
);

const atDepthOne: Record<string, Record<string, number>> = {};
const patternRows: string[][] = [];
for (const [name, model] of devices) {
  atDepthOne[name] = {};
  for (const pattern of ["sequential", "random"] as const) {
    const [row] = queueDepthCurve(model, { depths: [1], pattern });
    atDepthOne[name]![pattern] = row!.iops;
    patternRows.push([
      name,
      pattern,
      count(row!.iops),
      (row!.bytesPerSecond / 1e6).toFixed(1),
      ms(row!.p99Latency),
    ]);
  }
}
console.log("Sequential vs random reads, queue depth 1");
console.log(formatTable(["device", "reads", "IOPS", "MB/s", "p99 (ms)"], patternRows));

const curves = devices.map(([, model]) => queueDepthCurve(model, { depths: DEPTHS }));
console.log("\nRandom reads against queue depth: IOPS and p99 (ms)");
console.log(
  formatTable(
    ["depth", ...devices.flatMap(([name]) => [`${name} IOPS`, `${name} p99`])],
    DEPTHS.map((depth, i) => [
      String(depth),
      ...curves.flatMap((curve) => [count(curve[i]!.iops), ms(curve[i]!.p99Latency)]),
    ]),
  ),
);

const hdd = atDepthOne.hdd!;
const ssd = atDepthOne.ssd!;
const deepest = DEPTHS.length - 1;
console.log(
  `\nVerdict: random reads cut the HDD from ${count(hdd.sequential!)} to ${count(hdd.random!)} IOPS ` +
    `(${Math.round(hdd.sequential! / hdd.random!)}x) and queue depth cannot win it back ` +
    `(${count(curves[0]![deepest]!.iops)} at depth ${DEPTHS[deepest]}); the SSD reads at random as fast as in order ` +
    `(${count(ssd.random!)} IOPS, ${Math.round(ssd.random! / hdd.random!)}x the HDD) and scales to ` +
    `${count(curves[1]![deepest]!.iops)} with depth.`,
);
