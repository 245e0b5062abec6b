/**
 * `MessageQueue`: a broker's queue with competing consumers and at-least-once delivery (SQS,
 * RabbitMQ, a job queue). Producers publish (`queue.publish(body)` from code, or any message
 * sent to it: `call(queue, "publish", body)` answers with the message id, a `Source` can target
 * it); consumers take messages two ways, as real clients do:
 *
 * - pull, from a process: `const delivery = yield* queue.receive({ maxWait })` (an SQS
 *   `ReceiveMessage` with long polling);
 * - push: `queue.addConsumer(worker, { prefetch })` sends `"deliver"` messages (payload: the
 *   `Delivery`) to the worker entity, at most `prefetch` unacknowledged at a time (an AMQP
 *   consumer with `basic.qos`).
 *
 * A consumer settles each delivery: `delivery.ack()` (done: the message leaves the queue), or
 * `delivery.reject({ requeue })` (back into the queue, or to the dead-letter queue). A delivery
 * not settled within `visibilityTimeout` seconds (the consumer crashed, or is slow) makes the
 * message visible again: it is redelivered, and since the first consumer may have processed it
 * before it was lost, the redelivery is counted in `duplicates`. That is at-least-once
 * delivery, visible in the numbers. A message that comes back waits `redeliveryDelay` seconds
 * before it is ready again; one delivered `1 + maxRedeliveries` times goes to the dead-letter
 * queue instead of coming back (a poison message), as does one rejected without requeue and one
 * whose `messageTtl` ran out while it waited.
 *
 * Ready messages wait in a line ordered by a queue policy of the resource family (`fifo()`,
 * `priority(...)`, `fairQueue()` with `flowKey`, `deadlineQueue(...)`, ...), bounded by
 * `capacity` with a stated overflow (`"reject"` the new message, or `"dropOldest"`). Depth,
 * the age of the oldest ready message and the unacknowledged backlog are kept as series per
 * window (`recordedSeries()`, `depthSeries()`), exact between events.
 *
 * Conservation, at every instant (crashes and `sim.resetStats()` included):
 * `published = acked + depth + delayed + inFlight + deadLettered + dropped + lostToCrash`, and
 * for deliveries `delivered = acked + nacked + timedOut + inFlight + interrupted`.
 *
 * @example
 * const dlq = new DeadLetterQueue<Job>(sim, "jobs-dlq");
 * const jobs = new MessageQueue<Job>(sim, "jobs", { visibilityTimeout: 30, maxRedeliveries: 3, deadLetterQueue: dlq });
 * worker.start(function* () {
 *   for (;;) {
 *     const delivery = yield* jobs.receive();
 *     yield 0.05; // process delivery.body
 *     delivery.ack();
 *   }
 * });
 */
import { type CatalogEntry, knobs } from "../../catalog/entry.js";
import { Entity, type EntityMetrics, type RecordedSeries } from "../../core/entity.js";
import type { SimFuture } from "../../core/future.js";
import type { Message } from "../../core/message.js";
import type { Simulation } from "../../core/simulation.js";
import { ConfigError, RemoteError, SimulationError, TimeoutError } from "../../errors/errors.js";
import { Histogram } from "../../metrics/histogram.js";
import { type Param, valueAt } from "../../random/profile.js";
import type { DropSink, QueueDiscipline } from "../resource/queueDiscipline.js";
import { bindDiscipline, checkSlotPoolOptions } from "../resource/slotPool.js";
import { countReason, flatReasons, percentiles, reasonCounts } from "../resource/statistics.js";
import { checkWaitOptions, WaitLine, type WaitOptions } from "../resource/waiting.js";
import { queueRanAway } from "../shared/runaway.js";
import {
  optionalFunction,
  requireEntity,
  requireInteger,
  requireSeconds,
  requireSecondsParam,
} from "../shared/validate.js";
import { DeadLetterQueue, type DeadLetterReason } from "./deadLetterQueue.js";
import { LevelSeries } from "./levelSeries.js";

/** What a full queue does with a new message. */
export type OverflowPolicy = "reject" | "dropOldest";

const OVERFLOWS: readonly OverflowPolicy[] = ["reject", "dropOldest"];

export interface MessageQueueOptions<T> {
  /**
   * Seconds a delivery may stay unsettled before the message becomes visible again (> 0): a
   * number or a profile, read at each delivery. Default 30 (SQS's default).
   */
  visibilityTimeout?: Param;
  /**
   * Seconds a message that comes back (rejected with requeue, or its visibility ran out) waits
   * before it is ready again (>= 0): a number or a profile. Default 0.
   */
  redeliveryDelay?: Param;
  /**
   * Times a message may be delivered again after its first delivery (integer >= 0, or
   * Infinity); a message that would come back after `1 + maxRedeliveries` deliveries goes to
   * the dead-letter queue ("maxRedeliveries"). Default Infinity.
   */
  maxRedeliveries?: number;
  /**
   * Where dead letters go (reasons "maxRedeliveries", "rejected", "expired"). Default none:
   * they are dropped, counted in `dropped.<reason>`.
   */
  deadLetterQueue?: DeadLetterQueue<T>;
  /**
   * Seconds a message may live from its publication (> 0): a number or a profile, read at
   * publication. One found past it when its turn comes is dead-lettered ("expired"), as
   * RabbitMQ expires messages at the head of a queue. Default: no limit.
   */
  messageTtl?: Param;
  /**
   * Most ready messages (integer >= 1, or Infinity). A message coming back from a consumer is
   * never refused for room (it was accepted once). Default unlimited (a run whose queue passes
   * `sim.limits.maxQueueLength` ready messages fails with a `RunawayError`).
   */
  capacity?: number;
  /**
   * What a publish into a full queue does: "reject" refuses the new message (the publisher's
   * `publish` throws `RemoteError("queue full")`, a `call` fails), "dropOldest" drops the ready
   * message that has waited longest (`dropped.overflow`) and takes the new one. Default "reject".
   */
  overflow?: OverflowPolicy;
  /**
   * Which ready message is delivered next: "fifo", "lifo", or a queue discipline over
   * `QueuedMessage`s (`priority((m) => m.body.urgent ? 0 : 1)`, `fairQueue()`, ...).
   * Default "fifo".
   */
  queuePolicy?: "fifo" | "lifo" | QueueDiscipline<QueuedMessage<T>>;
  /** The flow a message belongs to, for a fair-queuing policy: a function of its body. */
  flowKey?: (body: T) => string | number;
  /**
   * Whether messages survive the queue's crash. Durable (the default): ready and delayed
   * messages stay, and messages in flight become ready again (their deliveries are
   * `interrupted`, redeliveries counted as `duplicates`). Not durable: everything held is
   * `lostToCrash`.
   */
  durable?: boolean;
  /** Width in seconds of the windows of the depth, age and backlog series (> 0). Default 1. */
  seriesWindow?: number;
}

export interface ConsumerOptions {
  /** Deliveries the consumer may hold unsettled at once (integer >= 1). Default 1. */
  prefetch?: number;
}

export interface RejectOptions {
  /**
   * True: the message goes back into the queue (after `redeliveryDelay`), to be delivered
   * again unless it has used up `maxRedeliveries`. False: it is dead-lettered ("rejected").
   * Default false.
   */
  requeue?: boolean;
}

/**
 * A queue's numbers. At every instant, crashes and resets included:
 * `published = acked + depth + delayed + inFlight + deadLettered + dropped + lostToCrash` and
 * `delivered = acked + nacked + timedOut + inFlight + interrupted`.
 */
export interface MessageQueueStats {
  /** Messages accepted. */
  readonly published: number;
  /** Publishes refused (the queue full under "reject", or the queue policy at the door). */
  readonly rejected: number;
  /** Messages acknowledged by a consumer: done. */
  readonly acked: number;
  /** Messages ready to be delivered now. */
  readonly depth: number;
  /** Messages waiting out their `redeliveryDelay` now. */
  readonly delayed: number;
  /** Messages delivered and not settled yet (unacknowledged). */
  readonly inFlight: number;
  /** Messages moved to the dead-letter queue. */
  readonly deadLettered: number;
  /**
   * Accepted messages dropped: by the overflow ("overflow"), the queue policy (its reasons),
   * `purge()` ("purged"), or a dead letter with no dead-letter queue (its reason).
   */
  readonly dropped: number;
  /** Messages held when a non-durable queue crashed. */
  readonly lostToCrash: number;
  /** Deliveries made (first deliveries and redeliveries). */
  readonly delivered: number;
  /** Deliveries of a message delivered before. */
  readonly redelivered: number;
  /**
   * Redeliveries of a message whose previous delivery was lost unsettled (its visibility ran
   * out, or the queue crashed): the consumer may have processed it, so this one may be a
   * duplicate. Redeliveries after a consumer's own requeue are not counted here.
   */
  readonly duplicates: number;
  /** Deliveries a consumer rejected (with or without requeue). */
  readonly nacked: number;
  /** Of those, rejected with requeue. */
  readonly requeued: number;
  /** Deliveries whose visibility timeout ran out unsettled. */
  readonly timedOut: number;
  /** Deliveries open when the queue crashed. */
  readonly interrupted: number;
  /** Acks and rejects of a delivery no longer open (timed out, interrupted): ignored. */
  readonly lateAcks: number;
  /** Processes waiting in `receive` now. */
  readonly receiversWaiting: number;
  /** Push consumers registered now. */
  readonly consumers: number;
  /** Time-average depth. */
  readonly meanDepth: number;
  /** Highest depth. */
  readonly maxDepth: number;
  /** Seconds the oldest ready message has waited (since publication or its return); 0 if none. */
  readonly ageOfOldest: number;
  /** Mean seconds from ready to delivered (percentiles in `waitTime`). */
  readonly meanWait: number;
  /** Dead letters by reason. */
  readonly deadLetteredBy: Readonly<Record<string, number>>;
  /** Drops by reason. */
  readonly droppedBy: Readonly<Record<string, number>>;
  /** Refused publishes by reason ("full", or the queue policy's). */
  readonly rejectedBy: Readonly<Record<string, number>>;
}

const READY = 0;
const DELAYED = 1;
const IN_FLIGHT = 2;
const DONE = 3;

/** A message in a queue: its body, its id in the queue, and how often it has been delivered. */
export class QueuedMessage<T> {
  /** @internal READY, DELAYED, IN_FLIGHT or DONE. */
  _state = READY;
  /** @internal When it last became ready (ns). */
  _readyNs = 0;
  /** @internal Its redelivery-delay timer. */
  _timer = -1;
  /** @internal The delivery open now. */
  _open: Delivery<T> | null = null;
  /** @internal Its last delivery was lost unsettled: the next one may be a duplicate. */
  _lostDelivery = false;
  /** @internal Deliveries so far. */
  _deliveries = 0;

  /** @internal Only a queue makes messages. */
  constructor(
    readonly queue: MessageQueue<T>,
    /** Unique in its queue, from 1 in publication order. */
    readonly id: number,
    readonly body: T,
    /** When it was published, in ns. */
    readonly publishedNs: number,
    /** @internal When it expires (ns), or Infinity. */
    readonly _expiresNs: number,
  ) {}

  /** When it was published, in seconds. */
  get publishedAt(): number {
    return this.publishedNs / 1e9;
  }

  /** Times it has been delivered so far. */
  get deliveries(): number {
    return this._deliveries;
  }
}

/** One delivery of a message to a consumer: settle it with `ack()` or `reject()`. */
export class Delivery<T> {
  /** @internal Open: the queue waits for its settlement. */
  _open = true;
  /** @internal The consumer settled it (ack or reject), in time or late. */
  _settled = false;
  /** @internal Its visibility timer. */
  _timer = -1;
  /** @internal The push consumer's connection it was sent on (its credit's epoch then). */
  _epoch = 0;
  /** @internal It was counted in `duplicates` (its message's previous delivery was lost). */
  _duplicate = false;
  /**
   * @internal The queue's statistics generation it was counted in (`sim.resetStats()` starts a
   * new one): a give-back takes back only counts the current statistics hold.
   */
  _statsGeneration = 0;

  /** @internal Only a queue makes deliveries. */
  constructor(
    readonly message: QueuedMessage<T>,
    /** 1 for the first delivery of the message, 2 for its first redelivery, ... */
    readonly deliveryCount: number,
    /** The push consumer it was sent to; null for a `receive`. */
    readonly consumer: Entity<Delivery<T>, unknown> | null,
    /** @internal The push consumer's credit record. */
    readonly _credit: PushConsumer<T> | null,
    /** When it was delivered, in ns. */
    readonly deliveredNs: number,
  ) {}

  get body(): T {
    return this.message.body;
  }

  get queue(): MessageQueue<T> {
    return this.message.queue;
  }

  /** Whether the message was delivered before (this may be a duplicate). */
  get redelivered(): boolean {
    return this.deliveryCount > 1;
  }

  /** Acknowledges it (see `MessageQueue.ack`). */
  ack(): boolean {
    return this.message.queue.ack(this);
  }

  /** Rejects it (see `MessageQueue.reject`). */
  reject(options?: RejectOptions): boolean {
    return this.message.queue.reject(this, options);
  }
}

/** @internal A registered push consumer and its credit. */
export class PushConsumer<T> {
  unacked = 0;
  /** Connections so far: a crash drops one, and its deliveries no longer take credit. */
  epoch = 0;
  constructor(
    readonly entity: Entity<Delivery<T>, unknown>,
    readonly prefetch: number,
  ) {}
}

interface ValidatedOptions<T> {
  readonly visibilityTimeout: Param;
  readonly redeliveryDelay: Param;
  readonly maxRedeliveries: number;
  readonly deadLetterQueue: DeadLetterQueue<T> | null;
  readonly messageTtl: Param | null;
  readonly capacity: number;
  readonly overflow: OverflowPolicy;
  readonly flowKey: ((body: T) => string | number) | null;
  readonly durable: boolean;
  readonly seriesWindow: number;
}

/**
 * @internal Every check a `MessageQueue` makes of its options, with no side effect (a topic
 * checks its subscriptions' defaults with it). Throws the `ConfigError` the constructor would.
 */
export function checkMessageQueueOptions<T>(
  sim: Simulation,
  component: string,
  options: MessageQueueOptions<T>,
): void {
  validateOptions(sim, component, options);
}

/** Checks every option before the entity exists, so a refused one leaves nothing registered. */
function validateOptions<T>(
  sim: Simulation,
  component: string,
  options: MessageQueueOptions<T>,
): ValidatedOptions<T> {
  if (typeof options !== "object" || options === null) {
    throw new ConfigError(component, "options", "an object", options);
  }
  const visibilityTimeout = requireSecondsParam(
    component,
    "visibilityTimeout",
    options.visibilityTimeout ?? 30,
  );
  const redeliveryDelay = requireSecondsParam(
    component,
    "redeliveryDelay",
    options.redeliveryDelay ?? 0,
    true,
  );
  const maxRedeliveries = countOrInfinity(component, "maxRedeliveries", options.maxRedeliveries, 0);
  const dlq = options.deadLetterQueue;
  const deadLetterQueue =
    dlq === undefined
      ? null
      : (requireEntity(
          component,
          "deadLetterQueue",
          dlq,
          sim,
          DeadLetterQueue,
        ) as DeadLetterQueue<T>);
  const messageTtl =
    options.messageTtl === undefined
      ? null
      : requireSecondsParam(component, "messageTtl", options.messageTtl);
  const capacity = countOrInfinity(component, "capacity", options.capacity, 1);
  const overflow = options.overflow ?? "reject";
  if (!OVERFLOWS.includes(overflow)) {
    throw new ConfigError(component, "overflow", '"reject" or "dropOldest"', overflow);
  }
  checkSlotPoolOptions(component, {
    capacity: 1,
    discipline: options.queuePolicy ?? "fifo",
  });
  const flowKey = optionalFunction(
    component,
    "flowKey",
    options.flowKey,
    "a function (body) => string | number",
  );
  const durable = options.durable ?? true;
  if (typeof durable !== "boolean") {
    throw new ConfigError(component, "durable", "true or false", durable);
  }
  const seriesWindow = requireSeconds(component, "seriesWindow", options.seriesWindow ?? 1);
  // Time is whole nanoseconds: a window that rounds to none would be made 1 ns behind its back.
  if (Math.round(seriesWindow * 1e9) < 1) {
    throw new ConfigError(component, "seriesWindow", "seconds, at least 1 ns", seriesWindow);
  }
  return {
    visibilityTimeout,
    redeliveryDelay,
    maxRedeliveries,
    deadLetterQueue,
    messageTtl,
    capacity,
    overflow,
    flowKey,
    durable,
    seriesWindow,
  };
}

function countOrInfinity(component: string, option: string, value: unknown, min: number): number {
  if (value === undefined || value === Number.POSITIVE_INFINITY) return Number.POSITIVE_INFINITY;
  if (!Number.isSafeInteger(value) || (value as number) < min) {
    throw new ConfigError(component, option, `an integer >= ${min}, or Infinity`, value);
  }
  return value as number;
}

function newCounts() {
  return {
    published: 0,
    rejected: 0,
    acked: 0,
    deadLettered: 0,
    dropped: 0,
    lostToCrash: 0,
    delivered: 0,
    redelivered: 0,
    duplicates: 0,
    nacked: 0,
    requeued: 0,
    timedOut: 0,
    interrupted: 0,
    lateAcks: 0,
  };
}

/** Messages (In: a body to publish, or a delivery to settle) and the id answered to a publish. */
export class MessageQueue<T = unknown> extends Entity<T | Delivery<T>, number> {
  static readonly catalog: CatalogEntry = {
    name: "MessageQueue",
    kind: "component",
    role: "handoff",
    layer: "durable",
    contract:
      "Holds published messages until a consumer acknowledges them: competing consumers pull (receive) or are pushed to (prefetch); a delivery not settled within the visibility timeout becomes visible again and is redelivered (at least once, duplicates counted); a rejected message is requeued after a redelivery delay or dead-lettered; one delivered 1 + maxRedeliveries times, rejected without requeue or past its TTL goes to the dead-letter queue. Ready messages are ordered by a queue policy and bounded by capacity (reject the new one or drop the oldest). published = acked + depth + delayed + inFlight + deadLettered + dropped + lostToCrash.",
    requires: ["Queue", "AckTracker", "VisibilityDeadline", "RetryLoop"],
    provides: ["Publish", "Ack", "Nack", "AtLeastOnce", "Durable", "Bounded"],
    inputs: [
      "published messages (publish, or any message sent to it)",
      "acks and rejects of deliveries",
      "receive calls from processes",
    ],
    outputs: [
      "deliveries (to receivers, or deliver messages to push consumers)",
      "dead letters",
      "published, rejected, acked, depth, delayed, inFlight, deadLettered, dropped, lostToCrash, delivered, redelivered, duplicates, nacked, requeued, timedOut, interrupted, lateAcks, meanDepth, maxDepth, ageOfOldest, wait percentiles",
      "depth, age of oldest and unacked backlog per window",
    ],
    state:
      "ready, delayed and in-flight messages (durable by default: a crash makes in-flight messages ready again; not durable: a crash loses them)",
    failure_semantics:
      "At least once: a consumer that crashes (or is slower than the visibility timeout) before it acks gets its message redelivered, to it or another consumer, counted in duplicates; a late ack is ignored. The queue's crash fails waiting receivers (RemoteError) and interrupts open deliveries; a durable queue keeps every message.",
    composition_rules: ["DeadLetterQueue", "Topic", "Source", "Server"],
    operational_knobs: knobs<MessageQueueOptions<unknown>>()(
      "visibilityTimeout",
      "redeliveryDelay",
      "maxRedeliveries",
      "deadLetterQueue",
      "messageTtl",
      "capacity",
      "overflow",
      "queuePolicy",
      "flowKey",
      "durable",
      "seriesWindow",
    ),
  };

  readonly capacity: number;
  readonly overflow: OverflowPolicy;
  readonly maxRedeliveries: number;
  readonly durable: boolean;
  readonly deadLetterQueue: DeadLetterQueue<T> | null;
  /** Seconds from ready to delivered, for every delivery. */
  waitTime = new Histogram();
  private readonly visibilityTimeout: Param;
  private readonly redeliveryDelay: Param;
  private readonly messageTtl: Param | null;
  private readonly flowKey: ((body: T) => string | number) | null;
  private readonly component: string;
  /** Ready messages, in the queue policy's order. */
  private readonly line: QueueDiscipline<QueuedMessage<T>>;
  /** Ready messages in the order they became ready (with when), for the age of the oldest. */
  private order: QueuedMessage<T>[] = [];
  private orderNs: number[] = [];
  private orderHead = 0;
  private readonly receivers: WaitLine<Delivery<T>, null>;
  private readonly pushConsumers: PushConsumer<T>[] = [];
  private turn = 0;
  /** Open deliveries and delayed messages, in the order they began (for a crash). */
  private readonly open = new Set<Delivery<T>>();
  private readonly waiting = new Set<QueuedMessage<T>>();
  private nextId = 0;
  private counts = newCounts();
  /** Statistics generations so far: `sim.resetStats()` starts the next. */
  private statsGeneration = 0;
  private deadLetteredBy = reasonCounts();
  private droppedBy = reasonCounts();
  private rejectedBy = reasonCounts();
  private readonly runawayAt: number;
  private dispatching = false;
  private readonly depthLevel: LevelSeries;
  private readonly ageLevel: LevelSeries;
  private readonly backlogLevel: LevelSeries;
  private lastDepth = 0;
  private lastBacklog = 0;
  private lastOldestNs = -1;
  private readonly dropSink: DropSink<QueuedMessage<T>>;

  constructor(sim: Simulation, name: string, options: MessageQueueOptions<T> = {}) {
    const component = `MessageQueue "${name}"`;
    const valid = validateOptions(sim, component, options);
    super(sim, name);
    this.component = component;
    this.visibilityTimeout = valid.visibilityTimeout;
    this.redeliveryDelay = valid.redeliveryDelay;
    this.maxRedeliveries = valid.maxRedeliveries;
    this.deadLetterQueue = valid.deadLetterQueue;
    this.messageTtl = valid.messageTtl;
    this.capacity = valid.capacity;
    this.overflow = valid.overflow;
    this.flowKey = valid.flowKey;
    this.durable = valid.durable;
    this.line = bindDiscipline(options.queuePolicy ?? "fifo");
    this.runawayAt =
      this.capacity === Number.POSITIVE_INFINITY
        ? sim.limits.maxQueueLength
        : Number.POSITIVE_INFINITY;
    this.receivers = new WaitLine<Delivery<T>, null>(
      this,
      `receive from message queue "${name}"`,
      (seconds) => new TimeoutError(seconds),
    );
    this.depthLevel = new LevelSeries(valid.seriesWindow, this.nowNs, false);
    this.ageLevel = new LevelSeries(valid.seriesWindow, this.nowNs, true);
    this.backlogLevel = new LevelSeries(valid.seriesWindow, this.nowNs, false);
    this.dropSink = {
      dropped: (message, reason) => {
        this.drop(message, reason);
      },
    };
  }

  // --- State and numbers ------------------------------------------------------------------

  /** Ready messages now. */
  get depth(): number {
    return this.line.length;
  }

  /** Messages delivered and not settled now. */
  get inFlight(): number {
    return this.open.size;
  }

  /** Messages waiting out their redelivery delay now. */
  get delayed(): number {
    return this.waiting.size;
  }

  /** Messages not acknowledged yet: ready, delayed or in flight (a subscriber's lag). */
  get backlog(): number {
    return this.line.length + this.waiting.size + this.open.size;
  }

  /** Seconds the oldest ready message has waited (since publication or its return); 0 if none. */
  get ageOfOldest(): number {
    const since = this.oldestReadyNs();
    return since < 0 ? 0 : (this.nowNs - since) / 1e9;
  }

  /** The push consumers registered now, in the order they were added. */
  get consumers(): Entity<Delivery<T>, unknown>[] {
    return this.pushConsumers.map((c) => c.entity);
  }

  get stats(): MessageQueueStats {
    const wait = this.waitTime;
    return {
      ...this.counts,
      depth: this.line.length,
      delayed: this.waiting.size,
      inFlight: this.open.size,
      receiversWaiting: this.receivers.length,
      consumers: this.pushConsumers.length,
      meanDepth: this.depthLevel.mean(this.nowNs),
      maxDepth: this.depthLevel.max(this.nowNs),
      ageOfOldest: this.ageOfOldest,
      meanWait: wait.count > 0 ? wait.mean : 0,
      deadLetteredBy: { ...this.deadLetteredBy },
      droppedBy: { ...this.droppedBy },
      rejectedBy: { ...this.rejectedBy },
    };
  }

  override metrics(): EntityMetrics {
    const { deadLetteredBy, droppedBy, rejectedBy, ...numbers } = this.stats;
    return {
      ...numbers,
      ...percentiles("Wait", this.waitTime),
      ...flatReasons("deadLettered", deadLetteredBy),
      ...flatReasons("dropped", droppedBy),
      ...flatReasons("rejected", rejectedBy),
    };
  }

  /**
   * Per window of `seriesWindow` seconds: the time-average and the highest depth, the highest
   * age of the oldest ready message (seconds), and the time-average unacknowledged backlog.
   */
  depthSeries(): {
    depth: [number, number][];
    maxDepth: [number, number][];
    ageOfOldest: [number, number][];
    backlog: [number, number][];
  } {
    const now = this.nowNs;
    return {
      depth: this.depthLevel.series("mean", now),
      maxDepth: this.depthLevel.series("max", now),
      ageOfOldest: this.ageLevel.series("max", now),
      backlog: this.backlogLevel.series("mean", now),
    };
  }

  override recordedSeries(): readonly RecordedSeries[] {
    const s = this.depthSeries();
    return [
      { name: "depth (mean)", unit: "messages", points: s.depth },
      { name: "depth (max)", unit: "messages", points: s.maxDepth },
      { name: "age of oldest (max)", unit: "s", points: s.ageOfOldest },
      { name: "unacked backlog (mean)", unit: "messages", points: s.backlog },
    ];
  }

  // --- Publishing -------------------------------------------------------------------------

  /**
   * Publishes `body` now and returns the message. Throws `RemoteError` if the queue is down or
   * refuses it (full under "reject", or refused by the queue policy).
   */
  publish(body: T): QueuedMessage<T> {
    const result = this.offer(body);
    if (typeof result === "string") throw new RemoteError(result, this.name);
    return result;
  }

  /** As `publish`, but returns null instead of throwing when the queue is down or refuses it. */
  tryPublish(body: T): QueuedMessage<T> | null {
    const result = this.offer(body);
    return typeof result === "string" ? null : result;
  }

  /**
   * Messages: "ack", "reject" and "requeue" settle the delivery they carry; any other kind
   * publishes its payload, answered with the message id (or failed with the refusal).
   */
  override handle(message: Message<T | Delivery<T>>): void {
    const kind = message.kind;
    if (kind === "ack") {
      this.ack(message.payload as Delivery<T>);
    } else if (kind === "reject" || kind === "requeue") {
      this.reject(message.payload as Delivery<T>, { requeue: kind === "requeue" });
    } else {
      const result = this.offer(message.payload as T);
      if (!message.awaited) return;
      if (typeof result === "string") this.fail(message, result);
      else this.reply(message, result.id);
    }
  }

  /** The message accepted, or why it was refused. */
  private offer(body: T): QueuedMessage<T> | string {
    if (!this.isUp) return `message queue "${this.name}" is down`;
    const line = this.line;
    const full = line.length >= this.capacity;
    if (full && this.overflow === "reject") {
      this.counts.rejected++;
      countReason(this.rejectedBy, "full");
      return `message queue "${this.name}" full (${this.capacity} ready)`;
    }
    if (line.length >= this.runawayAt) {
      queueRanAway(
        this,
        this.component,
        line.length,
        "its capacity option refuses or drops the excess",
        "ready messages",
      );
    }
    const nowNs = this.nowNs;
    const ttl = this.messageTtl;
    const expiresNs =
      ttl === null ? Number.POSITIVE_INFINITY : nowNs + Math.round(valueAt(ttl, this.now) * 1e9);
    const message = new QueuedMessage<T>(this, this.nextId + 1, body, nowNs, expiresNs);
    const refusal = this.enterLine(message);
    if (refusal !== null) {
      this.counts.rejected++;
      countReason(this.rejectedBy, refusal);
      return `message queue "${this.name}": ${refusal}`;
    }
    this.nextId++;
    this.counts.published++;
    if (full) {
      // The ready message that has waited longest makes room (unless the queue policy, looking
      // at its line, has just dropped it itself).
      const oldest = this.oldestReady();
      const line = this.line;
      if (oldest !== undefined && oldest !== message) {
        const removed =
          line.peek(nowNs, this.dropSink) === oldest
            ? line.dequeue(nowNs, this.dropSink) === oldest
            : line.remove(oldest, nowNs);
        if (removed) this.drop(oldest, "overflow");
      }
    }
    this.dispatch();
    return message;
  }

  /** Empties the ready line (the delayed and in-flight messages stay); returns how many went. */
  purge(): number {
    const gone = this.line.clear(this.nowNs);
    for (const message of gone) this.drop(message, "purged");
    this.noteLevels();
    return gone.length;
  }

  // --- Consuming --------------------------------------------------------------------------

  /**
   * `const delivery = yield* queue.receive({ maxWait })`: the next ready message at once, or
   * waits for one (in line with other receivers, oldest first). Throws `TimeoutError` after
   * `maxWait` seconds (`maxWait: 0` polls), `RemoteError` if the queue is down or crashes
   * meanwhile. Settle the delivery with `ack()` or `reject()`.
   */
  *receive(options?: WaitOptions): Generator<SimFuture<Delivery<T>>, Delivery<T>, unknown> {
    const maxWait = checkWaitOptions(this.component, "receive", options);
    if (!this.isUp) throw new RemoteError(`message queue "${this.name}" is down`, this.name);
    const now = this.tryReceive();
    if (now !== null) return now;
    const future = this.receivers.join(null, maxWait);
    let received = false;
    try {
      const delivery = (yield future) as Delivery<T>;
      received = true;
      return delivery;
    } finally {
      // Handed a delivery but cancelled before it resumed: the message goes straight back.
      if (!received && future.state === "resolved" && this.isUp) this.giveBack(future.value);
    }
  }

  /** The next ready message now, if there is one and no receiver waits before; else null. */
  tryReceive(): Delivery<T> | null {
    if (!this.isUp || this.receivers.length > 0) return null;
    const message = this.nextReady();
    const delivery = message === undefined ? null : this.deliver(message, null);
    this.noteLevels();
    return delivery;
  }

  /**
   * Registers `consumer` to be pushed deliveries: `"deliver"` messages whose payload is the
   * `Delivery`, at most `prefetch` unsettled at once. Consumers take turns (round robin) among
   * those with room and up; receivers waiting in `receive` are served first. A consumer that is
   * down gets nothing (the broker sees its connection drop) and is fed again when it recovers,
   * with its whole prefetch; what it held when it crashed comes back when its visibility runs
   * out.
   */
  addConsumer(consumer: Entity<Delivery<T>, unknown>, options: ConsumerOptions = {}): void {
    const where = `${this.component}.addConsumer`;
    requireEntity(where, "consumer", consumer, this.sim, Entity);
    const prefetch = requireInteger(where, "prefetch", options?.prefetch ?? 1, 1);
    if (this.pushConsumers.some((c) => c.entity === consumer)) {
      throw new SimulationError(
        `${this.component}: "${consumer.name}" is already a consumer`,
        this.name,
        this.nowNs,
      );
    }
    const record = new PushConsumer(consumer, prefetch);
    this.pushConsumers.push(record);
    // A consumer that is down is skipped; when it recovers it reconnects and is fed again.
    consumer.addLifecycleHook({
      // Its connection dropped: what it holds stays in flight until its visibility runs out,
      // but a new connection starts with the whole prefetch (as a new AMQP channel does).
      onCrash: () => {
        record.epoch++;
        record.unacked = 0;
      },
      onRecover: () => {
        if (this.pushConsumers.includes(record)) this.dispatch();
      },
    });
    this.dispatch();
  }

  /**
   * Stops pushing to `consumer`; what it holds stays in flight until it settles it or the
   * visibility runs out. False if it was not a consumer.
   */
  removeConsumer(consumer: Entity<Delivery<T>, unknown>): boolean {
    const index = this.pushConsumers.findIndex((c) => c.entity === consumer);
    if (index < 0) return false;
    this.pushConsumers.splice(index, 1);
    if (this.turn > index) this.turn--;
    if (this.turn >= this.pushConsumers.length) this.turn = 0;
    return true;
  }

  /**
   * Acknowledges `delivery`: the message is done and leaves the queue. Returns false (and
   * counts a late ack) if the delivery is no longer open: its visibility ran out or the queue
   * crashed since, so the message was or will be delivered again. Settling one delivery twice,
   * or one of another queue, is a `SimulationError`.
   */
  ack(delivery: Delivery<T>): boolean {
    if (!this.settle(delivery, "ack")) return false;
    this.counts.acked++;
    delivery.message._state = DONE;
    this.dispatch();
    return true;
  }

  /**
   * Rejects `delivery`: with `requeue`, the message comes back after `redeliveryDelay` (or is
   * dead-lettered once it has used up `maxRedeliveries`); without, it is dead-lettered
   * ("rejected"). Returns false for a delivery no longer open, as `ack`.
   */
  reject(delivery: Delivery<T>, options?: RejectOptions): boolean {
    const requeue = options?.requeue ?? false;
    if (typeof requeue !== "boolean") {
      throw new ConfigError(`${this.component}.reject`, "requeue", "true or false", requeue);
    }
    if (!this.settle(delivery, "reject")) return false;
    const c = this.counts;
    c.nacked++;
    if (requeue) {
      c.requeued++;
      this.comeBack(delivery.message, true);
    } else {
      this.deadLetter(delivery.message, "rejected");
    }
    this.dispatch();
    return true;
  }

  /** Checks a consumer's settlement and closes the delivery; false if it was no longer open. */
  private settle(delivery: Delivery<T>, what: string): boolean {
    if (!(delivery instanceof Delivery) || delivery.message.queue !== this) {
      throw new SimulationError(
        `${this.component} ${what}(): not a delivery of this queue`,
        this.name,
        this.nowNs,
      );
    }
    if (delivery._settled) {
      throw new SimulationError(
        `${this.component} ${what}(): delivery ${delivery.deliveryCount} of message ${delivery.message.id} was already settled`,
        this.name,
        this.nowNs,
      );
    }
    delivery._settled = true;
    if (!delivery._open) {
      this.counts.lateAcks++;
      return false;
    }
    this.close(delivery);
    if (delivery._timer >= 0) this.cancelTimer(delivery._timer);
    return true;
  }

  // --- Inside -----------------------------------------------------------------------------

  /** Puts `message` in the ready line; the queue policy's refusal, or null. */
  private enterLine(message: QueuedMessage<T>): string | null {
    const nowNs = this.nowNs;
    const flow = this.flowKey === null ? undefined : this.flowKey(message.body);
    const refusal = this.line.enqueue(message, nowNs, flow);
    if (refusal !== null) return refusal;
    message._state = READY;
    message._readyNs = nowNs;
    this.order.push(message);
    this.orderNs.push(nowNs);
    return null;
  }

  /** A message back from a consumer: delayed, ready, or dead-lettered after too many deliveries. */
  private comeBack(message: QueuedMessage<T>, delayed: boolean): void {
    message._open = null;
    if (message._deliveries > this.maxRedeliveries) {
      this.deadLetter(message, "maxRedeliveries");
      return;
    }
    const delay = delayed ? valueAt(this.redeliveryDelay, this.now) : 0;
    if (delay > 0) {
      message._state = DELAYED;
      this.waiting.add(message);
      message._timer = this.after(delay, this.delayOver, message);
      return;
    }
    const refusal = this.enterLine(message);
    if (refusal !== null) this.drop(message, refusal);
  }

  private readonly delayOver = (message: QueuedMessage<T>): void => {
    message._timer = -1;
    this.waiting.delete(message);
    const refusal = this.enterLine(message);
    if (refusal !== null) this.drop(message, refusal);
    this.dispatch();
  };

  /** The next message to deliver (expired ones are dead-lettered on the way), or undefined. */
  private nextReady(): QueuedMessage<T> | undefined {
    const line = this.line;
    for (;;) {
      const message = line.dequeue(this.nowNs, this.dropSink);
      if (message === undefined) return undefined;
      if (message._expiresNs <= this.nowNs) {
        this.deadLetter(message, "expired");
        continue;
      }
      return message;
    }
  }

  /** Hands ready messages to waiting receivers, then to push consumers with room. */
  private dispatch(): void {
    if (this.dispatching || !this.isUp) {
      this.noteLevels();
      return;
    }
    this.dispatching = true;
    const line = this.line;
    while (line.length > 0) {
      let credit: PushConsumer<T> | null = null;
      if (this.receivers.length === 0) {
        credit = this.nextConsumer();
        if (credit === null) break;
      }
      const message = this.nextReady();
      if (message === undefined) break;
      const delivery = this.deliver(message, credit);
      if (credit === null) {
        this.receivers.serve(0, delivery);
      } else {
        this.send(credit.entity, "deliver", delivery);
      }
    }
    this.dispatching = false;
    this.noteLevels();
  }

  /** The next push consumer (round robin) that is up and has room, or null. */
  private nextConsumer(): PushConsumer<T> | null {
    const consumers = this.pushConsumers;
    const n = consumers.length;
    for (let k = 0; k < n; k++) {
      const index = (this.turn + k) % n;
      const consumer = consumers[index]!;
      if (consumer.unacked < consumer.prefetch && consumer.entity.isUp) {
        this.turn = (index + 1) % n;
        return consumer;
      }
    }
    return null;
  }

  private deliver(message: QueuedMessage<T>, credit: PushConsumer<T> | null): Delivery<T> {
    const nowNs = this.nowNs;
    const count = ++message._deliveries;
    const delivery = new Delivery<T>(message, count, credit?.entity ?? null, credit, nowNs);
    message._state = IN_FLIGHT;
    message._open = delivery;
    const c = this.counts;
    delivery._statsGeneration = this.statsGeneration;
    c.delivered++;
    if (count > 1) c.redelivered++;
    if (message._lostDelivery) {
      c.duplicates++;
      message._lostDelivery = false;
      delivery._duplicate = true;
    }
    this.waitTime.record((nowNs - message._readyNs) / 1e9);
    this.open.add(delivery);
    if (credit !== null) {
      credit.unacked++;
      delivery._epoch = credit.epoch;
    }
    delivery._timer = this.after(
      valueAt(this.visibilityTimeout, this.now),
      this.visibilityOver,
      delivery,
    );
    return delivery;
  }

  /** The delivery is no longer open (settled, timed out or interrupted). */
  private close(delivery: Delivery<T>): void {
    delivery._open = false;
    this.open.delete(delivery);
    const credit = delivery._credit;
    if (credit !== null && delivery._epoch === credit.epoch) credit.unacked--;
  }

  private readonly visibilityOver = (delivery: Delivery<T>): void => {
    delivery._timer = -1;
    this.close(delivery);
    this.counts.timedOut++;
    delivery.message._lostDelivery = true;
    this.comeBack(delivery.message, true);
    this.dispatch();
  };

  /**
   * A receiver was handed `delivery` but cancelled before it resumed (its process crashed or
   * was cancelled): straight back, as if never delivered. No consumer saw it, so it counts
   * neither as a delivery nor toward `maxRedeliveries`.
   */
  private giveBack(delivery: Delivery<T>): void {
    if (!delivery._open) return;
    delivery._settled = true;
    this.close(delivery);
    if (delivery._timer >= 0) this.cancelTimer(delivery._timer);
    const message = delivery.message;
    message._deliveries--;
    const c = this.counts;
    // A reset since counted it again as delivered (in flight), but not its other counts: those
    // are taken back only if they were counted in the statistics held now.
    c.delivered--;
    const countedNow = delivery._statsGeneration === this.statsGeneration;
    if (countedNow && delivery.deliveryCount > 1) c.redelivered--;
    if (delivery._duplicate) {
      message._lostDelivery = true;
      if (countedNow) c.duplicates--;
    }
    this.comeBack(message, false);
    this.dispatch();
  }

  private deadLetter(message: QueuedMessage<T>, reason: DeadLetterReason): void {
    message._state = DONE;
    const dlq = this.deadLetterQueue;
    if (dlq === null) {
      this.drop(message, reason);
      return;
    }
    this.counts.deadLettered++;
    countReason(this.deadLetteredBy, reason);
    dlq._accept(message, reason, this.now);
  }

  private drop(message: QueuedMessage<T>, reason: string): void {
    message._state = DONE;
    this.counts.dropped++;
    countReason(this.droppedBy, reason);
  }

  /** The ready message that became ready first, or undefined (drops stale entries). */
  private oldestReady(): QueuedMessage<T> | undefined {
    return this.oldestReadyNs() < 0 ? undefined : this.order[this.orderHead];
  }

  /** When the oldest ready message became ready (ns), or -1 if none. */
  private oldestReadyNs(): number {
    const order = this.order;
    const orderNs = this.orderNs;
    let head = this.orderHead;
    while (head < order.length) {
      const message = order[head]!;
      if (message._state === READY && message._readyNs === orderNs[head]) break;
      order[head] = undefined as unknown as QueuedMessage<T>;
      head++;
    }
    if (head === order.length) {
      order.length = 0;
      orderNs.length = 0;
      this.orderHead = 0;
      return -1;
    }
    if (head > 1024 && head * 2 > order.length) {
      this.order = order.slice(head);
      this.orderNs = orderNs.slice(head);
      head = 0;
    }
    this.orderHead = head;
    return this.orderNs[head]!;
  }

  /** Tells the series what the levels are now. */
  private noteLevels(): void {
    const nowNs = this.nowNs;
    const depth = this.line.length;
    if (depth !== this.lastDepth) {
      this.lastDepth = depth;
      this.depthLevel.set(nowNs, depth);
    }
    const backlog = depth + this.waiting.size + this.open.size;
    if (backlog !== this.lastBacklog) {
      this.lastBacklog = backlog;
      this.backlogLevel.set(nowNs, backlog);
    }
    const oldest = this.oldestReadyNs();
    if (oldest !== this.lastOldestNs) {
      this.lastOldestNs = oldest;
      this.ageLevel.setSince(nowNs, oldest);
    }
  }

  // --- Lifecycle --------------------------------------------------------------------------

  protected override onCrash(): void {
    // The crash cancelled the visibility and delay timers; waiting receivers fail.
    this.receivers.rejectAll(
      () => new RemoteError(`message queue "${this.name}" lost in a crash`, this.name),
    );
    const c = this.counts;
    const delayed = [...this.waiting];
    this.waiting.clear();
    const open = [...this.open];
    for (const delivery of open) {
      this.close(delivery);
      delivery._timer = -1;
      c.interrupted++;
      delivery.message._lostDelivery = true;
    }
    for (const consumer of this.pushConsumers) consumer.unacked = 0;
    if (this.durable) {
      for (const message of delayed) {
        message._timer = -1;
        this.comeBack(message, false);
      }
      for (const delivery of open) this.comeBack(delivery.message, false);
    } else {
      const lost = this.line.clear(this.nowNs);
      for (const message of lost) message._state = DONE;
      for (const message of delayed) message._state = DONE;
      for (const delivery of open) delivery.message._state = DONE;
      c.lostToCrash += lost.length + delayed.length + open.length;
    }
    this.noteLevels();
  }

  protected override onRecover(): void {
    this.dispatch();
  }

  protected override onResetStats(): void {
    // What is held now is counted again as published (and in-flight as delivered), so the
    // identities keep holding.
    this.statsGeneration++;
    const c = newCounts();
    c.published = this.line.length + this.waiting.size + this.open.size;
    c.delivered = this.open.size;
    this.counts = c;
    this.deadLetteredBy = reasonCounts();
    this.droppedBy = reasonCounts();
    this.rejectedBy = reasonCounts();
    this.waitTime = new Histogram();
    const nowNs = this.nowNs;
    this.depthLevel.reset(nowNs);
    this.ageLevel.reset(nowNs);
    this.backlogLevel.reset(nowNs);
  }
}
