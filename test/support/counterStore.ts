/**
 * A minimal counter store for the distributed rate limiter's tests: it answers `"increment"`
 * (the `CounterStoreProtocol`) with the key's new count, `latency` seconds after the request
 * (half on the way there, where the increment is applied, half on the way back), like a store
 * across a network. `down` makes it refuse; `silent` makes it never answer.
 */
import { type CounterIncrement, Entity, type Message } from "../../src/index.js";

export class TestCounterStore extends Entity<CounterIncrement, number> {
  /** Round trip in seconds, read per request. */
  latency = 0;
  /** Refuse every increment ("store down"). */
  down = false;
  /** Never answer. */
  silent = false;
  /** The count of each key. */
  readonly counts = new Map<string, number>();
  /** Increments received. */
  received = 0;

  override *handle(request: Message<CounterIncrement>) {
    this.received++;
    const half = this.latency / 2;
    if (half > 0) yield half;
    if (this.silent) return;
    if (this.down) {
      this.fail(request, "store down");
      return;
    }
    const { key, by } = request.payload;
    const count = (this.counts.get(key) ?? 0) + by;
    this.counts.set(key, count);
    if (half > 0) yield half;
    this.reply(request, count);
  }
}
