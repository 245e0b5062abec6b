/**
 * A message between entities: what `send` puts on the wire and `handle` receives. One class,
 * so every message has the same shape (one hidden class for V8, one type for users).
 */
import type { Entity } from "./entity.js";

/** `Message.deadlineNs` of a message without a deadline: never reached, never earlier than any. */
export const NO_DEADLINE = Number.POSITIVE_INFINITY;

export class Message<P = unknown> {
  constructor(
    /** Unique per simulation, in send order. */
    readonly id: number,
    /** What the message is ("get", "put", "heartbeat"); replies default to "reply". */
    readonly kind: string,
    readonly payload: P,
    /** The sender; null when sent by the simulation itself (for example from a setup script). */
    readonly source: Entity | null,
    readonly target: Entity,
    /** Size on the wire, in bytes; a network link turns it into transmission time. */
    readonly sizeBytes: number,
    /** Simulated time the message was sent, in integer nanoseconds. */
    readonly sentAtNs: number,
    /** For a reply, the id of the request it answers; 0 otherwise. */
    readonly correlationId: number,
    /** Id of the message whose handling caused this one to be sent; 0 if none (causality). */
    readonly parentId: number,
    /**
     * When the chain of work this message belongs to began, in integer nanoseconds: the send
     * time of the first message of its causal chain (a reply carries its request's origin).
     * End-to-end latency is `now - origin`, however many hops the work took.
     */
    readonly originNs: number = sentAtNs,
    /**
     * When whoever waits on this message's chain of work gives up, in integer nanoseconds
     * (absolute simulated time), or `NO_DEADLINE` (Infinity). A call with a `timeout` sets it
     * to the call's own expiry, or to the deadline it inherited if that is earlier; any other
     * message inherits the deadline of the message being handled (or of `causedBy`); a reply
     * carries its request's. See `deadline` and `remaining`.
     */
    public deadlineNs: number = NO_DEADLINE,
  ) {}

  /**
   * For a request, whether a caller waits on it (it was sent by `call`/`request`, not `send`);
   * for a reply, whether it answers such a request. A reply to a plain `send` has nobody
   * waiting, so its arrival is neither delivered nor counted as late.
   */
  awaited = false;

  /** Simulated time the message was sent, in seconds. */
  get sentAt(): number {
    return this.sentAtNs / 1e9;
  }

  /** When this message's causal chain began, in seconds (see `originNs`). */
  get originAt(): number {
    return this.originNs / 1e9;
  }

  /**
   * The deadline, in simulated seconds (absolute, like `sentAt`); Infinity when the message
   * has none. Work for it started at or after this instant is work nobody waits for.
   */
  get deadline(): number {
    return this.deadlineNs / 1e9;
  }

  /**
   * Seconds left until the deadline, at the simulation's current time: negative once it has
   * passed, 0 at the instant itself (which counts as expired), Infinity without a deadline.
   */
  get remaining(): number {
    return (this.deadlineNs - this.target.sim.nowNs) / 1e9;
  }

  /** True if this message answers a request (`correlationId !== 0`). */
  get isReply(): boolean {
    return this.correlationId !== 0;
  }
}
