/**
 * The ceiling: a minimal hand-written hold loop on a typed-array binary heap, with the same
 * PRNG, the same exponential transform, the same (time, seq) ordering and the same integer-ns
 * rounding as the engine, but no dispatch, no slots, no entities. What the engine reaches as a
 * fraction of this is the cost of being a general simulator.
 */
import { deriveGenerator, type Xoshiro128 } from "../src/random/prng.js";

/** One process body shared by all generators (no closure per generator, as in the engine). */
function* bareProcess(rng: Xoshiro128): Generator<number, void, unknown> {
  for (;;) yield -Math.log(1 - rng.nextDouble());
}

/** Events per wall second of the bare heap hold loop with `pending` events, over `operations` pops. */
export function baselineHold(pending: number, operations: number, withGenerators = false): number {
  const rng = deriveGenerator(1, "baseline", "hold");
  const times = new Float64Array(pending + 1);
  const seqs = new Float64Array(pending + 1);
  const ids = new Int32Array(pending + 1);
  let size = 0;
  let nextSeq = 0;
  let poppedId = 0;

  const push = (time: number, id: number): void => {
    let i = size++;
    const seq = nextSeq++;
    while (i > 0) {
      const parent = (i - 1) >> 1;
      if (times[parent]! <= time) break;
      times[i] = times[parent]!;
      seqs[i] = seqs[parent]!;
      ids[i] = ids[parent]!;
      i = parent;
    }
    times[i] = time;
    seqs[i] = seq;
    ids[i] = id;
  };

  const pop = (): number => {
    const top = times[0]!;
    poppedId = ids[0]!;
    const n = --size;
    if (n > 0) {
      const time = times[n]!;
      const seq = seqs[n]!;
      const id = ids[n]!;
      const half = n >> 1;
      let i = 0;
      while (i < half) {
        let child = 2 * i + 1;
        let childTime = times[child]!;
        let childSeq = seqs[child]!;
        const right = child + 1;
        if (
          right < n &&
          (times[right]! < childTime || (times[right] === childTime && seqs[right]! < childSeq))
        ) {
          child = right;
          childTime = times[right]!;
          childSeq = seqs[right]!;
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
    return top;
  };

  // The "bare generators" variant resumes one plain V8 generator per pending event: the floor
  // for any process-based engine, since it is what every process step must at least do.
  const generators: Generator<number, void, unknown>[] = [];
  for (let i = 0; i < pending; i++) {
    let delay: number;
    if (withGenerators) {
      const generator = bareProcess(rng);
      generators.push(generator);
      delay = generator.next().value as number;
    } else {
      delay = -Math.log(1 - rng.nextDouble());
    }
    push(Math.round(delay * 1e9), i);
  }
  const start = performance.now();
  for (let k = 0; k < operations; k++) {
    const now = pop();
    const delay = withGenerators
      ? (generators[poppedId]!.next().value as number)
      : -Math.log(1 - rng.nextDouble());
    push(now + Math.round(delay * 1e9), poppedId);
  }
  return operations / ((performance.now() - start) / 1000);
}
