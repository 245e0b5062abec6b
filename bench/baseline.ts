/**
 * The ceiling: a minimal hand-written hold loop on a typed-array binary heap, with the same
 * PRNG (xoshiro128** from src/random/prng.ts), the same exponential transform
 * (-log(1 - u)), the same integer-nanosecond rounding and the same (time, seq) ordering as the
 * engine, but no dispatch, no slots, no entities. Each step pops the earliest entry and pushes
 * its successor, exactly the two heap operations the engine does per event (not a fused
 * "replace top", which the engine cannot do because the handler schedules during dispatch).
 *
 * Everything the loop touches is a local: no closure variables, no property loads inside the
 * loop. What the engine reaches as a fraction of this is the cost of being a general simulator.
 */
import { deriveGenerator, type Xoshiro128 } from "../src/random/prng.js";
import type { HoldRunner } from "./measure.js";

/** Seconds to integer nanoseconds, as the engine rounds durations. */
const NS_PER_SECOND = 1e9;

/** Typed-array heap keyed by (time, seq) with an Int32 payload index; hole-based sifts. */
class Heap {
  readonly times: Float64Array;
  readonly seqs: Float64Array;
  readonly ids: Int32Array;
  size = 0;
  nextSeq = 0;

  constructor(capacity: number) {
    this.times = new Float64Array(capacity);
    this.seqs = new Float64Array(capacity);
    this.ids = new Int32Array(capacity);
  }

  /** Used only to fill; the timed loops inline their own sifts. */
  push(time: number, id: number): void {
    const { times, seqs, ids } = this;
    const seq = this.nextSeq++;
    let i = this.size++;
    while (i > 0) {
      const parent = (i - 1) >> 1;
      const parentTime = times[parent]!;
      if (parentTime <= time) break;
      times[i] = parentTime;
      seqs[i] = seqs[parent]!;
      ids[i] = ids[parent]!;
      i = parent;
    }
    times[i] = time;
    seqs[i] = seq;
    ids[i] = id;
  }
}

/**
 * Pops the root of a heap of `last + 1` entries, leaving `last` entries and a free cell at
 * index `last`. Returns nothing: the caller read the root before. Kept as a plain function
 * (not a method) so TurboFan inlines it into the hold loops.
 */
function siftDownLast(times: Float64Array, seqs: Float64Array, ids: Int32Array, last: number) {
  const time = times[last]!;
  const seq = seqs[last]!;
  const id = ids[last]!;
  const half = last >> 1;
  let i = 0;
  while (i < half) {
    let child = 2 * i + 1;
    let childTime = times[child]!;
    let childSeq = seqs[child]!;
    const right = child + 1;
    if (right < last) {
      const rightTime = times[right]!;
      if (rightTime < childTime || (rightTime === childTime && seqs[right]! < childSeq)) {
        child = right;
        childTime = rightTime;
        childSeq = seqs[right]!;
      }
    }
    if (childTime > time || (childTime === time && childSeq > seq)) break;
    times[i] = childTime;
    seqs[i] = childSeq;
    ids[i] = ids[child]!;
    i = child;
  }
  times[i] = time;
  seqs[i] = seq;
  ids[i] = id;
}

/** Pushes (time, seq, id) into the free cell at index `last` and sifts it up. */
function siftUpLast(
  times: Float64Array,
  seqs: Float64Array,
  ids: Int32Array,
  last: number,
  time: number,
  seq: number,
  id: number,
) {
  let i = last;
  while (i > 0) {
    const parent = (i - 1) >> 1;
    const parentTime = times[parent]!;
    // seq only grows, so a new entry never sorts before an equal-time older one.
    if (parentTime <= time) break;
    times[i] = parentTime;
    seqs[i] = seqs[parent]!;
    ids[i] = ids[parent]!;
    i = parent;
  }
  times[i] = time;
  seqs[i] = seq;
  ids[i] = id;
}

/** The baseline kernel: `pending` entries, each step pops one and pushes one at now + Exp(1). */
export class BaselineHold implements HoldRunner {
  private readonly heap: Heap;
  private readonly rng: Xoshiro128;
  /** Checksum of popped times, so the loop's work cannot be optimised away. */
  sink = 0;

  constructor(pending: number, seed = 1) {
    this.rng = deriveGenerator(seed, "baseline", "hold");
    this.heap = new Heap(pending);
    for (let i = 0; i < pending; i++) {
      this.heap.push(Math.round(-Math.log(1 - this.rng.nextDouble()) * NS_PER_SECOND), i);
    }
  }

  run(events: number): void {
    const heap = this.heap;
    const { times, seqs, ids } = heap;
    const rng = this.rng;
    const last = heap.size - 1;
    let nextSeq = heap.nextSeq;
    let sink = this.sink;
    for (let k = 0; k < events; k++) {
      const now = times[0]!;
      const id = ids[0]!;
      siftDownLast(times, seqs, ids, last);
      const delayNs = Math.round(-Math.log(1 - rng.nextDouble()) * NS_PER_SECOND);
      siftUpLast(times, seqs, ids, last, now + delayNs, nextSeq++, id);
      sink += now;
    }
    heap.nextSeq = nextSeq;
    this.sink = sink;
  }
}

/** One body shared by every bare generator (no closure per generator, as in the engine). */
function* bareProcess(rng: Xoshiro128): Generator<number, void, unknown> {
  for (;;) yield -Math.log(1 - rng.nextDouble());
}

/**
 * The same kernel resuming one plain V8 generator per event to get its next delay: the floor
 * for any generator-based process engine (each process step must at least resume a generator
 * and read its iterator result). Reported to explain the process figures; no target.
 */
export class BareGeneratorHold implements HoldRunner {
  private readonly heap: Heap;
  private readonly generators: Generator<number, void, unknown>[] = [];
  sink = 0;

  constructor(pending: number, seed = 1) {
    const rng = deriveGenerator(seed, "baseline", "generators");
    this.heap = new Heap(pending);
    for (let i = 0; i < pending; i++) {
      const generator = bareProcess(rng);
      this.generators.push(generator);
      this.heap.push(Math.round((generator.next().value as number) * NS_PER_SECOND), i);
    }
  }

  run(events: number): void {
    const heap = this.heap;
    const { times, seqs, ids } = heap;
    const generators = this.generators;
    const last = heap.size - 1;
    let nextSeq = heap.nextSeq;
    let sink = this.sink;
    for (let k = 0; k < events; k++) {
      const now = times[0]!;
      const id = ids[0]!;
      siftDownLast(times, seqs, ids, last);
      const delay = generators[id]!.next().value as number;
      siftUpLast(times, seqs, ids, last, now + Math.round(delay * NS_PER_SECOND), nextSeq++, id);
      sink += now;
    }
    heap.nextSeq = nextSeq;
    this.sink = sink;
  }
}
