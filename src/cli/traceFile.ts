/**
 * `distsim run --trace out.jsonl`: writes the run's trace stream, one JSON object per line,
 * in the order the records were emitted. The fields are those of `TraceRecord`
 * (docs/core/tracing.md) in a fixed order, minus a sent message's `payload` (arbitrary
 * objects, not always serializable), so the same seed gives the same bytes.
 */
import { closeSync, openSync, writeSync } from "node:fs";
import type { Simulation } from "../core/simulation.js";
import type { TraceRecord } from "../core/trace.js";

/** Bytes buffered before a write: large runs produce millions of lines. */
const FLUSH_CHARS = 1 << 20;

/** The JSONL line of one record (without the newline). */
export function traceJsonLine(record: TraceRecord): string {
  if (record.type === "message-sent") {
    const { payload: _payload, ...rest } = record;
    return JSON.stringify(rest);
  }
  return JSON.stringify(record);
}

/** What a trace file holds once finished. */
export interface TraceFileSize {
  readonly records: number;
  readonly bytes: number;
}

/**
 * Subscribes to `sim`'s trace and writes it to `path`; call the result to finish the file,
 * which returns its size (the CLI prints it: a long run's trace runs to gigabytes).
 */
export function writeTraceFile(sim: Simulation, path: string): () => TraceFileSize {
  const fd = openSync(path, "w");
  let buffer = "";
  let records = 0;
  let bytes = 0;
  const flush = () => {
    bytes += writeSync(fd, buffer);
    buffer = "";
  };
  const unsubscribe = sim.onTrace((record) => {
    buffer += `${traceJsonLine(record)}\n`;
    records++;
    if (buffer.length >= FLUSH_CHARS) flush();
  });
  return () => {
    unsubscribe();
    flush();
    closeSync(fd);
    return { records, bytes };
  };
}
