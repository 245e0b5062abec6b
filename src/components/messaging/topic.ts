/**
 * `Topic`: publish once, deliver to every subscriber (SNS to SQS, a RabbitMQ fanout exchange, a
 * Pub/Sub topic). Each subscription is a `MessageQueue` of its own (named
 * `"<topic>/<subscription>"`), so a subscriber consumes at its own pace, with competing
 * consumers, acks, redelivery and a dead-letter queue of its own; a slow subscriber lags
 * without holding the others back. Subscriptions come and go at run time: a message reaches
 * the subscriptions that exist when it is published.
 *
 * A subscriber's lag is what was published to it and not acknowledged yet (its queue's ready,
 * delayed and in-flight messages): `topic.lag(name)` now, `lag.<name>` in the metrics, and a
 * series per window (`lagSeries(name)`, `recordedSeries()`).
 *
 * At every instant: `offered = fannedOut + refused` (copies offered to subscriptions, accepted
 * or refused by a full or crashed subscription queue), and `published = routed + unrouted`
 * (a message published with no subscription reaches nobody, as on SNS).
 *
 * @example
 * const orders = new Topic<Order>(sim, "orders");
 * const billing = orders.subscribe("billing", { visibilityTimeout: 10 });
 * const shipping = orders.subscribe("shipping");
 * billing.addConsumer(billingWorker, { prefetch: 4 });
 * orders.publish({ id: 1 }); // one copy each in billing and shipping
 */
import { type CatalogEntry, knobs } from "../../catalog/entry.js";
import { Entity, type EntityMetrics, type RecordedSeries } from "../../core/entity.js";
import type { Message } from "../../core/message.js";
import type { Simulation } from "../../core/simulation.js";
import { ConfigError, RemoteError, SimulationError } from "../../errors/errors.js";
import {
  checkMessageQueueOptions,
  MessageQueue,
  type MessageQueueOptions,
} from "./messageQueue.js";

export interface TopicOptions<T> {
  /** Options of every subscription queue unless `subscribe` gives its own. Default {}. */
  subscriptionDefaults?: MessageQueueOptions<T>;
}

export interface TopicStats {
  /** Messages published to the topic. */
  readonly published: number;
  /** Published with at least one subscription. */
  readonly routed: number;
  /** Published with no subscription: delivered to nobody. */
  readonly unrouted: number;
  /** Copies offered to subscriptions (one per subscription per message). */
  readonly offered: number;
  /** Copies a subscription queue accepted. */
  readonly fannedOut: number;
  /** Copies a subscription queue refused (full, or down). */
  readonly refused: number;
  /** Subscriptions now. */
  readonly subscriptions: number;
  /** Subscriptions detached now (unsubscribed, their queues kept). */
  readonly detached: number;
}

class Subscription<T> {
  active = true;
  /** Copies its queue accepted (since the last reset). */
  fannedOut = 0;
  constructor(readonly queue: MessageQueue<T>) {}
}

export class Topic<T = unknown> extends Entity<T, number> {
  static readonly catalog: CatalogEntry = {
    name: "Topic",
    kind: "component",
    role: "handoff",
    layer: "durable",
    contract:
      "Fans each published message out to every subscription that exists when it is published; each subscription is a MessageQueue of its own (competing consumers, acks, redelivery, dead letters), so subscribers consume and lag independently. Subscriptions are added and removed at run time. offered = fannedOut + refused; published = routed + unrouted.",
    requires: ["PubSub", "MessageQueue"],
    provides: ["Publish", "Subscribe", "AtLeastOnce"],
    inputs: [
      "published messages (publish, or any message sent to it)",
      "subscribe and unsubscribe calls",
    ],
    outputs: [
      "one copy per subscription, in its queue",
      "published, routed, unrouted, offered, fannedOut, refused, subscriptions, lag per subscription",
      "lag per subscription per window",
    ],
    state: "the subscriptions (their queues hold the messages)",
    failure_semantics:
      "While the topic is down, publishing fails (RemoteError; a message sent to it is dropped); its subscription queues are entities of their own and keep their messages. A copy a full or crashed subscription queue refuses is counted in refused and reaches that subscriber never.",
    composition_rules: ["MessageQueue", "DeadLetterQueue", "Source"],
    operational_knobs: knobs<TopicOptions<unknown>>()("subscriptionDefaults"),
  };

  private readonly defaults: MessageQueueOptions<T>;
  /** Every subscription ever made, by name (detached ones kept for a later subscribe). */
  private readonly byName = new Map<string, Subscription<T>>();
  /** The active subscriptions, in the order they subscribed. */
  private active: Subscription<T>[] = [];
  private counts = { published: 0, routed: 0, unrouted: 0, offered: 0, fannedOut: 0, refused: 0 };

  constructor(sim: Simulation, name: string, options: TopicOptions<T> = {}) {
    const component = `Topic "${name}"`;
    if (typeof options !== "object" || options === null) {
      throw new ConfigError(component, "options", "an object", options);
    }
    const defaults = options.subscriptionDefaults ?? {};
    if (typeof defaults !== "object" || defaults === null) {
      throw new ConfigError(
        component,
        "subscriptionDefaults",
        "message queue options (an object)",
        defaults,
      );
    }
    if ("queuePolicy" in defaults && typeof defaults.queuePolicy === "object") {
      throw new ConfigError(
        component,
        "subscriptionDefaults",
        'a queuePolicy by name ("fifo" or "lifo"): a discipline instance orders one queue only; give one per subscribe()',
        defaults.queuePolicy,
      );
    }
    // Checked as a subscription queue will check them, before anything is registered.
    checkMessageQueueOptions(sim, `${component} subscriptionDefaults`, defaults);
    super(sim, name);
    this.defaults = defaults;
  }

  /**
   * Adds subscription `name` and returns its queue (`"<topic>/<name>"`), made with `options`
   * over the topic's `subscriptionDefaults`. A name unsubscribed before is attached again, with
   * the queue it had (what it held is still there; what was published meanwhile is not); its
   * queue keeps the options it was made with, so giving options then is a `ConfigError`.
   */
  subscribe(name: string, options?: MessageQueueOptions<T>): MessageQueue<T> {
    if (typeof name !== "string" || name.length === 0) {
      throw new ConfigError(`Topic "${this.name}".subscribe`, "name", "a non-empty string", name);
    }
    const existing = this.byName.get(name);
    if (existing !== undefined) {
      if (existing.active) {
        throw new SimulationError(
          `Topic "${this.name}": subscription "${name}" exists already`,
          this.name,
          this.nowNs,
        );
      }
      if (options !== undefined) {
        // A queue's options are fixed when it is made: applying them silently to some and not
        // others, or ignoring them, would both mislead.
        throw new ConfigError(
          `Topic "${this.name}".subscribe("${name}")`,
          "options",
          "none when attaching a detached subscription again (its queue keeps the options it was made with)",
          options,
        );
      }
      existing.active = true;
      this.active.push(existing);
      return existing.queue;
    }
    const queue = new MessageQueue<T>(this.sim, `${this.name}/${name}`, {
      ...this.defaults,
      ...options,
    });
    const subscription = new Subscription(queue);
    this.byName.set(name, subscription);
    this.active.push(subscription);
    return queue;
  }

  /**
   * Detaches subscription `name`: it gets no more messages; its queue keeps what it holds, for
   * its consumers to finish (or `queue.purge()`). False if there was no such active one.
   */
  unsubscribe(name: string): boolean {
    const subscription = this.byName.get(name);
    if (subscription === undefined || !subscription.active) return false;
    subscription.active = false;
    this.active = this.active.filter((s) => s !== subscription);
    return true;
  }

  /** The queue of subscription `name` (active or detached), or undefined. */
  subscription(name: string): MessageQueue<T> | undefined {
    return this.byName.get(name)?.queue;
  }

  /** Names of the active subscriptions, in the order they subscribed. */
  get subscriptions(): string[] {
    return this.active.map((s) => this.subscriptionName(s.queue));
  }

  /** Messages published to subscription `name` and not acknowledged yet. */
  lag(name: string): number {
    const subscription = this.byName.get(name);
    if (subscription === undefined) {
      throw new SimulationError(
        `Topic "${this.name}": no subscription "${name}"`,
        this.name,
        this.nowNs,
      );
    }
    return subscription.queue.backlog;
  }

  /** Subscription `name`'s lag per window: [window start, time-average lag]. */
  lagSeries(name: string): [number, number][] {
    this.lag(name);
    return this.byName.get(name)!.queue.depthSeries().backlog;
  }

  /**
   * Publishes `body` to every active subscription now; returns how many accepted a copy.
   * Throws `RemoteError` if the topic is down.
   */
  publish(body: T): number {
    if (!this.isUp) throw new RemoteError(`topic "${this.name}" is down`, this.name);
    const c = this.counts;
    c.published++;
    const active = this.active;
    if (active.length === 0) {
      c.unrouted++;
      return 0;
    }
    c.routed++;
    let accepted = 0;
    for (const subscription of active) {
      c.offered++;
      if (subscription.queue.tryPublish(body) === null) {
        c.refused++;
      } else {
        c.fannedOut++;
        subscription.fannedOut++;
        accepted++;
      }
    }
    return accepted;
  }

  /** Any message publishes its payload; a call is answered with the number of copies made. */
  override handle(message: Message<T>): void {
    const accepted = this.publish(message.payload);
    if (message.awaited) this.reply(message, accepted);
  }

  get stats(): TopicStats {
    const subscriptions = this.active.length;
    return { ...this.counts, subscriptions, detached: this.byName.size - subscriptions };
  }

  /**
   * `stats`, and per subscription, detached ones included (a detached one is still consumed
   * and its copies still count in `fannedOut`), its lag (`lag.<name>`), the copies it accepted
   * (`fannedOut.<name>`, adding up to `fannedOut`) and, when detached, `detached.<name>`: 1.
   */
  override metrics(): EntityMetrics {
    const flat: Record<string, number> = { ...this.stats };
    for (const [name, subscription] of this.byName) {
      flat[`lag.${name}`] = subscription.queue.backlog;
      flat[`fannedOut.${name}`] = subscription.fannedOut;
      if (!subscription.active) flat[`detached.${name}`] = 1;
    }
    return flat;
  }

  override recordedSeries(): readonly RecordedSeries[] {
    return [...this.byName].map(([name, s]) => ({
      name: `lag ${name} (mean${s.active ? "" : ", detached"})`,
      unit: "messages",
      points: s.queue.depthSeries().backlog,
    }));
  }

  protected override onResetStats(): void {
    this.counts = { published: 0, routed: 0, unrouted: 0, offered: 0, fannedOut: 0, refused: 0 };
    for (const subscription of this.byName.values()) subscription.fannedOut = 0;
  }

  private subscriptionName(queue: MessageQueue<T>): string {
    return queue.name.slice(this.name.length + 1);
  }
}
