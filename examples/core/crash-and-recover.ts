/**
 * Crash and recover: what a crash takes with it, and what it must leave behind.
 *
 * Scenario: a worker takes jobs (one every 100 ms) and spends 250 ms on each, several at once.
 * Each job holds a database connection, released in a `finally` block. At t=30s the worker
 * crashes; at t=40s it recovers. The table shows what the engine guarantees:
 *   - jobs in progress at the crash are cancelled, and their `finally` blocks run, so no
 *     connection leaks (open connections drop to 0);
 *   - jobs that arrive while the worker is down are dropped and counted, not queued;
 *   - volatile state (the in-memory cache) is gone after recovery, durable state (the count of
 *     committed jobs) survives;
 *   - the worker's own timers die with it: its once-a-second stats tick stops at the crash and
 *     is restarted by `onRecover`, so there is never a second tick running.
 *
 * Run: npx tsx --conditions=distsim-source examples/core/crash-and-recover.ts
 */
import { Entity, type Message, Simulation } from "distsim";
import { formatTable } from "../support/table.js";

const SEED = 99;
const JOB_GAP_S = 0.1;
const JOB_WORK_S = 0.25;
const CRASH_AT_S = 30;
const RECOVER_AT_S = 40;
const RUN_FOR_S = 60;

class Worker extends Entity<number> {
  openConnections = 0;
  /** Durable: survives a crash (as if synced to disk). */
  committedJobs = 0;
  /** Volatile: lost on a crash. */
  cache = new Map<number, string>();
  ticks = 0;

  constructor(sim: Simulation) {
    super(sim, "worker");
    this.startTicking();
  }

  /** A daemon timer: it never keeps the run alive by itself. */
  private startTicking(): void {
    this.after(1, this.tick, undefined, { daemon: true });
  }

  private readonly tick = (): void => {
    this.ticks++;
    this.startTicking();
  };

  override *handle(job: Message<number>) {
    this.openConnections++;
    try {
      yield JOB_WORK_S;
      this.cache.set(job.payload, "result");
      this.committedJobs++;
    } finally {
      this.openConnections--;
    }
  }

  protected override onCrash(): void {
    this.cache = new Map();
  }

  protected override onRecover(): void {
    this.startTicking();
  }
}

class JobSource extends Entity {
  sent = 0;
  constructor(
    sim: Simulation,
    private readonly worker: Worker,
  ) {
    super(sim, "jobs");
    this.after(JOB_GAP_S, this.next);
  }
  private readonly next = (): void => {
    if (this.now >= RUN_FOR_S) return;
    this.send(this.worker, "job", this.sent++);
    this.after(JOB_GAP_S, this.next);
  };
}

const sim = new Simulation({ seed: SEED });
const worker = new Worker(sim);
new JobSource(sim, worker);
let openAtCrash = 0;
sim.at(CRASH_AT_S, () => {
  openAtCrash = worker.openConnections;
  worker.crash();
});
sim.at(RECOVER_AT_S, () => worker.recover());

const rows: string[][] = [];
const snapshot = (label: string) =>
  rows.push([
    label,
    worker.status,
    String(worker.counters.received),
    String(worker.committedJobs),
    String(worker.counters.droppedWhileDown),
    String(worker.openConnections),
    String(worker.cache.size),
    String(worker.ticks),
  ]);

for (const time of [
  CRASH_AT_S - 0.001,
  CRASH_AT_S,
  RECOVER_AT_S - 0.001,
  RECOVER_AT_S + 5,
  RUN_FOR_S,
]) {
  sim.run({ until: time });
  snapshot(`t=${time}s`);
}
sim.run();

console.log(
  `Crash and recover: a job every ${JOB_GAP_S * 1000} ms, ${JOB_WORK_S * 1000} ms each; ` +
    `crash at ${CRASH_AT_S}s, recover at ${RECOVER_AT_S}s (seed ${SEED})\n`,
);
console.log(
  formatTable(
    [
      "time",
      "status",
      "received",
      "committed",
      "dropped while down",
      "open conns",
      "cache",
      "ticks",
    ],
    rows,
  ),
);
console.log(
  `\nJust before the crash ${openAtCrash} connections were open; right after it, ` +
    `${rows[1]![5]}: every one was released by its job's finally block. ` +
    `Processes left at the end: ${worker.liveProcessCount}.`,
);
