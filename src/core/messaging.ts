/**
 * Sending: how `send`, `call` and `reply` turn into a `Message` handed to the simulation's
 * transport, and the default transport (delivery after exactly the requested delay). A
 * `Network` replaces the transport; everything before `transmit` stays here.
 */

import { ConfigError, describeValue, SimulationError } from "../errors/errors.js";
import type { Entity } from "./entity.js";
import { type EventQueue, EventType } from "./eventQueue.js";
import { Message, NO_DEADLINE } from "./message.js";
import type { Simulation } from "./simulation.js";
import { durationToNs } from "./time.js";

/** Where messages go between `send` and delivery. A network replaces the default. */
export interface Transport {
  /** Takes a message that should arrive after at least `delayNs`, and delivers it (or not). */
  transmit(message: Message<unknown>, delayNs: number): void;
  /**
   * The paused entity that carried `message` (a paused `Network`, or the paused link a message
   * crossed), if the transport is a network, or null: the loop holds the carried messages that
   * fall due while it is paused, as it holds a paused entity's own events. Asked only while some
   * entity is paused. None for direct delivery.
   */
  pausedCarrierOf?(message: Message<unknown>): Entity<unknown, unknown> | null;
}

/** The options every send takes (`Entity.SendOptions` documents them). */
export interface SendOptions {
  delay?: number;
  sizeBytes?: number;
  causedBy?: Message<unknown>;
  propagateDeadline?: boolean;
}

/** Delivers every message after exactly its delay. */
export function directTransport(queue: EventQueue): Transport {
  return {
    transmit(message, delayNs) {
      queue.push(
        message.sentAtNs + delayNs,
        EventType.Deliver,
        message.target,
        message,
        null,
        false,
      );
    },
  };
}

/**
 * Builds a message from `source` (null: the simulation itself) and hands it to the transport.
 * Its causal parent is the message being handled and its origin `originNs` (-1: a new chain
 * starts now), unless `options.causedBy` names another; it inherits that parent's deadline
 * unless `options.propagateDeadline` is false (a call's own timeout is applied by `request`).
 */
export function sendMessage<P>(
  sim: Simulation,
  source: Entity<unknown, unknown> | null,
  target: Entity<P, unknown>,
  kind: string,
  payload: P,
  correlationId: number,
  options: SendOptions | undefined,
  originNs: number,
): Message<P> {
  let parentId = sim._currentCauseId;
  let deadlineNs = sim._currentDeadlineNs;
  if (target === null || typeof target !== "object" || target.sim !== sim) {
    throw new SimulationError(
      `send("${kind}") to ${describeValue(target)}: the target must be an entity of this simulation`,
      source?.name ?? null,
      sim.nowNs,
    );
  }
  let delayNs = 0;
  let sizeBytes = 0;
  if (options !== undefined) {
    if (options.delay !== undefined) {
      delayNs = durationToNs(options.delay, source?.name ?? "Simulation", "delay");
      sim._checkedTime(sim.nowNs + delayNs, source?.name ?? null);
    }
    const causedBy = options.causedBy;
    if (causedBy !== undefined) {
      if (!(causedBy instanceof Message)) {
        throw new ConfigError(source?.name ?? "Simulation", "causedBy", "a Message", causedBy);
      }
      parentId = causedBy.id;
      originNs = causedBy.originNs;
      deadlineNs = causedBy.deadlineNs;
    }
    const propagate = options.propagateDeadline;
    if (propagate !== undefined && propagate !== true) {
      if (propagate !== false) {
        throw new ConfigError(
          source?.name ?? "Simulation",
          "propagateDeadline",
          "true or false",
          propagate,
        );
      }
      deadlineNs = NO_DEADLINE;
    }
    if (options.sizeBytes !== undefined) {
      sizeBytes = options.sizeBytes;
      if (!Number.isSafeInteger(sizeBytes) || sizeBytes < 0) {
        throw new ConfigError(
          source?.name ?? "Simulation",
          "sizeBytes",
          "an integer >= 0",
          sizeBytes,
        );
      }
    }
  }
  const message = new Message<P>(
    sim._nextMessageId++,
    kind,
    payload,
    source,
    target as Entity<unknown, unknown>,
    sizeBytes,
    sim.nowNs,
    correlationId,
    parentId,
    originNs < 0 ? sim.nowNs : originNs,
    deadlineNs,
  );
  if (sim._tracing) {
    sim._trace({
      type: "message-sent",
      timeNs: message.sentAtNs,
      messageId: message.id,
      kind,
      source: source === null ? null : source.name,
      target: target.name,
      correlationId,
      parentId,
      delayNs,
      sizeBytes,
      payload,
    });
  }
  sim.transport.transmit(message as Message<unknown>, delayNs);
  return message;
}
