/**
 * `FencedStore`: a key-value store that checks fencing tokens, the resource a lock protects.
 * Each write carries the writer's token (from `DistributedLock`); the store remembers the
 * highest token it has accepted and refuses a write with a lower one ("stale token"), so once
 * a lock's new holder has written, the old holder's late writes are refused, however long it
 * was paused. A write with the highest token seen so far is accepted (a holder writes many
 * times under one token).
 *
 * Messages: `"put"` `{ key, value, token }` (reply: the number of writes accepted so far, a
 * version), `"get"` `{ key }` (reply: the value, or `undefined`). `scope` says what a token
 * fences: the whole store (default: one lock guards it) or each key on its own.
 *
 * Durable: values and the highest tokens survive a crash (a storage service's disk). While
 * down, requests are dropped.
 *
 * @example
 * const store = new FencedStore<string>(sim, "storage");
 * yield* worker.call(store, "put", { key: "k", value: "v", token: grant.token });
 */
import { type CatalogEntry, knobs } from "../../catalog/entry.js";
import { Entity, type EntityMetrics } from "../../core/entity.js";
import type { Message } from "../../core/message.js";
import type { Simulation } from "../../core/simulation.js";
import { ConfigError } from "../../errors/errors.js";

export interface FencedPut<V> {
  readonly key: string;
  readonly value: V;
  readonly token: number;
}

export type FencedRequest<V> = FencedPut<V> | { readonly key: string };

export interface FencedStoreOptions {
  /** What a token fences: "store" (one highest token for every key) or "key". Default "store". */
  scope?: "store" | "key";
}

/** The reason a write with a lower token than one accepted fails with. */
export const STALE_TOKEN = "stale token";

export class FencedStore<V = unknown> extends Entity<FencedRequest<V>, V | number | undefined> {
  static readonly catalog: CatalogEntry = {
    name: "FencedStore",
    kind: "component",
    role: "persistence",
    layer: "durable",
    contract:
      'A key-value store whose writes carry a fencing token: a write with a token lower than the highest accepted (for the whole store, or per key with scope "key") is refused as "stale token"; equal or higher is applied.',
    requires: ["FencingToken"],
    provides: ["Fenced", "Read", "Write"],
    inputs: ["put { key, value, token }", "get { key }"],
    outputs: [
      "values",
      'refusals ("stale token")',
      "requests, reads, writes, fenced, highestToken, keys",
    ],
    state: "values and the highest token accepted (durable: kept across crashes)",
    failure_semantics:
      "Refuses stale writes at once, whatever the writer believes about its lease; a crash loses nothing but the requests in flight (dropped while down).",
    composition_rules: ["DistributedLock"],
    operational_knobs: knobs<FencedStoreOptions>()("scope"),
  };

  readonly scope: "store" | "key";
  private readonly values = new Map<string, V>();
  private readonly highest = new Map<string, number>();
  private counts = { requests: 0, reads: 0, writes: 0, fenced: 0 };

  constructor(sim: Simulation, name: string, options: FencedStoreOptions = {}) {
    const scope = options?.scope ?? "store";
    if (scope !== "store" && scope !== "key") {
      throw new ConfigError(`FencedStore "${name}"`, "scope", '"store" or "key"', scope);
    }
    super(sim, name);
    this.scope = scope;
  }

  override handle(message: Message<FencedRequest<V>>): void {
    this.counts.requests++;
    const request = message.payload;
    if (message.kind === "get") {
      this.counts.reads++;
      this.reply(message, this.values.get(request.key));
      return;
    }
    if (message.kind !== "put") {
      this.fail(message, `unknown operation "${message.kind}" (put, get)`);
      return;
    }
    const { key, value, token } = request as FencedPut<V>;
    if (!Number.isSafeInteger(token)) {
      this.fail(message, "token must be an integer");
      return;
    }
    const slot = this.scope === "store" ? "" : key;
    const highest = this.highest.get(slot) ?? Number.NEGATIVE_INFINITY;
    if (!this.admits(token, highest)) {
      this.counts.fenced++;
      this.fail(message, STALE_TOKEN);
      return;
    }
    if (token > highest) this.highest.set(slot, token);
    this.values.set(key, value);
    this.counts.writes++;
    this.accepted(key, value, token);
    this.reply(message, this.counts.writes);
  }

  /** Whether a write with `token` may land when `highest` is the highest accepted: the fence. */
  protected admits(token: number, highest: number): boolean {
    return token >= highest;
  }

  /** Called for each write applied, for a model's checks to observe (a subclass overrides it). */
  protected accepted(_key: string, _value: V, _token: number): void {}

  /** The value under `key` now. */
  peek(key: string): V | undefined {
    return this.values.get(key);
  }

  /** The highest token accepted (for `key` with scope "key"), or -Infinity before any write. */
  highestToken(key = ""): number {
    return this.highest.get(this.scope === "store" ? "" : key) ?? Number.NEGATIVE_INFINITY;
  }

  protected override onResetStats(): void {
    this.counts = { requests: 0, reads: 0, writes: 0, fenced: 0 };
  }

  get stats() {
    let highestToken = 0;
    for (const token of this.highest.values()) highestToken = Math.max(highestToken, token);
    return { ...this.counts, highestToken, keys: this.values.size };
  }

  override metrics(): EntityMetrics {
    return this.stats;
  }
}
