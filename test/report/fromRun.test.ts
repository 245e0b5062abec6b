/**
 * Goal: a report built from a run does not flatter it. A client's latency chart says it
 * counts successes and how many requests failed; its failure rate is charted beside it; a
 * window with no success is "no data", not left out; the percentile table has p50/p90/p99/p999
 * of every duration a component measures with the failure rate beside a client's latency;
 * crashes become markers; run details the caller knows (parameters, wall time, a partial run)
 * reach the input. A model loaded with its own copy of distsim's modules (as `distsim run` loads
 * one, through tsx) gets the same percentile table.
 * Method: build the report input from a run whose server is down from 20 s to 40 s (see
 * reportModels.ts) and check its charts, tables and markers as data; the browser test checks
 * how the page draws them. The same run loaded through tsx's `tsImport` (a second instance of
 * every module, the CLI's way) must give the same table.
 */
import { tsImport } from "tsx/esm/api";
import { describe, expect, it } from "vitest";
import { Histogram } from "../../src/metrics/histogram.js";
import { reportFromRun } from "../../src/report/fromRun.js";
import type { ReportChart, ReportTable } from "../../src/report/reportInput.js";
import { CRASH_AT_S, collapseRun, RECOVER_AT_S } from "./reportModels.js";

const run = collapseRun();
const input = reportFromRun(run.sim, run.summary, "collapse", "seed 3", {
  markers: run.markers,
  run: { params: { rate: 40 }, finished: false, stopReason: "interrupted", wallSeconds: 2 },
});
const chart = (title: string): ReportChart => {
  const found = input.charts.find((c) => c.title.startsWith(title));
  if (found === undefined) throw new Error(`no chart titled ${title}`);
  return found;
};
const table = (title: string): ReportTable => {
  const found = input.tables?.find((t) => t.title === title);
  if (found === undefined) throw new Error(`no table titled ${title}`);
  return found;
};

describe("reportFromRun", () => {
  it("says a client's latency counts successes only, and how many requests failed", () => {
    const latency = chart("client: latency of successful requests");
    expect(latency.note).toMatch(/^Successful requests only/);
    expect(latency.note).toContain("813 of 2,422 finished requests (33.57%) failed");
    expect(latency.valueFormat).toBe("seconds");
    expect(latency.series.map((s) => s.name)).toEqual(["client p50 latency", "client p99 latency"]);
  });

  it("has no latency where nothing succeeded: those windows are NaN, not left out", () => {
    const p99 = chart("client: latency").series[1]!.points;
    expect(p99).toHaveLength(60);
    const down = p99.filter(([t]) => t > CRASH_AT_S && t < RECOVER_AT_S - 1);
    expect(down.length).toBeGreaterThan(15);
    for (const [, v] of down) expect(v).toBeNaN();
    for (const [t, v] of p99) if (t < CRASH_AT_S || t > RECOVER_AT_S) expect(v).toBeGreaterThan(0);
  });

  it("charts the failure rate right after the latency: all of them fail while the server is down", () => {
    const titles = input.charts.map((c) => c.title);
    const at = titles.indexOf("client: latency of successful requests, per window");
    expect(titles[at + 1]).toBe("client: failure rate, per window");
    const rate = chart("client: failure rate").series[0]!.points;
    expect(chart("client: failure rate").valueFormat).toBe("share");
    const value = (time: number) => rate.find(([t]) => t === time)![1];
    expect(value(30)).toBe(1);
    expect(value(10)).toBe(0);
  });

  it("keeps a series with no data, so the page can say so instead of drawing nothing", () => {
    const idle = chart("idle sink: latency");
    expect(idle.series.every((s) => s.points.every(([, v]) => Number.isNaN(v)))).toBe(true);
  });

  it("tables p50/p90/p99/p999 of every duration, with the failure rate beside a client's latency", () => {
    const percentiles = table("Percentiles");
    expect(percentiles.columns).toEqual([
      "entity",
      "measure",
      "count",
      "mean",
      "p50",
      "p90",
      "p99",
      "p999",
      "max",
      "failure rate",
    ]);
    const rows = percentiles.rows.map((r) => r.slice(0, 2).join(" / "));
    expect(rows).toEqual([
      "server / queue wait",
      "server / sojourn (wait + service)",
      "client / latency, successes only",
      "client / latency, every finished request",
      "idle sink / latency",
    ]);
    const [success, finished] = percentiles.rows.slice(2, 4);
    expect(success).toEqual([
      "client",
      "latency, successes only",
      "1,609",
      "55.12 ms",
      "38 ms",
      expect.stringMatching(/ ms$/),
      "229.9 ms",
      expect.stringMatching(/ ms$/),
      "380.7 ms",
      "33.57%",
    ]);
    // Every failure waited the full 0.5 s timeout: the finished p99 is the timeout.
    expect(finished![6]).toBe("500 ms");
    // The idle sink measured nothing: no number, not a zero.
    expect(percentiles.rows[4]!.slice(2, 9)).toEqual(["0", "–", "–", "–", "–", "–", "–"]);
  });

  it("prints metric tables in units, transposes wide ones and labels what a latency counts", () => {
    const client = table("Client");
    expect(client.columns).toEqual(["metric", "client"]);
    const row = (metric: string) => client.rows.find((r) => r[0] === metric)?.[1];
    expect(row("p99Latency (successes only)")).toBe("229.9 ms");
    expect(row("p99FinishedLatency (every finished request)")).toBe("500 ms");
    expect(row("failureRate")).toBe("33.57%");
    expect(row("requests")).toBe("2,422");
    expect(table("Probe").columns).toEqual(["entity", "points", "last"]);
  });

  it("marks the crash and the recovery, and passes the run's details on", () => {
    expect(input.markers).toEqual([
      { time: CRASH_AT_S, label: "server crashed", kind: "crash" },
      { time: RECOVER_AT_S, label: "server recovered", kind: "recovery" },
    ]);
    expect(input.run).toEqual({
      params: { rate: 40 },
      finished: false,
      stopReason: "interrupted",
      wallSeconds: 2,
    });
    const bare = reportFromRun(run.sim, run.summary, "collapse");
    expect("run" in bare || "markers" in bare || "subtitle" in bare).toBe(false);
  });

  it("fills the percentile table for a model with its own copy of distsim (as distsim run loads one)", async () => {
    const foreign = (await tsImport("./reportModels.ts", import.meta.url)) as {
      collapseRun: typeof collapseRun;
    };
    const copy = foreign.collapseRun();
    const latency = (copy.sim.entity("client") as unknown as { latency: unknown }).latency;
    // The premise: its histograms are not instances of this module's Histogram.
    expect(latency).not.toBeInstanceOf(Histogram);
    const percentiles = reportFromRun(copy.sim, copy.summary, "copy").tables?.[0];
    expect(percentiles?.title).toBe("Percentiles");
    expect(percentiles?.rows).toEqual(table("Percentiles").rows);
    // Every cell of a measure that saw values has a number (the idle sink saw none).
    for (const row of percentiles!.rows.slice(0, 4)) expect(row.slice(2, 9)).not.toContain("–");
  });
});
