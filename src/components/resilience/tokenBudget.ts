/**
 * `TokenBudget`: caps extra work (retries, hedged copies) to a share of the traffic, the way
 * production clients do (gRPC's retry throttling, Finagle's retry budget). Each request earns
 * `ratio` of a token; each extra attempt spends a whole one; at most `burst` tokens are saved,
 * so a quiet spell cannot bank a flood of extra work for the next overload. The bucket starts
 * full. Under overload, when every request would retry, the extra load is held to about
 * `ratio` of the requests instead of multiplying them by the attempt count.
 */
import { ConfigError } from "../../errors/errors.js";

/** How a component is told its budget: `{ ratio: 0.1 }` allows about 10% extra. */
export interface BudgetOptions {
  /** Tokens earned per request, in (0, 1]: the share of extra work allowed. */
  ratio: number;
  /** Most tokens saved (>= 1). Default 10. */
  burst?: number;
}

/** Tokens are counted in millionths, so that earning 0.05 twenty times makes exactly one. */
const UNIT = 1_000_000;

export class TokenBudget {
  private readonly earnUnits: number;
  private readonly burstUnits: number;
  private units: number;

  private constructor(
    readonly ratio: number,
    readonly burst: number,
  ) {
    this.earnUnits = Math.max(1, Math.round(ratio * UNIT));
    this.burstUnits = Math.round(burst * UNIT);
    this.units = this.burstUnits;
  }

  /** Checks `value` as the option `parameter` of `component`; null when unset (no budget). */
  static from(component: string, parameter: string, value: unknown): TokenBudget | null {
    if (value === undefined) return null;
    const ratio =
      typeof value === "object" && value !== null ? (value as BudgetOptions).ratio : undefined;
    if (typeof ratio !== "number" || !(ratio > 0 && ratio <= 1)) {
      throw new ConfigError(
        component,
        parameter,
        "{ ratio, burst? } with ratio in (0, 1] (extra attempts earned per request)",
        value,
      );
    }
    const burst = (value as BudgetOptions).burst ?? 10;
    if (typeof burst !== "number" || !Number.isFinite(burst) || burst < 1) {
      throw new ConfigError(component, `${parameter}.burst`, "a number of tokens >= 1", burst);
    }
    return new TokenBudget(ratio, burst);
  }

  /** Tokens saved now. */
  get available(): number {
    return this.units / UNIT;
  }

  /** A request arrived: it earns `ratio` of a token. */
  earn(): void {
    const units = this.units + this.earnUnits;
    this.units = units < this.burstUnits ? units : this.burstUnits;
  }

  /** Spends a token for one extra attempt; false (and nothing spent) when none is saved. */
  trySpend(): boolean {
    if (this.units < UNIT) return false;
    this.units -= UNIT;
    return true;
  }
}
