/**
 * The token bucket, in the units admission policies decide in (windowPolicies.ts): millionths
 * and nanoseconds. It is the engine of `RateLimiter`'s default policy, of the `tokenBucket`
 * and `leakyBucket` rate policies (a leaky bucket meter is a token bucket seen from the other
 * side: its level is the capacity less the tokens) and of the leaky bucket queue (a bucket of
 * one, so waiters leave one per 1/rate seconds).
 *
 * Tokens earned since the bucket was last full are computed as one amount (the rate times the
 * time, or a profile's exact integral), never as a sum of small steps, so admission times are
 * exact: no float drift, however many arrivals.
 */
import type { Param } from "../../random/profile.js";
import { type AdmissionPolicy, UNIT } from "./windowPolicies.js";

/**
 * Forgives float error below a thousandth of a millionth in a profile's integral (a rate of
 * 100/s over 5 ms may come out as 499999.99999999994 millionths): far below one unit, so it
 * never admits early by a meaningful amount, and it keeps an exact product from rounding down.
 */
const FLOAT_SLACK = 1e-3;

export class TokenBucket implements AdmissionPolicy {
  // `units` millionths at `lastNs`. Tokens earned since `anchorNs` (when the bucket was last
  // full, or created) are computed as one amount, of which `earnedAtLast` is credited. `units`
  // may be negative after `takeOnCredit`: reservations not yet paid for.
  private units: number;
  private lastNs: number;
  private anchorNs: number;
  private earnedAtLast = 0;

  /**
   * @param rate tokens per second (> 0 at all times; checked by the caller)
   * @param capacityUnits most millionths held; the bucket starts full
   */
  constructor(
    private readonly rate: Param,
    readonly capacityUnits: number,
    startNs: number,
  ) {
    this.units = capacityUnits;
    this.lastNs = startNs;
    this.anchorNs = startNs;
  }

  /** Millionths of a token earned from `anchorNs` to `nowNs`, had the bucket no ceiling. */
  private earnedSinceAnchor(nowNs: number): number {
    const rate = this.rate;
    const earned =
      typeof rate === "number"
        ? (rate * (nowNs - this.anchorNs)) / 1000
        : rate.integral(this.anchorNs / 1e9, nowNs / 1e9) * UNIT;
    return Math.floor(earned + FLOAT_SLACK);
  }

  /** Brings the bucket up to `nowNs`: what was earned since the last look, up to capacity. */
  private refill(nowNs: number): void {
    if (nowNs === this.lastNs) return;
    this.lastNs = nowNs;
    if (this.units < this.capacityUnits) {
      const earned = this.earnedSinceAnchor(nowNs);
      const units = this.units + earned - this.earnedAtLast;
      // Exactly full keeps the anchor: the fraction of a millionth earned past the last whole
      // one is what keeps a rate of 3/s on its 1/3 s grid.
      if (units <= this.capacityUnits) {
        this.units = units;
        this.earnedAtLast = earned;
        return;
      }
      this.units = this.capacityUnits;
    }
    // Full: what it earns now spills over, so counting restarts here.
    this.anchorNs = nowNs;
    this.earnedAtLast = 0;
  }

  tryTake(nowNs: number, cost: number): boolean {
    this.refill(nowNs);
    if (this.units < cost) return false;
    this.units -= cost;
    return true;
  }

  /**
   * Takes `cost` whether or not it is there, and returns the nanosecond at which it is paid
   * for (the balance, without this take, reaches `cost`): a reservation, served in the order
   * taken. The balance goes negative by what is owed.
   */
  takeOnCredit(nowNs: number, cost: number): number {
    const atNs = this.readyAtNs(nowNs, cost);
    this.units -= cost;
    return atNs;
  }

  /** Millionths held at `nowNs` (negative while reservations are owed); changes nothing. */
  balance(nowNs: number): number {
    if (nowNs === this.lastNs || this.units >= this.capacityUnits) return this.units;
    const units = this.units + this.earnedSinceAnchor(nowNs) - this.earnedAtLast;
    return Math.min(units, this.capacityUnits);
  }

  remaining(nowNs: number): number {
    return Math.max(0, this.balance(nowNs));
  }

  /**
   * The first nanosecond at which the bucket holds `need` millionths, from the exact amount
   * earned since the anchor.
   */
  readyAtNs(nowNs: number, need: number): number {
    if (need > this.capacityUnits) return Number.POSITIVE_INFINITY;
    this.refill(nowNs);
    if (this.units >= need) return nowNs;
    const target = this.earnedAtLast + (need - this.units);
    const rate = this.rate;
    let atNs: number;
    if (typeof rate === "number") {
      atNs = this.anchorNs + Math.ceil((target * 1000) / rate);
    } else {
      const at = rate.advance(this.anchorNs / 1e9, target / UNIT);
      if (!Number.isFinite(at)) return Number.POSITIVE_INFINITY;
      atNs = Math.ceil(at * 1e9);
    }
    atNs = Math.max(atNs, nowNs + 1);
    // The closed form can land a nanosecond short of the floor in `earnedSinceAnchor`; a
    // caller that sets a timer checks again in any case, this only saves it an event.
    for (let step = 0; step < 4 && this.earnedSinceAnchor(atNs) < target; step++) atNs++;
    return atNs;
  }

  reset(nowNs: number): void {
    this.units = this.capacityUnits;
    this.lastNs = nowNs;
    this.anchorNs = nowNs;
    this.earnedAtLast = 0;
  }
}
