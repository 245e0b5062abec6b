/**
 * Timing harness shared by every throughput figure: warm up, then time `repeats` runs of at
 * least `runSeconds` each and keep the best (the least disturbed by the OS, GC timing and
 * other noise; the runs are all in the JSON). Timing never feeds into a pass/fail exit code.
 */

/** Something that can run a given number of further events of a model already set up. */
export interface HoldRunner {
  run(events: number): void;
}

export interface TimingOptions {
  /** Warm-up runs at least this many events (past one-off start-up events such as first steps). */
  warmupEvents: number;
  /** ... and at least this long, so the JIT has settled. */
  warmupSeconds: number;
  /** Each timed run lasts at least this long. */
  runSeconds: number;
  repeats: number;
}

export interface Rate {
  /** Best events per wall second over the timed runs. */
  best: number;
  /** Every timed run's events per wall second, in order. */
  runs: number[];
  /** Events in each timed run. */
  eventsPerRun: number[];
  warmupEvents: number;
}

/** Chunks last at least this long, so the clock is read rarely compared with the work done. */
const CHUNK_SECONDS = 0.02;

const seconds = (): number => performance.now() / 1000;

/** Warms `runner` up, then measures its events per wall second. */
export function measureRate(runner: HoldRunner, options: TimingOptions): Rate {
  // Warm-up, growing the chunk until one chunk takes CHUNK_SECONDS.
  let chunk = 1_000;
  let warmed = 0;
  const warmStart = seconds();
  while (warmed < options.warmupEvents || seconds() - warmStart < options.warmupSeconds) {
    const start = seconds();
    runner.run(chunk);
    warmed += chunk;
    if (seconds() - start < CHUNK_SECONDS) chunk *= 2;
  }
  const runs: number[] = [];
  const eventsPerRun: number[] = [];
  for (let r = 0; r < options.repeats; r++) {
    let events = 0;
    const start = seconds();
    let elapsed = 0;
    do {
      runner.run(chunk);
      events += chunk;
      elapsed = seconds() - start;
    } while (elapsed < options.runSeconds);
    runs.push(events / elapsed);
    eventsPerRun.push(events);
  }
  return { best: Math.max(...runs), runs, eventsPerRun, warmupEvents: warmed };
}

/** Full garbage collection if node runs with --expose-gc; otherwise nothing. */
export function collectGarbage(): boolean {
  const gc = (globalThis as { gc?: () => void }).gc;
  if (gc === undefined) return false;
  gc();
  gc();
  return true;
}
