/**
 * The messaging family: `MessageQueue` (competing consumers, acks, visibility timeout,
 * redelivery, dead letters; at-least-once delivery with its duplicates counted), `Topic`
 * (fan-out to subscriptions that each are a queue) and `DeadLetterQueue` (inspect, count by
 * reason, replay).
 */

import type { CataloguedComponent } from "../../catalog/entry.js";
import { DeadLetterQueue } from "./deadLetterQueue.js";
import { MessageQueue } from "./messageQueue.js";
import { Topic } from "./topic.js";

export {
  DeadLetter,
  DeadLetterQueue,
  type DeadLetterQueueOptions,
  type DeadLetterQueueStats,
  type DeadLetterReason,
  type ReplayOptions,
} from "./deadLetterQueue.js";
export {
  type ConsumerOptions,
  Delivery,
  MessageQueue,
  type MessageQueueOptions,
  type MessageQueueStats,
  type OverflowPolicy,
  QueuedMessage,
  type RejectOptions,
} from "./messageQueue.js";
export { Topic, type TopicOptions, type TopicStats } from "./topic.js";

/** This family's component classes, in catalog order (src/components/index.ts gathers them). */
export const MESSAGING_COMPONENTS = [
  MessageQueue,
  Topic,
  DeadLetterQueue,
] as const satisfies readonly CataloguedComponent[];
