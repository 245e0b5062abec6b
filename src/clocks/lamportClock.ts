/**
 * `LamportClock`: Lamport's logical clock (1978), one counter per node that orders events
 * consistently with causality: if event a happened before event b (same node, earlier; or a
 * is a send and b its receive; or a chain of those), then time(a) < time(b). The converse does
 * not hold: a smaller time says nothing about causality (a `VectorClock` decides that).
 *
 * Every event ticks the clock; a send puts the tick's time on the message; a receive first
 * takes the larger of the local time and the message's, then ticks. Ties between nodes are
 * broken by node id when a total order is needed (Lamport's "=>" relation): the clock does not
 * know the id, the caller compares (time, node) pairs.
 *
 * A plain value, not an entity: it schedules nothing, so a model keeps one per node wherever
 * it likes (a field of the node's entity) and puts `send()` into its messages' payloads.
 *
 * @example
 * const a = new LamportClock("a");
 * const b = new LamportClock("b");
 * const stamp = a.send();  // 1
 * b.tick();                // 1
 * b.receive(stamp);        // 2 = max(1, 1) + 1
 */
import { ConfigError } from "../errors/errors.js";

export class LamportClock {
  /** Name for messages: `LamportClock "a"`. */
  readonly name: string;
  private current = 0;

  /** `node` names the clock in messages (the node it belongs to). */
  constructor(node: string, options: { initial?: number } = {}) {
    if (typeof node !== "string" || node.length === 0) {
      throw new ConfigError("LamportClock", "node", "a non-empty string", node);
    }
    this.name = `LamportClock "${node}"`;
    const initial = options.initial ?? 0;
    this.current = checkStamp(this.name, "initial", initial);
  }

  /** The time of the last event (0 before any). */
  get time(): number {
    return this.current;
  }

  /** A local event: advances the clock and returns the event's time. */
  tick(): number {
    return ++this.current;
  }

  /** A send: a tick whose time goes on the message. */
  send(): number {
    return ++this.current;
  }

  /** A receive of a message stamped `stamp`: max(local, stamp) + 1, the receive's time. */
  receive(stamp: number): number {
    checkStamp(`${this.name}.receive`, "stamp", stamp);
    if (stamp > this.current) this.current = stamp;
    return ++this.current;
  }
}

function checkStamp(component: string, parameter: string, stamp: unknown): number {
  if (typeof stamp !== "number" || !Number.isSafeInteger(stamp) || stamp < 0) {
    throw new ConfigError(component, parameter, "a Lamport time (a safe integer >= 0)", stamp);
  }
  return stamp;
}
