/**
 * `DeadLetterQueue`: where a `MessageQueue` parks the messages it gives up on, with the reason:
 * "maxRedeliveries" (delivered 1 + maxRedeliveries times and never acknowledged: a poison
 * message), "rejected" (a consumer rejected it without requeue), "expired" (its TTL ran out
 * while it waited). It exists so that a bad message neither blocks the queue nor vanishes: an
 * operator inspects what is there (`entries`, `countByReason()`), fixes the consumer, and
 * replays the messages to the queue they came from (`replay()`), or purges them.
 *
 * Several queues may share one; each letter remembers its source. The letters are durable: a
 * crash of the dead-letter queue keeps them (and a queue dead-letters into it even while it is
 * down: the move is the broker's own), but `replay` needs it up.
 *
 * At every instant, resets included: `received = held + replayed + purged + discarded`.
 *
 * @example
 * const dlq = new DeadLetterQueue<Job>(sim, "jobs-dlq");
 * const jobs = new MessageQueue<Job>(sim, "jobs", { maxRedeliveries: 3, deadLetterQueue: dlq });
 * // later: dlq.countByReason() -> { maxRedeliveries: 2 }; dlq.replay() -> 2
 */
import { type CatalogEntry, knobs } from "../../catalog/entry.js";
import { Entity, type EntityMetrics } from "../../core/entity.js";
import type { Simulation } from "../../core/simulation.js";
import { ConfigError, RemoteError } from "../../errors/errors.js";
import type { MessageQueue, QueuedMessage } from "./messageQueue.js";

/** Why a message was dead-lettered. */
export type DeadLetterReason = "maxRedeliveries" | "rejected" | "expired";

export interface DeadLetterQueueOptions {
  /**
   * Most letters held (integer >= 1, or Infinity); a new letter beyond it discards the oldest
   * (`discarded`), as a retention limit does. Default unlimited.
   */
  capacity?: number;
}

export interface DeadLetterQueueStats {
  /** Letters received. */
  readonly received: number;
  /** Letters held now. */
  readonly held: number;
  /** Letters published again to their source queue. */
  readonly replayed: number;
  /** Letters removed by `purge`. */
  readonly purged: number;
  /** Letters discarded to stay within `capacity`. */
  readonly discarded: number;
  /** Letters received, by reason. */
  readonly receivedBy: Readonly<Record<string, number>>;
}

/** A message the queue gave up on. */
export class DeadLetter<T> {
  /** @internal Only a dead-letter queue makes letters. */
  constructor(
    readonly message: QueuedMessage<T>,
    readonly reason: DeadLetterReason,
    /** The queue it came from (where `replay` publishes it again). */
    readonly source: MessageQueue<T>,
    /** When it was dead-lettered, in seconds. */
    readonly at: number,
  ) {}

  get body(): T {
    return this.message.body;
  }

  /** Times it was delivered before it was dead-lettered. */
  get deliveries(): number {
    return this.message.deliveries;
  }
}

export interface ReplayOptions<T> {
  /** Only letters this accepts. Default all. */
  filter?: (letter: DeadLetter<T>) => boolean;
  /** At most this many (integer >= 0). Default all. */
  limit?: number;
}

export class DeadLetterQueue<T = unknown> extends Entity<never, never> {
  static readonly catalog: CatalogEntry = {
    name: "DeadLetterQueue",
    kind: "component",
    role: "handoff",
    layer: "durable",
    contract:
      "Keeps the messages message queues gave up on, each with its reason (maxRedeliveries, rejected, expired), its source and its delivery count; counts them by reason; replays them to their source queue (as new publications) or purges them. received = held + replayed + purged + discarded.",
    // The seed's edge: a dead-letter queue is a durable queue of its own.
    requires: ["DurableQueue"],
    provides: ["Replayable", "Observable", "Durable"],
    inputs: ["dead letters from message queues", "replay and purge calls"],
    outputs: [
      "messages published again to their source queue",
      "received, held, replayed, purged, discarded, received by reason",
    ],
    state: "the letters (durable: a crash keeps them)",
    failure_semantics:
      "Letters survive its crash; replay while it is down throws RemoteError; a letter whose source queue is down or full stays to be replayed later.",
    composition_rules: ["MessageQueue", "Topic"],
    operational_knobs: knobs<DeadLetterQueueOptions>()("capacity"),
  };

  readonly capacity: number;
  private letters: DeadLetter<T>[] = [];
  private counts = { received: 0, replayed: 0, purged: 0, discarded: 0 };
  private receivedBy: Record<string, number> = {};

  constructor(sim: Simulation, name: string, options: DeadLetterQueueOptions = {}) {
    const component = `DeadLetterQueue "${name}"`;
    if (typeof options !== "object" || options === null) {
      throw new ConfigError(component, "options", "an object", options);
    }
    const capacity = options.capacity ?? Number.POSITIVE_INFINITY;
    if (
      capacity !== Number.POSITIVE_INFINITY &&
      (!Number.isSafeInteger(capacity) || capacity < 1)
    ) {
      throw new ConfigError(component, "capacity", "an integer >= 1, or Infinity", capacity);
    }
    super(sim, name);
    this.capacity = capacity;
  }

  /** Letters held now. */
  get size(): number {
    return this.letters.length;
  }

  /** The letters held now, oldest first (a copy). */
  get entries(): DeadLetter<T>[] {
    return this.letters.slice();
  }

  /** Letters held now, by reason (reasons with none left out). */
  countByReason(): Record<DeadLetterReason, number> {
    const counts: Record<string, number> = {};
    for (const letter of this.letters) counts[letter.reason] = (counts[letter.reason] ?? 0) + 1;
    return counts as Record<DeadLetterReason, number>;
  }

  get stats(): DeadLetterQueueStats {
    return { ...this.counts, held: this.letters.length, receivedBy: { ...this.receivedBy } };
  }

  override metrics(): EntityMetrics {
    const { receivedBy, ...numbers } = this.stats;
    const flat: Record<string, number> = { ...numbers };
    for (const reason of Object.keys(receivedBy).sort()) {
      flat[`received.${reason}`] = receivedBy[reason]!;
    }
    return flat;
  }

  /**
   * Publishes matching letters again to their source queue, oldest first, as new messages
   * (delivery count from zero); a letter its queue refuses (down or full) stays. Returns how
   * many were replayed. Throws `RemoteError` if this queue is down.
   */
  replay(options: ReplayOptions<T> = {}): number {
    const { filter, limit } = this.checkSelection("replay", options);
    if (!this.isUp) throw new RemoteError(`dead-letter queue "${this.name}" is down`, this.name);
    let replayed = 0;
    this.letters = this.letters.filter((letter) => {
      if (replayed >= limit || (filter !== null && !filter(letter))) return true;
      if (letter.source.tryPublish(letter.message.body) === null) return true;
      replayed++;
      return false;
    });
    this.counts.replayed += replayed;
    return replayed;
  }

  /** Removes matching letters (default all); returns how many. */
  purge(options: ReplayOptions<T> = {}): number {
    const { filter, limit } = this.checkSelection("purge", options);
    let purged = 0;
    this.letters = this.letters.filter((letter) => {
      if (purged >= limit || (filter !== null && !filter(letter))) return true;
      purged++;
      return false;
    });
    this.counts.purged += purged;
    return purged;
  }

  /** @internal A queue dead-letters `message` for `reason` at `at` seconds. */
  _accept(message: QueuedMessage<T>, reason: DeadLetterReason, at: number): void {
    this.counts.received++;
    this.receivedBy[reason] = (this.receivedBy[reason] ?? 0) + 1;
    this.letters.push(new DeadLetter(message, reason, message.queue, at));
    if (this.letters.length > this.capacity) {
      this.letters.shift();
      this.counts.discarded++;
    }
  }

  protected override onResetStats(): void {
    this.counts = { received: this.letters.length, replayed: 0, purged: 0, discarded: 0 };
    const receivedBy: Record<string, number> = {};
    for (const letter of this.letters) {
      receivedBy[letter.reason] = (receivedBy[letter.reason] ?? 0) + 1;
    }
    this.receivedBy = receivedBy;
  }

  private checkSelection(api: string, options: ReplayOptions<T>) {
    const where = `DeadLetterQueue "${this.name}".${api}`;
    if (typeof options !== "object" || options === null) {
      throw new ConfigError(where, "options", "an object { filter, limit }", options);
    }
    const filter = options.filter ?? null;
    if (filter !== null && typeof filter !== "function") {
      throw new ConfigError(where, "filter", "a function (letter) => boolean", filter);
    }
    const limit = options.limit ?? Number.POSITIVE_INFINITY;
    if (limit !== Number.POSITIVE_INFINITY && (!Number.isSafeInteger(limit) || limit < 0)) {
      throw new ConfigError(where, "limit", "an integer >= 0", limit);
    }
    return { filter, limit };
  }
}
