/**
 * `PageCache`: a fixed number of pages held in memory between an engine and its `Disk` (a
 * database's buffer pool). A page is a record of a file on the disk, at an index. A read
 * that finds its page in memory costs nothing; a miss reads it from the disk (its read
 * latency, counted in `diskReads` and `bytesRead`). A write changes the page in memory only
 * (it is dirty) and reaches the disk later: when the page is evicted (its writer waits for
 * that write), on the writeback interval (a daemon timer on the cache's owner), or on
 * `sync()`, which writes every dirty page and then syncs the disk.
 *
 * Eviction is least recently used (O(1) per access: a linked list). Read-ahead:
 * a miss on the page after the last one read from the disk (a sequential miss) also reads the
 * next `readAhead` pages, in parallel; a read that finds a page read ahead (in memory or on
 * its way) is a hit, counted in `readAheadHits` too.
 *
 * It is not an entity: it lives on its owner (the engine), whose crash, of either kind, loses
 * it (the buffer pool is the process's memory), as does its disk's power loss. Dirty pages are
 * lost with it; what survives is what the disk kept: synced pages, and unsynced ones only until
 * the disk itself loses power.
 *
 * @example
 * const disk = new Disk<string>(sim, "disk", { owner: engine });
 * const cache = new PageCache<string>(disk, { pages: 64, readAhead: 8, writebackInterval: 1 });
 * // in a process of the engine:
 * const page = yield* cache.read("data", 3);
 * yield* cache.write("data", 3, page + "!"); // dirty: in memory only
 * yield* cache.sync(); // written back and synced: survives a crash
 */
import type { Entity } from "../../core/entity.js";
import type { FutureListener, SimFuture } from "../../core/future.js";
import { ConfigError, SimulationError } from "../../errors/errors.js";
import { ListNode, RecencyList } from "../shared/recencyList.js";
import { requireInteger, requireSeconds } from "../shared/validate.js";
import { Disk } from "./disk.js";

export interface PageCacheOptions {
  /** Pages held in memory (integer >= 1). */
  readonly pages: number;
  /** Pages read ahead on a sequential miss (integer >= 0). Default 0: none. */
  readonly readAhead?: number;
  /**
   * Seconds between writebacks of every dirty page (> 0), or Infinity for none (pages then
   * reach the disk on eviction and on `sync()` only). Default Infinity.
   */
  readonly writebackInterval?: number;
  /** A page's size in bytes on the disk (integer >= 1). Default: the disk's `recordBytes`. */
  readonly pageBytes?: number;
  /**
   * The entity whose crash loses the cache and whose timer writes dirty pages back. Default:
   * the disk's owner, or the disk itself.
   */
  // biome-ignore lint/suspicious/noExplicitAny: a cache can live on an entity of any message types
  readonly owner?: Entity<any, any>;
}

/**
 * What a cache has done (since it was built, or since the last `sim.resetStats()`). At every
 * instant: `reads = hits + misses`.
 */
export interface PageCacheStats {
  /** Page reads asked for. */
  readonly reads: number;
  /** Reads that found their page in memory, or on its way in from a read-ahead. */
  readonly hits: number;
  /** Reads that had to read their page from the disk. */
  readonly misses: number;
  /** hits / reads (0 before any read). */
  readonly hitRate: number;
  /** Hits on pages brought in by read-ahead (each page's first hit). */
  readonly readAheadHits: number;
  /** Pages read ahead (disk reads nobody had asked for yet). */
  readonly readAheadPages: number;
  /** Page writes asked for (into memory). */
  readonly writes: number;
  /** Pages evicted to make room (a dirty one is written back first). */
  readonly evictions: number;
  /** Dirty pages written to the disk (on eviction, on the interval, on sync). */
  readonly writebacks: number;
  /** Syncs asked for. */
  readonly syncs: number;
  /** Disk reads issued (misses and read-ahead), and their bytes. */
  readonly diskReads: number;
  readonly bytesRead: number;
  /** Bytes written back to the disk. */
  readonly bytesWritten: number;
  /** Dirty pages lost with the cache (a crash, a power loss). */
  readonly lostDirty: number;
  /** Pages held now, and how many of them are dirty. */
  readonly size: number;
  readonly dirty: number;
}

/** A page held in memory, linked into the recency list (it carries its links: a hit allocates nothing). */
class CachedPage<P> extends ListNode {
  dirty = false;
  /** Brought in by read-ahead and not read since. */
  readAhead = false;
  constructor(
    readonly file: string,
    readonly pageIndex: number,
    public page: P,
  ) {
    super();
  }
}

/** A read-ahead in flight: puts its page in memory when the disk answers. */
class ReadAheadLanding<P> implements FutureListener {
  constructor(
    private readonly cache: PageCache<P>,
    private readonly file: string,
    private readonly index: number,
    private readonly epoch: number,
  ) {}
  futureSettled(future: SimFuture<unknown>): void {
    this.cache._landReadAhead(this.file, this.index, this.epoch, future as SimFuture<P>);
  }
}

export class PageCache<P> {
  readonly pages: number;
  readonly readAhead: number;
  readonly writebackInterval: number;
  readonly pageBytes: number;
  // biome-ignore lint/suspicious/noExplicitAny: a cache can live on an entity of any message types
  readonly owner: Entity<any, any>;
  /** Least recently used first out: the most recent at the front. */
  private readonly policy = new RecencyList<CachedPage<P>>();
  private readonly files = new Map<string, Map<number, CachedPage<P>>>();
  /** Disk reads in flight, by file and index: later readers of the page wait for them. */
  private readonly reading = new Map<string, Map<number, SimFuture<P>>>();
  /** Read-ahead pages in flight (a reader joining one is a read-ahead hit). */
  private readonly readingAhead = new Set<SimFuture<P>>();
  /** Reads in flight of pages written since they were issued: what they return is stale. */
  private readonly superseded = new WeakSet<SimFuture<P>>();
  /** The last page of each file read from the disk: a miss on the next is sequential. */
  private readonly lastDiskRead = new Map<string, number>();
  private dirtyCount = 0;
  /** Crashes so far: a read that lands after one belongs to a cache that is gone. */
  private epoch = 0;
  private counts = newCounts();

  constructor(
    readonly disk: Disk<P>,
    options: PageCacheOptions,
  ) {
    const component = "PageCache";
    if (!(disk instanceof Disk)) throw new ConfigError(component, "disk", "a Disk", disk);
    if (options === null || typeof options !== "object") {
      throw new ConfigError(component, "options", "an options object { pages, ... }", options);
    }
    const where = `PageCache on "${disk.name}"`;
    this.pages = requireInteger(where, "pages", options.pages, 1);
    this.readAhead =
      options.readAhead === undefined
        ? 0
        : requireInteger(where, "readAhead", options.readAhead, 0);
    const interval = options.writebackInterval ?? Number.POSITIVE_INFINITY;
    this.writebackInterval =
      interval === Number.POSITIVE_INFINITY
        ? interval
        : requireSeconds(where, "writebackInterval", interval);
    this.pageBytes =
      options.pageBytes === undefined
        ? disk.recordBytes
        : requireInteger(where, "pageBytes", options.pageBytes, 1);
    const owner = options.owner ?? disk.owner ?? disk;
    if (
      owner === null ||
      typeof owner !== "object" ||
      typeof (owner as Entity).addLifecycleHook !== "function" ||
      (owner as Entity).sim !== disk.sim
    ) {
      throw new ConfigError(where, "owner", "an entity of the disk's simulation", owner);
    }
    this.owner = owner;
    owner.addLifecycleHook({
      onCrash: () => this.lose(),
      onRecover: () => this.armWriteback(),
      onResetStats: () => {
        this.counts = newCounts();
      },
    });
    if (owner !== disk) {
      // A power loss under a running owner: the cached pages may be newer than the medium
      // (written back, never synced), and the engine rebuilds from what the disk kept.
      disk.addLifecycleHook({ onCrash: () => this.lose() });
    }
    this.armWriteback();
  }

  /**
   * The page at `index` of `file`: from memory, or read from the disk (its read latency; a
   * sequential miss also reads ahead). Throws the disk's errors.
   */
  *read(file: string, index: number): Generator<SimFuture<unknown>, P, unknown> {
    const c = this.counts;
    c.reads++;
    const held = this.files.get(file)?.get(index);
    if (held !== undefined) {
      c.hits++;
      if (held.readAhead) {
        held.readAhead = false;
        c.readAheadHits++;
      }
      this.policy.moveToFront(held);
      return held.page;
    }
    let reading = this.reading.get(file)?.get(index);
    if (reading !== undefined && this.readingAhead.has(reading)) {
      c.hits++;
      c.readAheadHits++;
    } else {
      c.misses++;
      if (reading === undefined) reading = this.readFromDisk(file, index, false);
    }
    const epoch = this.epoch;
    let page = (yield reading) as P;
    if (epoch !== this.epoch) return page;
    // A write may have replaced the page while the disk read it: memory has the newer one,
    // or, evicted since, the disk (read again: the first read returned the page as it was).
    while (this.superseded.has(reading)) {
      const landed = this.files.get(file)?.get(index);
      if (landed !== undefined) {
        this.policy.moveToFront(landed);
        return landed.page;
      }
      reading = this.reading.get(file)?.get(index) ?? this.readFromDisk(file, index, true);
      page = (yield reading) as P;
      if (epoch !== this.epoch) return page;
    }
    const landed = this.files.get(file)?.get(index);
    if (landed !== undefined) {
      if (landed.readAhead) landed.readAhead = false;
      return landed.page;
    }
    const eviction = this.insert(file, index, page, false);
    if (eviction !== null) yield eviction;
    return page;
  }

  /**
   * Replaces the page at `index` of `file` in memory (dirty: it reaches the disk later). An
   * index past the file's end allocates a page there (pages reach the disk in index order, so
   * the file never has a gap). Waits only when the write evicts a dirty page (its writeback).
   */
  *write(file: string, index: number, page: P): Generator<SimFuture<unknown>, void, unknown> {
    const eviction = this.put(file, index, page);
    if (eviction !== null) yield eviction;
  }

  /**
   * `write` without waiting: the eviction's writeback, if any, is issued and returned (null if
   * none) for the caller to wait on or not (recovery, which takes no simulated time).
   */
  put(file: string, index: number, page: P): SimFuture<unknown> | null {
    this.counts.writes++;
    const reading = this.reading.get(file);
    const stale = reading?.get(index);
    if (stale !== undefined) {
      // A read in flight returns the page as it was: it must not land over this one.
      reading!.delete(index);
      this.superseded.add(stale);
    }
    const held = this.files.get(file)?.get(index);
    if (held !== undefined) {
      held.page = page;
      held.readAhead = false;
      if (!held.dirty) {
        held.dirty = true;
        this.dirtyCount++;
      }
      this.policy.moveToFront(held);
      return null;
    }
    return this.insert(file, index, page, true);
  }

  /** The page in memory now, or undefined, without counting or latency (tests, recovery). */
  peek(file: string, index: number): P | undefined {
    return this.files.get(file)?.get(index)?.page;
  }

  /** Whether the page is in memory now and dirty. */
  isDirty(file: string, index: number): boolean {
    return this.files.get(file)?.get(index)?.dirty === true;
  }

  /**
   * Forgets the pages of `file` from `length` on (the file is being cut there): dirty ones are
   * never written back.
   */
  discard(file: string, length: number): void {
    const pages = this.files.get(file);
    if (pages === undefined) return;
    for (const [index, held] of [...pages]) {
      if (index < length) continue;
      if (held.dirty) this.dirtyCount--;
      pages.delete(index);
      this.policy.unlink(held);
    }
  }

  /** Writes every dirty page to the disk (in file and index order), then syncs it. */
  *sync(): Generator<SimFuture<unknown>, void, unknown> {
    this.counts.syncs++;
    const writes = this.writeBackAll();
    for (const write of writes) yield write;
    yield this.disk.syncFuture();
  }

  get size(): number {
    return this.policy.length;
  }

  get dirty(): number {
    return this.dirtyCount;
  }

  get stats(): PageCacheStats {
    const c = this.counts;
    return {
      ...c,
      hitRate: c.reads > 0 ? c.hits / c.reads : 0,
      size: this.policy.length,
      dirty: this.dirtyCount,
    };
  }

  /** @internal A read-ahead's disk read settled. */
  _landReadAhead(file: string, index: number, epoch: number, future: SimFuture<P>): void {
    this.readingAhead.delete(future);
    if (epoch !== this.epoch || future.state !== "resolved" || this.superseded.has(future)) return;
    if (this.files.get(file)?.has(index)) return;
    // No one waits for a read-ahead: a dirty page it evicts is written back unwaited.
    this.insert(file, index, future.value, false)?.defuse();
    const landed = this.files.get(file)?.get(index);
    if (landed !== undefined) landed.readAhead = true;
  }

  // --- Internals --------------------------------------------------------------------------

  /** Issues a disk read of a missing page (and, for a sequential miss, the read-ahead). */
  private readFromDisk(file: string, index: number, ahead: boolean): SimFuture<P> {
    const c = this.counts;
    const disk = this.disk;
    const future = disk.readFuture(file, index);
    c.diskReads++;
    c.bytesRead += this.pageBytes;
    let reading = this.reading.get(file);
    if (reading === undefined) {
      reading = new Map();
      this.reading.set(file, reading);
    }
    const pending = reading;
    pending.set(index, future);
    future.addListener({
      futureSettled: () => {
        if (pending.get(index) === future) pending.delete(index);
      },
    });
    if (ahead) return future;
    const sequential = this.lastDiskRead.get(file) === index - 1;
    let last = index;
    if (sequential && this.readAhead > 0) {
      const end = Math.min(index + this.readAhead, disk.length(file) - 1);
      for (let next = index + 1; next <= end; next++) {
        if (this.files.get(file)?.has(next) || pending.has(next)) continue;
        const early = this.readFromDisk(file, next, true);
        c.readAheadPages++;
        this.readingAhead.add(early);
        early.addListener(new ReadAheadLanding(this, file, next, this.epoch));
        last = next;
      }
    }
    this.lastDiskRead.set(file, last);
    return future;
  }

  /** Puts a page in memory, evicting the least recently used if full; returns the eviction's write. */
  private insert(file: string, index: number, page: P, dirty: boolean): SimFuture<unknown> | null {
    let eviction: SimFuture<unknown> | null = null;
    // More than one when a refused writeback let the cache run over its size before.
    while (this.policy.length >= this.pages) {
      eviction?.defuse();
      eviction = this.evict();
      if (eviction?.state === "rejected") break;
    }
    let pages = this.files.get(file);
    if (pages === undefined) {
      pages = new Map();
      this.files.set(file, pages);
    }
    const held = new CachedPage(file, index, page);
    held.dirty = dirty;
    if (dirty) this.dirtyCount++;
    pages.set(index, held);
    this.policy.pushFront(held);
    return eviction;
  }

  /**
   * Evicts the least recently used page, written back first if dirty; returns that write. A
   * write the disk refuses at once (full, down) keeps the page: dirty pages are never dropped
   * while the cache lives, and it holds more than `pages` until the disk takes them.
   */
  private evict(): SimFuture<unknown> | null {
    const victim = this.policy.back()!;
    const write = victim.dirty ? this.writeBack(victim) : null;
    if (write !== null && victim.dirty) return write;
    this.counts.evictions++;
    this.files.get(victim.file)!.delete(victim.pageIndex);
    this.policy.unlink(victim);
    return write;
  }

  /**
   * Writes a dirty page to the disk (it is clean once the write is issued: the disk holds it
   * from then on). A page past the file's end needs the pages before it first: they are dirty
   * in memory (a page is allocated by writing it), and go first.
   */
  private writeBack(held: CachedPage<P>): SimFuture<unknown> {
    const disk = this.disk;
    const file = held.file;
    const pages = this.files.get(file)!;
    for (let gap = disk.length(file); gap < held.pageIndex; gap++) {
      const before = pages.get(gap);
      if (before === undefined || !before.dirty) {
        throw new SimulationError(
          `PageCache: page ${gap} of "${file}" was never written, but page ${held.pageIndex} after it was`,
          this.owner.name,
          this.owner.nowNs,
        );
      }
      this.issueWrite(before).defuse();
    }
    return this.issueWrite(held);
  }

  private issueWrite(held: CachedPage<P>): SimFuture<unknown> {
    const write = this.disk.writeFuture(held.file, held.pageIndex, held.page, {
      sizeBytes: this.pageBytes,
    });
    // A write the disk refuses at once (down, full) leaves the page dirty, to try again.
    if (write.state !== "rejected" && held.dirty) {
      held.dirty = false;
      this.dirtyCount--;
      this.counts.writebacks++;
      this.counts.bytesWritten += this.pageBytes;
    }
    return write;
  }

  /** Issues writes of every dirty page, in file and index order; returns them. */
  private writeBackAll(): SimFuture<unknown>[] {
    const writes: SimFuture<unknown>[] = [];
    if (this.dirtyCount === 0) return writes;
    for (const file of [...this.files.keys()].sort()) {
      const pages = this.files.get(file)!;
      const indexes = [...pages.keys()].sort((a, b) => a - b);
      for (const index of indexes) {
        const held = pages.get(index)!;
        if (held.dirty) writes.push(this.writeBack(held).defuse());
      }
    }
    return writes;
  }

  private armWriteback(): void {
    if (this.writebackInterval === Number.POSITIVE_INFINITY || !this.owner.isUp) return;
    // A daemon timer: writebacks never keep a run alive by themselves.
    this.owner.after(this.writebackInterval, this.writebackTick, undefined, { daemon: true });
  }

  private readonly writebackTick = (): void => {
    this.writeBackAll();
    this.armWriteback();
  };

  /** The cache is gone (a crash, a power loss): every page, dirty ones included. */
  private lose(): void {
    this.epoch++;
    this.counts.lostDirty += this.dirtyCount;
    this.files.clear();
    this.policy.clear();
    this.dirtyCount = 0;
    this.reading.clear();
    this.readingAhead.clear();
    this.lastDiskRead.clear();
  }
}

function newCounts() {
  return {
    reads: 0,
    hits: 0,
    misses: 0,
    readAheadHits: 0,
    readAheadPages: 0,
    writes: 0,
    evictions: 0,
    writebacks: 0,
    syncs: 0,
    diskReads: 0,
    bytesRead: 0,
    bytesWritten: 0,
    lostDirty: 0,
  };
}
