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
import { TimeWeightedGauge } from "../../metrics/timeWeightedGauge.js";
import { constant } from "../../random/distributions/closedForm.js";
import { type Distribution, isDistribution } from "../../random/distributions/distribution.js";
import {
  optionalFunction,
  requireInteger,
  requireQueueCapacity,
  requireQueuePolicy,
} from "../shared/validate.js";
import { WaitingLine } from "./waitingLine.js";

export interface ThreadPoolOptions<Task, Result> {
  /** Worker threads (integer >= 1). */
  workers: number;
  /**
   * Seconds each task runs: a distribution (drawn from the pool's `task` stream), or a
   * function of the task (must return a finite number >= 0). Default `dist.constant(0.01)`.
   */
  taskTime?: Distribution | ((task: Task) => number);
  /** Which waiting task runs next: "fifo" (oldest) or "lifo" (newest). Default "fifo". */
  queuePolicy?: "fifo" | "lifo";
  /** Most tasks that may wait for a worker; more are refused at once. Default unlimited. */
  queueCapacity?: number;
  /** What a finished task yields (the reply to a call, the value of `submit`). Default: the task. */
  result?: (task: Task) => Result;
}

/** A snapshot of what a thread pool has done. */
export interface ThreadPoolStats {
  readonly tasksCompleted: number;
  /** Refused at once: the queue was full (or the pool was down, for `submit`). */
  readonly tasksRejected: number;
  /** Tasks lost because the pool crashed while they waited or ran. */
  readonly tasksLostToCrash: number;
  readonly activeWorkers: number;
  readonly idleWorkers: number;
  /** Tasks waiting for a worker now. */
  readonly queuedTasks: number;
  /** Time-average fraction of workers running a task since the start. */
  readonly workerUtilization: number;
  /** Time-average number of tasks waiting. */
  readonly meanQueuedTasks: number;
  /** Mean seconds a started task waited for a worker (0 when none started). */
  readonly meanQueueWait: number;
  /** 99th percentile of that wait, in seconds (1% relative accuracy; 0 when none started). */
  readonly p99QueueWait: number;
}

/** A task waiting or running: where its result goes (a caller's reply or a future). */
interface PoolTask<Task, Result> {
  readonly task: Task;
  readonly message: Message<Task> | null;
  readonly future: SimFuture<Result> | null;
  readonly submittedNs: number;
}

export class ThreadPool<Task = unknown, Result = Task> extends Entity<Task, Result> {
  static readonly catalog: CatalogEntry = {
    name: "ThreadPool",
    kind: "component",
    role: "flow",
    layer: "local",
    contract:
      "Runs each task (a call, or submit(task) from model code) on one of `workers` threads for taskTime (drawn, or computed from the task); waiting tasks run in FIFO or LIFO order; beyond queueCapacity tasks are refused at once; the result goes back as the reply or the future's value.",
    requires: ["WorkerPool", "BoundedQueue", "Timer", "Cost"],
    provides: ["Bounded"],
    inputs: ["tasks (call, or submit from model code)"],
    outputs: [
      "results (replies, resolved futures)",
      "refusals (RemoteError)",
      "activeWorkers, idleWorkers, queuedTasks, workerUtilization, queue wait",
    ],
    state: "the task queue and the tasks running (volatile)",
    failure_semantics:
      "A crash loses every waiting and running task (counted in tasksLostToCrash): callers time out, submitted futures reject with RemoteError. A full queue refuses at once rather than delaying.",
    composition_rules: ["Server", "AsyncServer", "Bulkhead", "LoadBalancer"],
    operational_knobs: knobs<ThreadPoolOptions<unknown, unknown>>()(
      "workers",
      "taskTime",
      "queuePolicy",
      "queueCapacity",
      "result",
    ),
  };

  readonly workers: number;
  readonly queueCapacity: number;
  private readonly taskTime: Distribution | ((task: Task) => number);
  private readonly result: ((task: Task) => Result) | null;
  private readonly draws = this.random("task");
  private readonly queue: WaitingLine<PoolTask<Task, Result>>;
  private readonly busy: TimeWeightedGauge;
  private readonly queued: TimeWeightedGauge;
  private readonly queueWait = new Histogram();
  /** Tasks running now, so a crash can fail their futures. */
  private readonly running = new Set<PoolTask<Task, Result>>();
  private counts = { tasksCompleted: 0, tasksRejected: 0, tasksLostToCrash: 0 };

  constructor(sim: Simulation, name: string, options: ThreadPoolOptions<Task, Result>) {
    super(sim, name);
    const component = `ThreadPool "${name}"`;
    this.workers = requireInteger(component, "workers", options?.workers, 1);
    const taskTime = options.taskTime ?? constant(0.01);
    if (!isDistribution(taskTime) && typeof taskTime !== "function") {
      throw new ConfigError(
        component,
        "taskTime",
        "a Distribution of seconds or a function (task) => seconds",
        taskTime,
      );
    }
    this.taskTime = taskTime;
    this.queue = new WaitingLine(requireQueuePolicy(component, options.queuePolicy ?? "fifo"));
    this.queueCapacity = requireQueueCapacity(component, options.queueCapacity);
    this.result = optionalFunction(
      component,
      "result",
      options.result,
      "a function (task) => result",
    );
    this.busy = new TimeWeightedGauge(sim, 0);
    this.queued = new TimeWeightedGauge(sim, 0);
  }

  get stats(): ThreadPoolStats {
    const wait = this.queueWait;
    const active = this.busy.value;
    return {
      ...this.counts,
      activeWorkers: active,
      idleWorkers: this.workers - active,
      queuedTasks: this.queued.value,
      workerUtilization: this.nowNs > 0 ? this.busy.mean / this.workers : 0,
      meanQueuedTasks: this.nowNs > 0 ? this.queued.mean : 0,
      meanQueueWait: wait.count > 0 ? wait.mean : 0,
      p99QueueWait: wait.count > 0 ? wait.p99 : 0,
    };
  }

  override metrics(): EntityMetrics {
    return { ...this.stats };
  }

  /**
   * Submits a task from model code: the future resolves with its result when it finishes, or
   * rejects with `RemoteError` if the queue is full (or the pool is down). Wait for it
   * (`yield* wait(future)`): an unobserved rejection fails the run.
   */
  submit(task: Task): SimFuture<Result> {
    const future = this.future<Result>(`task on ${this.name}`);
    if (!this.isUp) {
      this.counts.tasksRejected++;
      future.reject(new RemoteError("thread pool is down", this.name));
      return future;
    }
    const reason = this.enqueue({ task, message: null, future, submittedNs: this.nowNs });
    if (reason !== null) future.reject(new RemoteError(reason, this.name));
    return future;
  }

  override handle(request: Message<Task>): void {
    const reason = this.enqueue({
      task: request.payload,
      message: request,
      future: null,
      submittedNs: this.nowNs,
    });
    if (reason !== null) this.fail(request, reason);
  }

  /** Starts the task or queues it; returns why it was refused, or null. */
  private enqueue(entry: PoolTask<Task, Result>): string | null {
    if (this.busy.value < this.workers) {
      this.begin(entry);
    } else if (this.queued.value < this.queueCapacity) {
      this.queue.push(entry);
      this.queued.add(1);
    } else {
      this.counts.tasksRejected++;
      return `queue full (${this.queueCapacity} waiting)`;
    }
    return null;
  }

  private begin(entry: PoolTask<Task, Result>): void {
    const seconds = this.runTime(entry.task);
    this.busy.add(1);
    this.running.add(entry);
    this.queueWait.record((this.nowNs - entry.submittedNs) / 1e9);
    this.after(seconds, this.finish, entry);
  }

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
    this.busy.add(-1);
    this.running.delete(entry);
    this.counts.tasksCompleted++;
    const value =
      this.result === null ? (entry.task as unknown as Result) : this.result(entry.task);
    if (entry.message !== null) this.reply(entry.message, value);
    else entry.future!.resolve(value);
    if (this.queue.length > 0) {
      this.queued.add(-1);
      this.begin(this.queue.take());
    }
  };

  protected override onCrash(): void {
    // The crash cancelled the run timers; every waiting and running task is gone. Callers by
    // message time out; submitters are told (their futures are not owned by any process).
    const lost = [...this.running];
    lost.push(...this.queue.clear());
    this.counts.tasksLostToCrash += lost.length;
    this.running.clear();
    this.busy.set(0);
    this.queued.set(0);
    for (const entry of lost) {
      entry.future?.reject(new RemoteError("thread pool crashed", this.name));
    }
  }
}
