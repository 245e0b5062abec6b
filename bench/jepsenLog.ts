/**
 * Jepsen's run log (jepsen.log), as older Jepsen tests printed each operation:
 * `INFO  jepsen.util - 3	:invoke	:cas	[1 4]` (process, type, f, value, tab-separated). Knossos's
 * and Porcupine's etcd test histories are in this form. It is a log, not a history file (a
 * Jepsen run writes history.edn for that), so the benchmark reads it here instead of the
 * library: each matching line becomes the EDN map it stands for and goes through
 * `parseEdnHistory`; other log lines are skipped.
 */
import { parseEdnHistory } from "../src/check/history/edn.js";
import type { HistoryEvent } from "../src/check/history/history.js";

const OPERATION = /^INFO\s+jepsen\.util\s+-\s+(\S+)\s+(:\S+)\s+(:\S+)\s+(.*?)\s*$/;

/** The history in a Jepsen run log; lines that are not operations are left out. */
export function parseJepsenLog(text: string): readonly HistoryEvent[] {
  const maps: string[] = [];
  for (const line of text.split("\n")) {
    const match = OPERATION.exec(line);
    if (match === null) continue;
    const [, process, type, f, value] = match;
    maps.push(
      `{:process ${process}, :type ${type}, :f ${f}, :value ${value === "" ? "nil" : value}}`,
    );
  }
  return parseEdnHistory(maps.join("\n")).history;
}
