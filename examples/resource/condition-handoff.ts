/**
 * Handing work from producers to consumers through shared state: polling it vs waiting on a
 * `Condition`, and why the wait must sit in a loop that re-checks the state.
 *
 * Scenario: jobs arrive at 100 a second (Poisson) for 60 s and are put on a shared list under a
 * `Mutex`. Four consumers take jobs off the list and work on each for 10 ms (exponential), so
 * they are idle three quarters of the time. What differs is how an idle consumer learns a job is there:
 * - polling every 10 ms: take the mutex, look, let go and sleep if the list is empty. A job
 *   waits for some consumer's next look, and most looks find nothing: an idle consumer wakes
 *   100 times a second whether or not there is work.
 * - condition, while-loop: wait on "not empty" while the list is empty; each put notifies one
 *   waiter. A job is taken the instant it is put, and a consumer wakes only for a job (a busy
 *   consumer coming back could take it first; the loop makes that harmless).
 * - condition, if + notifyAll: the same, but a put wakes every idle consumer and each checks the
 *   list once (`if`) instead of in a loop. The first takes the job; the others take from an
 *   empty list, a bug the model counts instead of crashing.
 *
 * Run: npx tsx --conditions=distsim-source examples/resource/condition-handoff.ts
 */
import { arrivals, Condition, Entity, type Message, Mutex, Simulation, Source } from "distsim";
import { formatTable, percentile } from "../support/table.js";

const SEED = 5;
const RUN_FOR_S = 60;
const JOBS_PER_S = 100;
const CONSUMERS = 4;
const WORK_S = 0.01;
const POLL_EVERY_S = 0.01;

type Design = "polling" | "condition, while" | "condition, if + notifyAll";

/** The shared list: each job is the time it was put. */
class Jobs extends Entity<number> {
  readonly list: number[] = [];
  readonly mutex = new Mutex(this, { name: "jobs" });
  readonly notEmpty = new Condition(this.mutex, { name: "not empty" });
  readonly handoffDelays: number[] = [];
  /** Wakeups (a poll after a sleep, a return from `wait`) that found the list empty. */
  wastedWakeups = 0;
  tookFromEmpty = 0;

  constructor(
    sim: Simulation,
    private readonly design: Design,
  ) {
    super(sim, "jobs");
    for (let i = 0; i < CONSUMERS; i++) this.start(() => this.consume(i));
  }

  /** A producer's put: one job per arrival. */
  override *handle(_arrival: Message<number>) {
    const hold = yield* this.mutex.acquire();
    try {
      this.list.push(this.now);
      if (this.design === "condition, while") this.notEmpty.notify();
      else if (this.design === "condition, if + notifyAll") this.notEmpty.notifyAll();
    } finally {
      this.mutex.release(hold);
    }
  }

  private *consume(index: number) {
    const work = this.random(`work/${index}`);
    for (;;) {
      const putAt = yield* this.take();
      if (putAt === undefined) continue;
      this.handoffDelays.push(this.now - putAt);
      yield work.exponential(WORK_S);
    }
  }

  /** One job off the list, the way the design waits for it (undefined: took from empty). */
  private *take() {
    for (let slept = false; ; slept = true) {
      const hold = yield* this.mutex.acquire();
      try {
        if (this.design === "polling") {
          if (this.list.length > 0) return this.list.shift();
          if (slept) this.wastedWakeups++;
        } else if (this.design === "condition, while") {
          while (this.list.length === 0) {
            yield* this.notEmpty.wait(hold);
            if (this.list.length === 0) this.wastedWakeups++;
          }
          return this.list.shift();
        } else {
          if (this.list.length === 0) {
            yield* this.notEmpty.wait(hold);
            if (this.list.length === 0) this.wastedWakeups++;
          }
          if (this.list.length === 0) {
            this.tookFromEmpty++;
            return undefined;
          }
          return this.list.shift();
        }
      } finally {
        this.mutex.release(hold);
      }
      yield POLL_EVERY_S;
    }
  }
}

const rows: string[][] = [];
for (const design of ["polling", "condition, while", "condition, if + notifyAll"] as const) {
  const sim = new Simulation({ seed: SEED });
  const jobs = new Jobs(sim, design);
  new Source(sim, "producers", {
    target: jobs,
    arrivals: arrivals.poisson(JOBS_PER_S),
    stopAfter: { time: RUN_FOR_S },
  });
  sim.run({ until: RUN_FOR_S });
  const taken = jobs.handoffDelays.length;
  rows.push([
    design,
    String(taken),
    ((jobs.handoffDelays.reduce((sum, d) => sum + d, 0) / taken) * 1000).toFixed(2),
    (percentile(jobs.handoffDelays, 0.99) * 1000).toFixed(2),
    (jobs.wastedWakeups / taken).toFixed(2),
    String(jobs.tookFromEmpty),
  ]);
}

console.log(
  `${JOBS_PER_S} jobs/s for ${RUN_FOR_S} s onto a shared list; ${CONSUMERS} consumers, ${WORK_S * 1000} ms of work per job ` +
    `(polling every ${POLL_EVERY_S * 1000} ms; seed ${SEED})\n`,
);
console.log(
  formatTable(
    [
      "how consumers wait",
      "jobs taken",
      "mean handoff (ms)",
      "p99 handoff (ms)",
      "wakeups finding nothing per job",
      "took from empty list",
    ],
    rows,
  ),
);
