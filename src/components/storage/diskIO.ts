/**
 * `DiskIO`: device models for a `Disk`, on its latency-model seam (./diskLatency.ts). A model
 * decides how long each read, write and sync takes from where the data is and what the device
 * is busy with, so the same store on the same workload runs at an HDD's, a SATA SSD's or an
 * NVMe drive's speed:
 *
 * - `DiskIO.hdd()`: one head. A read or write at the byte where the previous one ended streams
 *   on (transfer only); anywhere else it pays a seek that grows with the distance and a
 *   rotational wait, so random access is two orders of magnitude slower than sequential.
 *   Operations serialize on the head in the order they start (no command reordering).
 * - `DiskIO.ssd()`: no positions; each operation takes the earliest free of a few channels for
 *   its access time, then the shared host link for its transfer; beyond the channels it queues.
 *   A sync (SATA's non-queued FLUSH CACHE) holds the whole drive until it ends.
 *   By option a write cliff: once the bytes written exceed the spare area, writes pay garbage
 *   collection.
 * - `DiskIO.nvme()`: the same shape, with many queues, lower latency and a faster link; its
 *   Flush is a queued command that reads pass.
 *
 * Timing only: durability stays the disk's (a write is durable once a sync covers it). A write
 * is timed as the device placing it (write-through), a sync as a cache flush that waits for
 * what is ahead of it. A model keeps state between calls (the head, the channels), so each disk
 * needs its own: `model.clone()` gives a fresh one with the same options.
 *
 * Draws come from the disk's streams (`context.draws`), so a seed gives the same run.
 */

import { Entity } from "../../core/entity.js";
import { Simulation } from "../../core/simulation.js";
import { ConfigError, SimulationError } from "../../errors/errors.js";
import { Histogram } from "../../metrics/histogram.js";
import { constant, uniform } from "../../random/distributions/closedForm.js";
import type { Distribution } from "../../random/distributions/distribution.js";
import { type Latency, requireLatency } from "../shared/latency.js";
import { requireInteger } from "../shared/validate.js";
import { Disk } from "./disk.js";
import type { DiskLatencyContext, DiskLatencyModel, DiskOperation } from "./diskLatency.js";

/** Options of `DiskIO.hdd()`. Defaults: a 1 TB, 7200 rpm desktop drive. */
export interface HddOptions {
  /**
   * Spindle speed, revolutions per minute. Default 7200 (desktop and nearline drives; laptops
   * 5400, enterprise 10k and 15k).
   */
  readonly rpm?: number;
  /**
   * Mean seek over all pairs of positions, seconds. Default 0.0085 (the 8.5 ms datasheets of
   * 7200 rpm drives give, e.g. Seagate Barracuda and WD Blue).
   */
  readonly averageSeek?: number;
  /**
   * Seek to the next track (the settle time every seek pays), seconds. Default 0.001
   * (datasheets give 0.8 to 1 ms).
   */
  readonly trackToTrackSeek?: number;
  /** Seek across the whole stroke, seconds. Default 0.017 (about twice the average, as datasheets give). */
  readonly fullStrokeSeek?: number;
  /**
   * Sustained transfer rate, bytes per second. Default 160e6 (7200 rpm drives stream 120 to
   * 210 MB/s from inner to outer tracks).
   */
  readonly transferRate?: number;
  /** Bytes on the platter: positions are fractions of it. Default 1e12. */
  readonly capacityBytes?: number;
  /**
   * Seconds a sync (cache flush) holds the head: a number, a profile or a distribution (drawn
   * from the disk's stream "sync"). Default one revolution (60 / rpm), the time for what the
   * drive's cache holds to come round under the head.
   */
  readonly syncLatency?: Latency;
}

/** Options of `DiskIO.ssd()` and `DiskIO.nvme()`. */
export interface FlashOptions {
  /**
   * Operations the device runs at once (NAND channels, or an NVMe drive's parallel queues and
   * dies); more wait for the first to free. Default: ssd 8, nvme 32.
   */
  readonly channels?: number;
  /**
   * Seconds a read occupies its channel: a number, a profile or a distribution (drawn from the
   * disk's stream "read"). Default: ssd uniform 80 to 120 µs, nvme uniform 15 to 25 µs.
   */
  readonly readLatency?: Latency;
  /** The same for a write (stream "write"). Default: ssd uniform 40 to 80 µs, nvme 10 to 20 µs. */
  readonly writeLatency?: Latency;
  /**
   * Seconds a sync (cache flush) takes once every operation started before it is done (stream
   * "sync"). Default: ssd 1 ms, nvme 0.1 ms. On an ssd (SATA) the flush holds the device: an
   * operation issued while it runs waits for its end; on an nvme drive it does not.
   */
  readonly syncLatency?: Latency;
  /**
   * The host link every transfer crosses, one at a time, bytes per second. Default: ssd 550e6
   * (SATA 6 Gb/s after encoding), nvme 3.5e9 (PCIe 3.0 x4).
   */
  readonly transferRate?: number;
  /** The write cliff: off unless given. */
  readonly writeCliff?: WriteCliffOptions;
}

/**
 * Once `spareBytes` have been written since the start (the spare area, over-provisioning plus
 * any fast cache, is used up), every further write's access time is multiplied by `factor`
 * and grows by `extraSeconds`: the garbage collection that must now free a block before each
 * program. Reads are not slowed (a simplification: on a real drive they queue behind GC too).
 */
export interface WriteCliffOptions {
  /** Bytes written before the cliff (integer >= 0). */
  readonly spareBytes: number;
  /** Multiplies a write's access time past the cliff (>= 1). Default 5 (steady-state random writes run 3 to 10 times slower than fresh). */
  readonly factor?: number;
  /** Seconds added to a write's access time past the cliff (>= 0). Default 0. */
  readonly extraSeconds?: number;
}

/** What an HDD model has done. */
export interface HddStats {
  /** Reads and writes that started where the previous one ended: no seek, no rotational wait. */
  readonly sequential: number;
  /** Reads and writes elsewhere: a seek and a rotational wait each. */
  readonly seeks: number;
  /** Syncs and truncates: no position. */
  readonly other: number;
  /** Seconds the head was busy (service, not waiting). */
  readonly busySeconds: number;
}

/** What an SSD or NVMe model has done. */
export interface FlashStats {
  readonly reads: number;
  readonly writes: number;
  readonly syncs: number;
  /** Bytes written (counted against the write cliff's spare area). */
  readonly bytesWritten: number;
  /** Writes that paid garbage collection (past the write cliff). */
  readonly cliffWrites: number;
}

/** A `DiskIO` device model: a `DiskLatencyModel` that can give a fresh copy of itself. */
export interface DeviceModel extends DiskLatencyModel {
  readonly profile: "hdd" | "ssd" | "nvme";
  /** A new model with the same options and no history (for another disk, or another run). */
  clone(): DeviceModel;
}

/**
 * Where the seek curve turns from its square-root part to its linear part, as a fraction of
 * the stroke. Ruemmler and Wilkes ("An introduction to disk drive modeling", IEEE Computer,
 * 1994) fit a + b*sqrt(d) to short seeks (the arm accelerates the whole way) and c + e*d to
 * long ones (it coasts at full speed); at 0.3 the two parts of the default drive's fitted
 * curve meet with nearly the same slope.
 */
const SEEK_KNEE = 0.3;

type Checked<T> = { -readonly [K in keyof T]-?: T[K] };

function checkKnown(component: string, options: unknown, known: readonly string[]): void {
  if (options === null || typeof options !== "object" || Array.isArray(options)) {
    throw new ConfigError(component, "options", "an options object", options);
  }
  for (const key of Object.keys(options)) {
    if (!known.includes(key)) {
      throw new ConfigError(
        component,
        key,
        `absent: ${component} takes ${known.join(", ")}`,
        (options as Record<string, unknown>)[key],
      );
    }
  }
}

function positive(component: string, name: string, value: unknown, fallback: number): number {
  if (value === undefined) return fallback;
  if (typeof value !== "number" || !(value > 0) || !Number.isFinite(value)) {
    throw new ConfigError(component, name, "a finite number > 0", value);
  }
  return value;
}

function latency(
  component: string,
  name: string,
  value: unknown,
  fallback: Distribution,
): Distribution {
  return value === undefined ? fallback : requireLatency(component, name, value, 0);
}

/**
 * The seek curve f(d) for d, the distance as a fraction of the stroke in (0, 1]:
 * settle + a*sqrt(d) below the knee, b + c*d above it; continuous, f(1) = full stroke, and its
 * mean over the distance between two uniform positions (density 2(1 - d)) = the average seek.
 * Three linear equations in a, b, c; solved in closed form.
 */
function fitSeekCurve(component: string, settle: number, average: number, full: number) {
  const k = SEEK_KNEE;
  const rootK = Math.sqrt(k);
  // Integrals of 1 and sqrt(d) over (0, k), of 1 and d over (k, 1), weighted by 2(1 - d).
  const short1 = 2 * k - k * k;
  const shortRoot = 2 * ((2 / 3) * k * rootK - (2 / 5) * k * k * rootK);
  const long1 = (1 - k) * (1 - k);
  const longD = 1 / 3 - k * k + (2 / 3) * k * k * k;
  // With b = full - c and a = (full - settle - c(1 - k)) / sqrt(k), the mean is linear in c.
  const slope =
    (average - settle * short1 - (shortRoot * (full - settle)) / rootK - full * long1) /
    (longD - long1 - (shortRoot * (1 - k)) / rootK);
  const root = (full - settle - slope * (1 - k)) / rootK;
  if (!(slope >= 0 && root >= 0)) {
    // The two ends of the feasible range: a flat long part (c = 0), a flat short part (a = 0).
    const mean = (c: number) => {
      const a = (full - settle - c * (1 - k)) / rootK;
      return settle * short1 + a * shortRoot + (full - c) * long1 + c * longD;
    };
    const low = mean((full - settle) / (1 - k));
    const high = mean(0);
    throw new ConfigError(
      component,
      "averageSeek",
      `between ${round(low)} and ${round(high)} s for a track-to-track seek of ${settle} s and a full stroke of ${full} s (a seek curve that grows with distance)`,
      average,
    );
  }
  return { settle, root, base: full - slope, slope };
}

function round(seconds: number): number {
  return Math.round(seconds * 1e6) / 1e6;
}

/** Where each file's records lie on an HDD's platter. */
interface FileLayout {
  /** Byte where the file starts. */
  readonly start: number;
  /** Offsets of its records from `start`, in index order, as far as they have been seen. */
  readonly offsets: number[];
  /** Where the next unseen record starts. */
  end: number;
}

/**
 * Where the k-th file (from 0, in creation order) starts, as a fraction of the platter: the
 * base-2 radical inverse of k (0, 1/2, 1/4, 3/4, 1/8, ...), so files spread evenly over the
 * platter however many there are, as a filesystem spreads its directories over block groups,
 * and each file's records follow one another from its start.
 */
function spreadFraction(k: number): number {
  let fraction = 0;
  let weight = 0.5;
  for (let n = k; n > 0; n = Math.floor(n / 2)) {
    if (n % 2 === 1) fraction += weight;
    weight /= 2;
  }
  return fraction;
}

/** The model of `DiskIO.hdd()`. */
export class HddModel implements DeviceModel {
  readonly profile = "hdd";
  readonly description: string;
  private readonly options: HddOptions;
  private readonly revolution: number;
  private readonly curve: ReturnType<typeof fitSeekCurve>;
  private readonly transferRate: number;
  private readonly capacityBytes: number;
  private readonly syncLatency: Distribution;
  private readonly layouts = new Map<string, FileLayout>();
  /** Byte under the head: where the last transfer ended. */
  private head = 0;
  /** When the head finishes the last operation handed to it. */
  private freeAt = 0;
  private owner: string | null = null;
  private counts = { sequential: 0, seeks: 0, other: 0, busySeconds: 0 };

  constructor(options: HddOptions = {}) {
    const component = "DiskIO.hdd";
    checkKnown(component, options, HDD_OPTIONS);
    const rpm = positive(component, "rpm", options.rpm, 7200);
    const settle = positive(component, "trackToTrackSeek", options.trackToTrackSeek, 0.001);
    const average = positive(component, "averageSeek", options.averageSeek, 0.0085);
    const full = positive(component, "fullStrokeSeek", options.fullStrokeSeek, 0.017);
    if (!(average > settle)) {
      throw new ConfigError(
        component,
        "averageSeek",
        `seconds > trackToTrackSeek (${settle})`,
        average,
      );
    }
    if (!(full > average)) {
      throw new ConfigError(
        component,
        "fullStrokeSeek",
        `seconds > averageSeek (${average})`,
        full,
      );
    }
    this.options = { ...options };
    this.revolution = 60 / rpm;
    this.curve = fitSeekCurve(component, settle, average, full);
    this.transferRate = positive(component, "transferRate", options.transferRate, 160e6);
    this.capacityBytes = positive(component, "capacityBytes", options.capacityBytes, 1e12);
    this.syncLatency = latency(
      component,
      "syncLatency",
      options.syncLatency,
      constant(this.revolution),
    );
    this.description = `hdd, ${rpm} rpm, ${round(average * 1000)} ms average seek`;
  }

  clone(): HddModel {
    return new HddModel(this.options);
  }

  get stats(): HddStats {
    return { ...this.counts };
  }

  /** Seconds a seek over `distanceBytes` takes (0 for none), on the curve `fitSeekCurve` fits. */
  seekSeconds(distanceBytes: number): number {
    if (distanceBytes <= 0) return 0;
    const d = Math.min(1, distanceBytes / this.capacityBytes);
    const c = this.curve;
    return d <= SEEK_KNEE ? c.settle + c.root * Math.sqrt(d) : c.base + c.slope * d;
  }

  /** Byte on the platter where `file[index]` starts (each file spread in creation order). */
  positionOf(file: string, index: number, sizeBytes: number): number {
    let layout = this.layouts.get(file);
    if (layout === undefined) {
      const start = Math.floor(spreadFraction(this.layouts.size) * this.capacityBytes);
      layout = { start, offsets: [], end: 0 };
      this.layouts.set(file, layout);
    }
    const offsets = layout.offsets;
    // Records not seen yet (restored, or read before this model saw them written) are taken
    // to be the size of this one.
    while (offsets.length <= index) {
      offsets.push(layout.end);
      layout.end += sizeBytes;
    }
    return (layout.start + offsets[index]!) % this.capacityBytes;
  }

  seconds(operation: DiskOperation, context: DiskLatencyContext): number {
    this.bind(context);
    const now = context.now;
    // Nothing in progress but the head still booked: those operations died with the power.
    if (context.inProgress === 0 && this.freeAt > now) this.freeAt = now;
    const c = this.counts;
    let service: number;
    if (operation.kind === "sync") {
      service = this.syncLatency.sample(context.draws, now);
      c.other++;
    } else if (operation.index < 0) {
      // A truncate or delete: file-system metadata in the drive's cache, no head movement.
      service = context.baseSeconds();
      c.other++;
    } else {
      const at = this.positionOf(operation.file, operation.index, operation.sizeBytes);
      service = operation.sizeBytes / this.transferRate;
      if (at === this.head) {
        c.sequential++;
      } else {
        c.seeks++;
        service +=
          this.seekSeconds(Math.abs(at - this.head)) + context.draws.uniform(0, this.revolution);
      }
      this.head = at + operation.sizeBytes;
    }
    c.busySeconds += service;
    this.freeAt = Math.max(now, this.freeAt) + service;
    return this.freeAt - now;
  }

  private bind(context: DiskLatencyContext): void {
    this.owner = bindOwner(this.owner, this.profile, context);
  }
}

/** The model of `DiskIO.ssd()` and `DiskIO.nvme()`. */
export class FlashModel implements DeviceModel {
  readonly description: string;
  private readonly options: FlashOptions;
  private readonly readLatency: Distribution;
  private readonly writeLatency: Distribution;
  private readonly syncLatency: Distribution;
  private readonly transferRate: number;
  private readonly cliff: Checked<WriteCliffOptions> | null;
  /** A sync holds the whole device until it ends (SATA), or only waits (NVMe). */
  private readonly syncHoldsDevice: boolean;
  /** When each channel finishes the last access handed to it. */
  private readonly channelFreeAt: number[];
  /** When the host link finishes the last transfer handed to it. */
  private linkFreeAt = 0;
  private owner: string | null = null;
  private counts = { reads: 0, writes: 0, syncs: 0, bytesWritten: 0, cliffWrites: 0 };

  constructor(
    readonly profile: "ssd" | "nvme",
    options: FlashOptions = {},
  ) {
    const component = `DiskIO.${profile}`;
    checkKnown(component, options, FLASH_OPTIONS);
    const d = FLASH_DEFAULTS[profile];
    const channels =
      options.channels === undefined
        ? d.channels
        : requireInteger(component, "channels", options.channels, 1, 65_536);
    this.options = { ...options };
    this.readLatency = latency(component, "readLatency", options.readLatency, d.readLatency);
    this.writeLatency = latency(component, "writeLatency", options.writeLatency, d.writeLatency);
    this.syncLatency = latency(component, "syncLatency", options.syncLatency, d.syncLatency);
    this.transferRate = positive(component, "transferRate", options.transferRate, d.transferRate);
    this.cliff = checkCliff(component, options.writeCliff);
    this.syncHoldsDevice = d.syncHoldsDevice;
    this.channelFreeAt = new Array<number>(channels).fill(0);
    this.description =
      `${profile}, ${channels} channels` +
      (this.cliff === null ? "" : `, write cliff after ${this.cliff.spareBytes} bytes`);
  }

  clone(): FlashModel {
    return new FlashModel(this.profile, this.options);
  }

  get channels(): number {
    return this.channelFreeAt.length;
  }

  get stats(): FlashStats {
    return { ...this.counts };
  }

  seconds(operation: DiskOperation, context: DiskLatencyContext): number {
    this.owner = bindOwner(this.owner, this.profile, context);
    const now = context.now;
    const free = this.channelFreeAt;
    if (context.inProgress === 0) {
      // Nothing in progress: whatever is still booked died with the power.
      for (let i = 0; i < free.length; i++) if (free[i]! > now) free[i] = now;
      if (this.linkFreeAt > now) this.linkFreeAt = now;
    }
    const c = this.counts;
    if (operation.kind === "sync") {
      // A flush returns once everything started before it is done, then takes its own time.
      c.syncs++;
      let start = Math.max(now, this.linkFreeAt);
      for (const at of free) if (at > start) start = at;
      const done = start + this.syncLatency.sample(context.draws, now);
      if (this.syncHoldsDevice) {
        // SATA's FLUSH CACHE is not a queued command: the drive takes no other until the
        // flush ends, so what starts after it waits for it (NVMe's Flush is queued: reads
        // go on beside it).
        free.fill(done);
        this.linkFreeAt = done;
      }
      return done - now;
    }
    let channel = 0;
    for (let i = 1; i < free.length; i++) if (free[i]! < free[channel]!) channel = i;
    let access: number;
    if (operation.kind === "read") {
      c.reads++;
      access = this.readLatency.sample(context.draws, now);
    } else if (operation.index < 0) {
      access = context.baseSeconds(); // a truncate or delete: metadata only
    } else {
      c.writes++;
      access = this.writeLatency.sample(context.draws, now);
      const cliff = this.cliff;
      if (cliff !== null && c.bytesWritten >= cliff.spareBytes) {
        c.cliffWrites++;
        access = access * cliff.factor + cliff.extraSeconds;
      }
      c.bytesWritten += operation.sizeBytes;
    }
    const accessDone = Math.max(now, free[channel]!) + access;
    free[channel] = accessDone;
    if (operation.sizeBytes === 0) return accessDone - now;
    this.linkFreeAt =
      Math.max(accessDone, this.linkFreeAt) + operation.sizeBytes / this.transferRate;
    return this.linkFreeAt - now;
  }
}

const HDD_OPTIONS = [
  "rpm",
  "averageSeek",
  "trackToTrackSeek",
  "fullStrokeSeek",
  "transferRate",
  "capacityBytes",
  "syncLatency",
] as const satisfies readonly (keyof HddOptions)[];

const FLASH_OPTIONS = [
  "channels",
  "readLatency",
  "writeLatency",
  "syncLatency",
  "transferRate",
  "writeCliff",
] as const satisfies readonly (keyof FlashOptions)[];

/**
 * Datasheet-scale defaults. SATA SSD: controllers drive 4 to 8 NAND channels (Samsung's 860
 * EVO: 8), a 4 KiB random read takes about 100 µs at queue depth 1 and about 90k IOPS at depth
 * 32, writes land in the drive's cache in tens of µs, a flush without power-loss protection
 * takes on the order of a millisecond. NVMe: 32 and more queues worked in parallel, low-latency
 * flash (Z-NAND, XL-Flash, Optane-class) reads in 10 to 20 µs (TLC drives nearer 60 to 90 µs:
 * give `readLatency`), PCIe 3.0 x4 moves 3.5 GB/s. A SATA flush (FLUSH CACHE) is a non-queued
 * command: the drive drains its queue, flushes, and takes nothing else meanwhile; an NVMe Flush
 * is queued like any command and the drive serves reads beside it.
 */
const FLASH_DEFAULTS = {
  ssd: {
    channels: 8,
    readLatency: uniform(80e-6, 120e-6),
    writeLatency: uniform(40e-6, 80e-6),
    syncLatency: constant(0.001),
    transferRate: 550e6,
    syncHoldsDevice: true,
  },
  nvme: {
    channels: 32,
    readLatency: uniform(15e-6, 25e-6),
    writeLatency: uniform(10e-6, 20e-6),
    syncLatency: constant(0.0001),
    transferRate: 3.5e9,
    syncHoldsDevice: false,
  },
} as const;

function checkCliff(component: string, value: unknown): Checked<WriteCliffOptions> | null {
  if (value === undefined) return null;
  if (value === null || typeof value !== "object") {
    throw new ConfigError(component, "writeCliff", "{ spareBytes, factor?, extraSeconds? }", value);
  }
  const cliff = value as WriteCliffOptions;
  checkKnown(`${component} writeCliff`, cliff, ["spareBytes", "factor", "extraSeconds"]);
  const spareBytes = requireInteger(component, "writeCliff.spareBytes", cliff.spareBytes, 0);
  const factor = cliff.factor ?? 5;
  if (typeof factor !== "number" || !(factor >= 1) || !Number.isFinite(factor)) {
    throw new ConfigError(component, "writeCliff.factor", "a finite number >= 1", factor);
  }
  const extraSeconds = cliff.extraSeconds ?? 0;
  if (typeof extraSeconds !== "number" || !(extraSeconds >= 0) || !Number.isFinite(extraSeconds)) {
    throw new ConfigError(component, "writeCliff.extraSeconds", "seconds >= 0", extraSeconds);
  }
  return { spareBytes, factor, extraSeconds };
}

/** A model keeps one disk's state: a second disk using it would see the first one's head. */
function bindOwner(owner: string | null, profile: string, context: DiskLatencyContext): string {
  const disk = context.draws.owner;
  if (owner !== null && owner !== disk) {
    throw new SimulationError(
      `this DiskIO.${profile} model already times disk "${owner}": give each disk its own model (model.clone())`,
      disk,
      Math.round(context.now * 1e9),
    );
  }
  return disk;
}

/** Options of `queueDepthCurve`. */
export interface QueueDepthCurveOptions {
  /** Operations kept outstanding, one row each (integers >= 1). Default [1, 2, 4, 8, 16, 32, 64]. */
  readonly depths?: readonly number[];
  /** Reads measured per depth (integer >= 1). Default 2000. */
  readonly operations?: number;
  /**
   * "random": each read picks a record uniformly among all; "sequential": reads go through the
   * files in order, each from its first record to its last. Default "random".
   */
  readonly pattern?: "random" | "sequential";
  /** Files read (integer >= 1); an HDD spreads them over its platter. Default 8. */
  readonly files?: number;
  /** Records in each file (integer >= 1). Default 4096. */
  readonly recordsPerFile?: number;
  /** Bytes a read moves (integer >= 1). Default 4096. */
  readonly recordBytes?: number;
  /** The simulation's seed. Default 1. */
  readonly seed?: number;
}

/** One depth of a queue-depth curve. */
export interface QueueDepthRow {
  /** Reads kept outstanding. */
  readonly depth: number;
  /** Reads completed per second. */
  readonly iops: number;
  /** Bytes read per second. */
  readonly bytesPerSecond: number;
  /** Seconds from issuing a read to its answer: the mean and the 99th percentile. */
  readonly meanLatency: number;
  readonly p99Latency: number;
}

/**
 * Throughput and latency against queue depth, measured by simulation: for each depth N, a
 * fresh `Disk` timed by a clone of `model` holds `files` files of `recordsPerFile` records, and
 * N processes each issue a read as soon as their previous one returns (a closed loop, as fio's
 * `iodepth` does) until `operations` reads are done. Past the device's parallelism (one head,
 * the channels) more depth adds only waiting: IOPS levels off and latency grows with depth.
 */
export function queueDepthCurve(
  model: DeviceModel,
  options: QueueDepthCurveOptions = {},
): QueueDepthRow[] {
  const component = "DiskIO.queueDepthCurve";
  if (model === null || typeof model !== "object" || typeof model.clone !== "function") {
    throw new ConfigError(component, "model", "a DiskIO model (DiskIO.hdd(), ...)", model);
  }
  checkKnown(component, options, [
    "depths",
    "operations",
    "pattern",
    "files",
    "recordsPerFile",
    "recordBytes",
    "seed",
  ]);
  const depths = options.depths ?? [1, 2, 4, 8, 16, 32, 64];
  if (!Array.isArray(depths) || depths.length === 0) {
    throw new ConfigError(component, "depths", "a non-empty array of integers >= 1", depths);
  }
  for (const depth of depths) requireInteger(component, "depths", depth, 1, 1_000_000);
  const operations = requireInteger(component, "operations", options.operations ?? 2000, 1);
  const pattern = options.pattern ?? "random";
  if (pattern !== "random" && pattern !== "sequential") {
    throw new ConfigError(component, "pattern", '"random" or "sequential"', pattern);
  }
  const files = requireInteger(component, "files", options.files ?? 8, 1, 1_000_000);
  const perFile = requireInteger(
    component,
    "recordsPerFile",
    options.recordsPerFile ?? 4096,
    1,
    10_000_000,
  );
  const recordBytes = requireInteger(component, "recordBytes", options.recordBytes ?? 4096, 1);
  const seed = requireInteger(component, "seed", options.seed ?? 1, 0);
  const names = Array.from({ length: files }, (_, f) => `file-${f}`);
  const contents = new Array<number>(perFile).fill(0);
  const total = files * perFile;
  return depths.map((depth) => {
    const sim = new Simulation({ seed });
    const disk = new Disk<number>(sim, "disk", { latencyModel: model.clone(), recordBytes });
    for (const name of names) disk.restore(name, contents);
    const driver = new Entity(sim, "driver");
    const picks = driver.random("pattern");
    const latencies = new Histogram();
    let issued = 0;
    let cursor = 0;
    for (let worker = 0; worker < depth; worker++) {
      driver.start(function* () {
        while (issued < operations) {
          issued++;
          const k = pattern === "random" ? picks.integer(total) : cursor++ % total;
          const started = sim.now;
          yield* disk.read(names[Math.floor(k / perFile)]!, k % perFile);
          latencies.record(sim.now - started);
        }
      });
    }
    sim.run();
    const elapsed = sim.now;
    return {
      depth,
      iops: operations / elapsed,
      bytesPerSecond: (operations * recordBytes) / elapsed,
      meanLatency: latencies.mean,
      p99Latency: latencies.p99,
    };
  });
}

/**
 * The device models, to give a `Disk` as its `latencyModel`:
 * `new Disk(sim, "d", { latencyModel: DiskIO.hdd() })`, and the queue-depth curve.
 */
export const DiskIO = {
  /** One head, seeks that grow with distance, rotational latency: a 7200 rpm drive by default. */
  hdd: (options: HddOptions = {}): HddModel => new HddModel(options),
  /** A SATA SSD: 8 channels, ~100 µs reads, a 550 MB/s link; a write cliff by option. */
  ssd: (options: FlashOptions = {}): FlashModel => new FlashModel("ssd", options),
  /** An NVMe drive: 32 queues, ~20 µs reads, a 3.5 GB/s link; a write cliff by option. */
  nvme: (options: FlashOptions = {}): FlashModel => new FlashModel("nvme", options),
  queueDepthCurve,
} as const;
