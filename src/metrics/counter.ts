/** `Counter`: a number that only goes up (requests served, bytes sent). */
import { ConfigError } from "../errors/errors.js";

export class Counter {
  private count = 0;

  /** Adds `amount` (finite, >= 0; default 1). */
  add(amount = 1): void {
    if (!(amount >= 0) || amount === Number.POSITIVE_INFINITY) {
      throw new ConfigError("Counter.add", "amount", "a finite number >= 0", amount);
    }
    this.count += amount;
  }

  get value(): number {
    return this.count;
  }

  reset(): void {
    this.count = 0;
  }
}
