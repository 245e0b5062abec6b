/**
 * Goal: the metrics lines of `distsim run` read easily and honestly: values in their unit
 * (latencies in ms or s, rates in %), integers grouped, long lists wrapped under the entity
 * instead of running off the terminal, and a legend saying a client's latency counts
 * successes only.
 * Method: format the run report of the collapse run (test/report/reportModels.ts: a third of
 * the requests fail) and read its metrics part.
 */
import { describe, expect, it } from "vitest";
import { formatRunReport, toRunReport } from "../../src/cli/runReport.js";
import { collapseRun } from "../report/reportModels.js";

describe("distsim run's metrics lines", () => {
  const run = collapseRun();
  const text = formatRunReport(toRunReport("collapse.ts", run.sim, run.summary));
  const metrics = text.slice(text.indexOf("\n  metrics\n"));

  it("prints values in their unit, grouped and to four significant digits", () => {
    expect(metrics).toContain("requests=2,422");
    expect(metrics).toContain("failureRate=33.57%");
    expect(metrics).toContain("p99Latency=229.9 ms");
    expect(metrics).toContain("p99FinishedLatency=500 ms");
    expect(metrics).toContain("utilization=33.25%");
    // Nothing measured reads as a dash, not NaN.
    expect(metrics).toMatch(/idle sink\s+received=0 .*p99Latency=–/);
    expect(metrics).not.toContain("NaN");
  });

  it("wraps long lists under the first pair, within 100 columns", () => {
    const lines = metrics.split("\n");
    for (const line of lines) expect(line.length).toBeLessThanOrEqual(100);
    const client = lines.findIndex((l) => l.startsWith("  client "));
    expect(lines[client + 1]).toMatch(/^ {13}\S/);
  });

  it("says what a client's latencies count", () => {
    expect(metrics).toContain("a client's ...Latency counts successful requests only");
    expect(metrics).toContain("...FinishedLatency counts every");
  });
});
