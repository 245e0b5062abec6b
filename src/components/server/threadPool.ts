/**
 * `ThreadPool`: a fixed set of worker threads taking tasks from one queue, like a Java
 * `ExecutorService` or a Python `ThreadPoolExecutor`. Each task runs on one worker for a time
 * given by `taskTime`, a distribution or a function of the task itself (a resize job knows its
 * image size, a query its row count); idle workers take the next task in FIFO or LIFO order;
 * beyond `queueCapacity` waiting tasks, new ones are refused at once.
 *
 * Why not a `Server`: a server models a service that requests visit, with a service time drawn
 * per request; a pool models the executor inside a process, so (1) tasks carry their own cost
 * (`taskTime(task)`), which is what makes mixing slow and fast tasks in one pool interesting,
 * (2) model code submits work directly, `const result = yield* wait(pool.submit(task))`, with
 * no message or caller entity, and (3) it reports what an executor's operator watches: idle
 * workers, queued tasks, and how long tasks wait for a worker. It also accepts calls, like a
 * server, so it can sit behind a load balancer.
 *
 * Workers, queue and their statistics are a `SlotPool` (src/components/resource).
 *
 * @example
 * const pool = new ThreadPool<Resize, Resize>(sim, "resizer", {
 *   workers: 8,
 *   taskTime: (task) => 0.002 + task.megapixels * 0.01,
 *   queueCapacity: 100,
 * });
 * const done = yield* wait(pool.submit({ megapixels: 12 })); // throws RemoteError if refused
 */
import { type CatalogEntry, knobs } from "../../catalog/entry.js";
import { Entity, type EntityMetrics } from "../../core/entity.js";
import type { SimFuture } from "../../core/future.js";
import type { Message } from "../../core/message.js";
import type { Simulation } from "../../core/simulation.js";
import { ConfigError, RemoteError, SimulationError } from "../../errors/errors.js";
import { Histogram } from "../../metrics/histogram.js";
import { constant } from "../../random/distributions/closedForm.js";
import { type Distribution, isDistribution } from "../../random/distributions/distribution.js";
import type { QueueDiscipline } from "../resource/queueDiscipline.js";
import {
  checkSlotPoolOptions,
  REJECTED_BY_DISCIPLINE,
  REJECTED_FULL,
  SlotPool,
} from "../resource/slotPool.js";
import { dropsByReason, percentiles, stationStats } from "../resource/statistics.js";
import { DEADLINE_EXPIRED } from "../shared/deadline.js";
import { RequestLedger } from "../shared/requestLedger.js";
import {
  optionalBoolean,
  optionalFunction,
  requireEntity,
  requireInteger,
} from "../shared/validate.js";
import { type HandOnStats, handOnStats, StageAnswer } from "./stage.js";

export interface ThreadPoolOptions<Task, Result> {
  /** Worker threads (integer >= 1). */
  workers: number;
  /**
   * Seconds each task runs: a distribution (drawn from the pool's `task` stream), or a
   * function of the task (must return a finite number >= 0). Default `dist.constant(0.01)`.
   */
  taskTime?: Distribution | ((task: Task) => number);
  /**
   * Which waiting task runs next: "fifo" (oldest), "lifo" (newest), or a queue discipline of
   * its own (`fifo()`, `lifo()`, or your own `QueueDiscipline`). Default "fifo".
   */
  queuePolicy?: "fifo" | "lifo" | QueueDiscipline<PoolTask<Task, Result>>;
  /**
   * Most tasks that may wait for a worker; more are refused at once. Default unlimited (a run
   * whose queue passes `sim.limits.maxQueueLength` fails with a `RunawayError`).
   */
  queueCapacity?: number;
  /**
   * What a finished task yields (the reply to a call, the value of `submit`). Default: the
   * task. Not with `next`.
   */
  result?: (task: Task) => Result;
  /**
   * The next stage of a pipeline: after its run here, a task goes on to `next` (a call's kind
   * and payload; a submitted task as a "task" call) and frees its worker; the caller (or the
   * submitter's future) gets `next`'s answer, or its refusal, when the chain has finished.
   * Default: none (the pool answers itself).
   */
  next?: Entity<Task, Result>;
  /**
   * Never run a task whose deadline has come: a call's request deadline (`Message.deadline`),
   * or for `submit` the deadline of the request being handled when it was submitted. It is
   * not admitted if already expired, and dropped instead of started when its turn comes;
   * counted in `expired`; a caller gets the failure "deadline expired" (usually as a late
   * reply), a submitter's future rejects with it. Default false.
   */
  dropExpired?: boolean;
}

/**
 * A snapshot of what a thread pool has done. At every instant (crashes and `sim.resetStats()`
 * included): `requests = completed + rejected + expired + lostToCrash + active + queued`. Time averages
 * and histograms cover the pool's lifetime: since its creation or the last reset.
 */
export interface ThreadPoolStats extends Partial<HandOnStats> {
  /** Tasks received: calls and `submit`s. */
  readonly requests: number;
  readonly completed: number;
  /** Refused (the queue was full; the pool was down, for `submit`) or dropped while waiting by the queue policy. */
  readonly rejected: number;
  /** Tasks never run because their deadline had come; present only with `dropExpired`. */
  readonly expired?: number;
  /** Tasks lost because the pool crashed while they waited or ran. */
  readonly lostToCrash: number;
  /** Workers running a task now. */
  readonly active: number;
  /** Workers idle now. */
  readonly idle: number;
  /** Tasks waiting for a worker now. */
  readonly queued: number;
  /** Time-average fraction of workers running a task. */
  readonly utilization: number;
  /** Time-average number of tasks waiting. */
  readonly meanQueued: number;
  /** Time-average number of tasks running or waiting. */
  readonly meanInSystem: number;
  /** Fraction of accepted tasks that had to wait for a worker. */
  readonly probabilityOfWaiting: number;
  /** Seconds a started task waited for a worker (0 when none started); percentiles in `waitTime` and `metrics()`. */
  readonly meanWait: number;
  /** Seconds from submission to the end of a task, over completed tasks (0 when none); percentiles in `sojournTime` and `metrics()`. */
  readonly meanSojourn: number;
}

function taskDeadlineNs(entry: PoolTask<unknown, unknown>): number {
  return entry.deadlineNs;
}

/** A task waiting or running: where its result goes (a caller's reply or a future). */
export interface PoolTask<Task, Result> {
  readonly task: Task;
  readonly message: Message<Task> | null;
  readonly future: SimFuture<Result> | null;
  readonly submittedNs: number;
  /** When whoever waits for it gives up (integer ns; Infinity for none): see `dropExpired`. */
  readonly deadlineNs: number;
}

export class ThreadPool<Task = unknown, Result = Task> extends Entity<Task, Result> {
  static readonly catalog: CatalogEntry = {
    name: "ThreadPool",
    kind: "component",
    role: "flow",
    layer: "local",
    contract:
      "Runs each task (a call, or submit(task) from model code) on one of `workers` threads for taskTime (drawn, or computed from the task); waiting tasks run in FIFO or LIFO order; beyond queueCapacity tasks are refused at once; the result goes back as the reply or the future's value (or, with `next`, the task goes on to the next stage, whose answer goes back). With dropExpired, a task whose deadline has come is never run (counted in expired).",
    requires: ["WorkerPool", "BoundedQueue", "Timer", "Cost"],
    provides: ["Bounded"],
    inputs: ["tasks (call, or submit from model code)"],
    outputs: [
      "results (replies, resolved futures)",
      "refusals (RemoteError)",
      "requests, completed, rejected, expired, active, idle, queued, utilization, wait and sojourn times",
    ],
    state: "the task queue and the tasks running (volatile)",
    failure_semantics:
      "A crash loses every waiting and running task (counted in lostToCrash): callers time out, submitted futures reject with RemoteError. A full queue refuses at once rather than delaying.",
    composition_rules: ["Server", "AsyncServer", "Bulkhead", "LoadBalancer"],
    operational_knobs: knobs<ThreadPoolOptions<unknown, unknown>>()(
      "workers",
      "taskTime",
      "queuePolicy",
      "queueCapacity",
      "result",
      "next",
      "dropExpired",
    ),
  };

  readonly workers: number;
  readonly queueCapacity: number;
  /** Whether tasks whose deadline has come are dropped instead of run. */
  readonly dropExpired: boolean;
  /** The next stage of the pipeline, or null. */
  readonly next: Entity<Task, Result> | null;
  private readonly taskTime: Distribution | ((task: Task) => number);
  private readonly result: ((task: Task) => Result) | null;
  private readonly draws = this.random("task");
  private readonly slots: SlotPool<PoolTask<Task, Result>>;
  private _sojournTime = new Histogram();
  /** Tasks running now, so a crash can fail their futures. */
  private readonly running = new Set<PoolTask<Task, Result>>();
  /** What waited when the pool crashed (handed over by the pool, failed in onCrash). */
  private lostWaiting: readonly PoolTask<Task, Result>[] = [];
  /** Tasks run here and handed on to `next`, waiting for its answer. */
  private readonly handedOn = new Set<PoolTask<Task, Result>>();
  /** The books of the tasks handed on to `next`; null without `next` (nothing to count). */
  private readonly ledger: RequestLedger | null;
  private counts = { requests: 0, completed: 0, rejected: 0 };

  constructor(sim: Simulation, name: string, options: ThreadPoolOptions<Task, Result>) {
    // Checked before registering: a refused pool leaves no entity behind.
    const config = checkThreadPoolOptions(sim, name, options);
    super(sim, name);
    this.workers = config.workers;
    this.taskTime = config.taskTime;
    this.result = config.result;
    this.next = config.next;
    // Only with a next stage: a pool without one registers no hook and keeps no books.
    this.ledger = config.next === null ? null : new RequestLedger(this as Entity<never, unknown>);
    this.slots = new SlotPool<PoolTask<Task, Result>>(
      this as Entity<never, unknown>,
      config.component,
      {
        ...config.slots,
        start: this.begin,
        // Its queue policy gave up on a waiting task (codel, deadlineQueue): tell its caller.
        dropped: (entry, reason) => {
          this.counts.rejected++;
          if (entry.message !== null) this.fail(entry.message, reason);
          else entry.future!.reject(new RemoteError(reason, this.name));
        },
        crashed: (lost) => {
          this.lostWaiting = lost;
        },
        deadlineOf: config.dropExpired ? taskDeadlineNs : null,
        expired: (entry) => {
          if (entry.message !== null) this.fail(entry.message, DEADLINE_EXPIRED);
          else entry.future!.reject(new RemoteError(DEADLINE_EXPIRED, this.name));
        },
      },
    );
    this.dropExpired = config.dropExpired;
    this.queueCapacity = this.slots.queueCapacity;
  }

  /**
   * What the queue policy refused at the door or dropped while waiting, by reason ("codel",
   * "deadline", ...); counted in `rejected` too. Restarts with the statistics.
   */
  get drops(): Readonly<Record<string, number>> {
    return this.slots.drops;
  }

  /** Seconds a task waited for a worker, per task started. */
  get waitTime(): Histogram {
    return this.slots.waitTime;
  }

  /** Seconds from submission to the end, per task completed. */
  get sojournTime(): Histogram {
    return this._sojournTime;
  }

  get stats(): ThreadPoolStats {
    const slots = this.slots;
    return {
      ...this.counts,
      // Only with the option: without it the count cannot move, and summaries stay as they were.
      ...(this.dropExpired ? { expired: slots.expired } : null),
      lostToCrash: slots.lostToCrash,
      active: slots.active,
      idle: this.workers - slots.active,
      queued: slots.queued,
      ...stationStats(slots, this._sojournTime),
      ...handOnStats(this.ledger),
    };
  }

  /** `stats`, plus the percentiles (p50, p90, p99, p999) of the wait and sojourn times. */
  override metrics(): EntityMetrics {
    return {
      ...this.stats,
      ...percentiles("Wait", this.waitTime),
      ...percentiles("Sojourn", this._sojournTime),
      ...dropsByReason(this.drops),
    };
  }

  /**
   * Submits a task from model code: the future resolves with its result when it finishes, or
   * rejects with `RemoteError` if the queue is full (or the pool is down). Wait for it
   * (`yield* wait(future)`): an unobserved rejection fails the run.
   */
  submit(task: Task): SimFuture<Result> {
    const future = this.future<Result>(`task on ${this.name}`);
    this.counts.requests++;
    if (!this.isUp) {
      this.counts.rejected++;
      future.reject(new RemoteError("thread pool is down", this.name));
      return future;
    }
    const reason = this.enqueue({
      task,
      message: null,
      future,
      submittedNs: this.nowNs,
      // The deadline of the request being handled, as a call made here would inherit it.
      deadlineNs: this.sim._currentDeadlineNs,
    });
    if (reason !== null) future.reject(new RemoteError(reason, this.name));
    return future;
  }

  override handle(request: Message<Task>): void {
    this.counts.requests++;
    const reason = this.enqueue({
      task: request.payload,
      message: request,
      future: null,
      submittedNs: this.nowNs,
      deadlineNs: request.deadlineNs,
    });
    if (reason !== null) this.fail(request, reason);
  }

  /** Starts the task or queues it; returns why it was refused, or null. */
  private enqueue(entry: PoolTask<Task, Result>): string | null {
    const admission = this.slots.admit(entry);
    if (admission >= REJECTED_FULL) {
      this.counts.rejected++;
      return admission === REJECTED_BY_DISCIPLINE
        ? this.slots.lastRefusal
        : `queue full (${this.queueCapacity} waiting)`;
    }
    return null;
  }

  /** The pool gave the task a worker: run it. */
  private readonly begin = (entry: PoolTask<Task, Result>): void => {
    const seconds = this.workTime(this.runTime(entry.task));
    this.running.add(entry);
    this.after(seconds, this.finish, entry);
  };

  private runTime(task: Task): number {
    const taskTime = this.taskTime;
    if (isDistribution(taskTime)) return taskTime.sample(this.draws, this.now);
    const seconds = taskTime(task);
    if (typeof seconds !== "number" || !Number.isFinite(seconds) || seconds < 0) {
      throw new SimulationError(
        `taskTime(task) returned ${String(seconds)}; expected a finite number of seconds >= 0`,
        this.name,
        this.nowNs,
      );
    }
    return seconds;
  }

  private readonly finish = (entry: PoolTask<Task, Result>): void => {
    this.running.delete(entry);
    this.counts.completed++;
    this._sojournTime.record((this.nowNs - entry.submittedNs) / 1e9);
    if (this.next !== null) {
      this.handOn(entry);
    } else {
      const value =
        this.result === null ? (entry.task as unknown as Result) : this.result(entry.task);
      if (entry.message !== null) this.reply(entry.message, value);
      else entry.future!.resolve(value);
    }
    this.slots.release();
  };

  /** Sends a finished task on to the next stage; its answer becomes the task's result. */
  private handOn(entry: PoolTask<Task, Result>): void {
    const message = entry.message;
    let answer: SimFuture<Result>;
    if (message !== null) {
      answer = this.request(this.next!, message.kind, entry.task, { causedBy: message });
    } else {
      // A submitted task has no message to continue, and its run ends in a timer, where no
      // deadline is current: the call inherits the one the task was submitted under.
      const sim = this.sim;
      const current = sim._currentDeadlineNs;
      sim._currentDeadlineNs = entry.deadlineNs;
      try {
        answer = this.request(this.next!, "task", entry.task);
      } finally {
        sim._currentDeadlineNs = current;
      }
    }
    this.handedOn.add(entry);
    this.ledger!.open();
    answer.addListener(new StageAnswer(this, entry, answer));
  }

  /** @internal The next stage answered (or refused) a task handed on. */
  _stageAnswered(entry: PoolTask<Task, Result>, answer: SimFuture<Result>): void {
    // Not there: this pool crashed meanwhile, and the crash failed the task.
    if (!this.handedOn.delete(entry)) return;
    if (answer.state === "resolved") {
      this.ledger!.settle("answer");
      if (entry.message !== null) this.reply(entry.message, answer.value);
      else entry.future!.resolve(answer.value);
    } else if (answer.state === "rejected") {
      // Refused by the next stage (a full queue, a reset): the hand-on carries no timeout.
      this.ledger!.settle("refused");
      if (!(answer.error instanceof RemoteError)) return;
      if (entry.message !== null) this.fail(entry.message, answer.error.reason);
      else entry.future!.reject(new RemoteError(answer.error.reason, this.name));
    } else if (answer.state === "cancelled") {
      // This pool crashed, cancelling its call: a caller times out, a submitter is told.
      entry.future?.reject(new RemoteError("thread pool crashed", this.name));
    }
  }

  protected override onCrash(): void {
    // The crash cancelled the run timers and the pool (a lifecycle hook) counted the loss and
    // handed over what waited; every waiting and running task is gone. Callers by message
    // time out; submitters are told (their futures are not owned by any process).
    const lost = [...this.running, ...this.lostWaiting, ...this.handedOn];
    this.running.clear();
    this.handedOn.clear();
    this.lostWaiting = [];
    for (const entry of lost) {
      entry.future?.reject(new RemoteError("thread pool crashed", this.name));
    }
  }

  protected override onResetStats(): void {
    // Work in flight is counted again as received, so the identity keeps holding.
    this.counts = { requests: this.slots.active + this.slots.queued, completed: 0, rejected: 0 };
    this._sojournTime = new Histogram();
  }
}

/** A thread pool's options, checked and defaulted, before the pool registers. */
function checkThreadPoolOptions<Task, Result>(
  sim: Simulation,
  name: string,
  options: ThreadPoolOptions<Task, Result>,
) {
  const component = `ThreadPool "${name}"`;
  const workers = requireInteger(component, "workers", options?.workers, 1);
  const taskTime = options.taskTime ?? constant(0.01);
  if (!isDistribution(taskTime) && typeof taskTime !== "function") {
    throw new ConfigError(
      component,
      "taskTime",
      "a Distribution of seconds or a function (task) => seconds",
      taskTime,
    );
  }
  const dropExpired = optionalBoolean(component, "dropExpired", options.dropExpired, false);
  const slots = {
    capacity: workers,
    capacityOption: "workers",
    discipline: options.queuePolicy ?? "fifo",
    disciplineOption: "queuePolicy",
    queueCapacity: options.queueCapacity,
  };
  checkSlotPoolOptions(component, slots);
  const result = optionalFunction(
    component,
    "result",
    options.result,
    "a function (task) => result",
  );
  const next =
    options.next === undefined
      ? null
      : (requireEntity(component, "next", options.next, sim, Entity) as Entity<Task, Result>);
  if (next !== null && result !== null) {
    throw new ConfigError(
      component,
      "result",
      "unset when next is given (the result is the next stage's answer)",
      result,
    );
  }
  return { component, workers, taskTime, result, next, slots, dropExpired };
}
