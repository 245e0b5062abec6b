/**
 * Histories as JSON: an array of events (`{"type": "invoke", "process": 0, "f": "cas",
 * "value": [1, 2], "time": 1000000}`), or an object with an `events` array, which is what
 * `historyToJson` writes (with a format tag, so a reader knows what it holds).
 */
import { type History, HistoryError, type HistoryEvent } from "./history.js";

/** The format tag `historyToJson` writes. */
export const HISTORY_JSON_FORMAT = "distsim-history/1";

/** A history as JSON text. */
export function historyToJson(history: History): string {
  return `${JSON.stringify({ format: HISTORY_JSON_FORMAT, events: history }, null, 1)}\n`;
}

/**
 * Reads a history from JSON text (an array of events or `{ events }`). Throws `HistoryError`
 * for JSON of another shape and `SyntaxError` for text that is not JSON.
 */
export function historyFromJson(text: string): History {
  const data = JSON.parse(text) as unknown;
  const events = Array.isArray(data)
    ? data
    : data !== null &&
        typeof data === "object" &&
        Array.isArray((data as { events?: unknown }).events)
      ? (data as { events: unknown[] }).events
      : null;
  if (events === null) {
    throw new HistoryError(
      "a JSON history is an array of events or an object with an events array",
      0,
    );
  }
  return events.map((event, index) => {
    if (event === null || typeof event !== "object") {
      throw new HistoryError(`an event must be an object; given ${JSON.stringify(event)}`, index);
    }
    const e = event as Record<string, unknown>;
    return {
      ...e,
      value: e.value === undefined ? null : e.value,
    } as unknown as HistoryEvent;
  });
}
