/**
 * The contract of a concurrency model (`concurrency.fixed`, `dynamic`, `weighted`, built in
 * src/components/server/concurrency.ts) as the `SlotPool` it is bound to sees it. It lives
 * here, beside the pool, so the resource family never imports the server family.
 */
import type { Message } from "../../core/message.js";

/**
 * @internal What a model tells the server it is bound to: the server's name and clock (for
 * errors) and that the limit just changed.
 */
export interface ConcurrencyOwner {
  readonly name: string;
  readonly nowNs: number;
  _capacityChanged(): void;
}

/** Slot accounting behind a `Server` (see the module comment for the three models). */
export interface ConcurrencyModel<Req = unknown> {
  readonly kind: "concurrency";
  /** Short description for errors and reports ("dynamic(4 in [1, 32])"). */
  readonly description: string;
  /** Capacity now, in the model's units: slots, or weight units for `weighted`. */
  readonly limit: number;
  /** Whether requests take different amounts of capacity (then `weightOf` is called). */
  readonly weighted: boolean;
  /** Capacity units `request` takes while in service: an integer >= 1. */
  weightOf(request: Message<Req>): number;
  /** @internal Binds the model to the server it serves; a model serves one server. */
  _bind(owner: ConcurrencyOwner, component: string): void;
  /**
   * @internal Refuses (ConfigError) a model already bound: a new owner checks it before it
   * registers, so a refused model leaves no half-built owner behind.
   */
  _checkUnbound(component: string): void;
}

export function isConcurrencyModel(value: unknown): value is ConcurrencyModel<never> {
  return (
    typeof value === "object" &&
    value !== null &&
    (value as { kind?: unknown }).kind === "concurrency"
  );
}
