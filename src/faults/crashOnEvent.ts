/**
 * `crash-on-event`: crash at the worst time. From `at`, the fault watches its target and
 * crashes it right after the `params.nth` message (of `params.messageKind`, if given) it
 * receives (`params.event: "delivered"`, the default) or sends (`"sent"`): mid-handling, after
 * the request arrived and before its answer. It recovers `params.downSeconds` later if given,
 * and in any case when the fault ends. `params.kind` as `crash`'s. It listens to the trace stream only while armed, so an
 * unused or finished fault costs nothing.
 */
import type { TraceRecord } from "../core/trace.js";
import { CrashedNode, crashEffects, crashKindParam } from "./crash.js";
import {
  type ActiveFault,
  checkParamNames,
  checkTargetsExist,
  type FaultKind,
  numberParam,
} from "./kind.js";
import { faultFieldError } from "./spec.js";

export const crashOnEvent: FaultKind = {
  name: "crash-on-event",
  description:
    "while active, crashes its target right after the params.nth message (of params.messageKind) it receives or sends",
  check(fault, index, sim) {
    checkTargetsExist(fault, index, sim);
    if (fault.targets.length !== 1) {
      throw faultFieldError(index, "targets", "exactly one entity name", fault.targets);
    }
    checkParamNames(fault, index, ["nth", "event", "messageKind", "downSeconds", "kind"]);
    crashKindParam(fault, index);
    numberParam(fault, index, "nth", { min: 1, integer: true });
    numberParam(fault, index, "downSeconds", { min: 0, optional: true });
    const event = fault.params?.event;
    if (event !== undefined && event !== "delivered" && event !== "sent") {
      throw faultFieldError(index, "params.event", '"delivered" or "sent"', event);
    }
    const messageKind = fault.params?.messageKind;
    if (messageKind !== undefined && (typeof messageKind !== "string" || messageKind === "")) {
      throw faultFieldError(index, "params.messageKind", "a non-empty string", messageKind);
    }
  },
  activate(fault, context): ActiveFault {
    const nth = numberParam(fault, context.index, "nth", { min: 1, integer: true })!;
    const downSeconds = numberParam(fault, context.index, "downSeconds", {
      min: 0,
      optional: true,
    });
    const sent = fault.params?.event === "sent";
    const messageKind = fault.params?.messageKind as string | undefined;
    const effects: Record<string, number> = {};
    const node = new CrashedNode(
      context.entity(fault.targets[0]!),
      effects,
      crashKindParam(fault, context.index),
    );
    const name = node.entity.name;
    let seen = 0;
    let stop: (() => void) | null = null;
    const watch = (record: TraceRecord): void => {
      if (record.type !== (sent ? "message-sent" : "message-delivered")) return;
      if ((sent ? record.source : record.target) !== name) return;
      if (messageKind !== undefined && record.kind !== messageKind) return;
      if (++seen < nth) return;
      stop?.();
      stop = null;
      // After the event that delivered it, at the same instant: the handler has started.
      context.after(0, () => {
        if (!node.crash()) return;
        if (downSeconds !== undefined) context.after(downSeconds, () => node.recover());
      });
    };
    stop = context.sim.onTrace(watch);
    return {
      detail: `on the ${nth}th ${messageKind ?? "message"} ${sent ? "sent" : "delivered"}`,
      heal: () => {
        stop?.();
        stop = null;
        node.recover();
      },
      effects: () => crashEffects(effects, [node]),
    };
  },
};
