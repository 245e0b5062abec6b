/**
 * What the components that drop expired work (`dropExpired` on `Server`, `ThreadPool`,
 * `Resource`) share: how a request's deadline is read, and the one reason its caller is
 * given. Not exported from the package.
 */
import type { Message } from "../../core/message.js";

/** The failure an expired request is answered with (`RemoteError.reason` at its caller). */
export const DEADLINE_EXPIRED = "deadline expired";

/** A request's deadline in integer ns (Infinity for none): the pools' `deadlineOf`. */
export function messageDeadlineNs(message: Message<unknown>): number {
  return message.deadlineNs;
}
