/**
 * The one place distsim reads a wall clock. It measures how long a run took for the run
 * summary (wall seconds, events per wall second) and for the benchmark; it never feeds into
 * simulated time, ordering or randomness, so it cannot make two runs of one seed differ.
 * `performance` exists in Node and in browsers alike.
 */
export function wallMilliseconds(): number {
  return globalThis.performance.now();
}
