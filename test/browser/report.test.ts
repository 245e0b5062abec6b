/// <reference lib="dom" />
/// <reference lib="dom.iterable" />
/**
 * Goal: a report page does not flatter the run it shows, checked where it matters, in a
 * browser. Where nothing succeeded the latency line has a gap (it is not drawn across the
 * outage), the retry-storm demo's own report included; the latency chart says it counts
 * successes and the failure rate is charted beside it; crashes and recoveries are vertical
 * lines; a series with no data says "No data" instead of drawing a blank box; a log-scale toggle
 * redraws a latency chart; a two-hour run's time axis reads h:mm; numbers are grouped and
 * rounded; the run table has seed, parameters, simulated and wall time, events, the trace hash,
 * and says when a run is partial; charts fit a 420 px window and follow it when it widens.
 * Method: write the reports of the runs in test/report/reportModels.ts and of
 * `examples/resilience/retry-storm.ts` (run as a user would, in a scratch directory), open each
 * in headless Debian Chromium through playwright-core with every network request refused, and
 * check the drawn canvas (pixels of a series' colour between two times) and uPlot's own data
 * and axis labels. Screenshots of each check go to test-results/report-*.png for a person to
 * look at.
 */
import { execFileSync } from "node:child_process";
import { mkdirSync } from "node:fs";
import { join } from "node:path";
import type { Browser, Page } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { formatNumber, formatSeconds } from "../../src/report/format.js";
import { reportFromRun } from "../../src/report/fromRun.js";
import { writeReport } from "../../src/report/writeReport.js";
import { CRASH_AT_S, collapseRun, RECOVER_AT_S, twoHourRun } from "../report/reportModels.js";
import { browserAvailable, launchChromium } from "../support/chromium.js";

const root = join(import.meta.dirname, "../..");
const out = join(root, "test-results");
const shot = (name: string) => join(out, `report-${name}.png`);

/** The page's palette, in order: series 1, 2, ... of a chart. */
const BLUE = "#1f77b4";
const ORANGE = "#ff7f0e";
const GREEN = "#2ca02c";
const CRASH_RED = "#d62728";
const RECOVERY_GREEN = "#2e7d32";

interface OpenPage {
  page: Page;
  errors: string[];
  requests: string[];
}

/** Counts, in chart `index`'s plot area between two times, the pixels near any of `colours`. */
const COUNT_PIXELS = `({ index, from, to, colours }) => {
  const plot = window.distsimReport.plots[index];
  const { top, height } = plot.bbox;
  const x0 = Math.round(plot.valToPos(from, "x", true));
  const x1 = Math.max(x0 + 1, Math.round(plot.valToPos(to, "x", true)));
  const { data } = plot.ctx.getImageData(x0, top, x1 - x0, height);
  const wanted = colours.map((hex) => [1, 3, 5].map((i) => parseInt(hex.slice(i, i + 2), 16)));
  let count = 0;
  for (let i = 0; i < data.length; i += 4) {
    if (data[i + 3] < 128) continue;
    if (wanted.some(([r, g, b]) => Math.abs(data[i] - r) + Math.abs(data[i + 1] - g) + Math.abs(data[i + 2] - b) < 60)) count++;
  }
  return count;
}`;

describe.runIf(browserAvailable)("an honest report, in Chromium", () => {
  let browser: Browser;

  beforeAll(async () => {
    mkdirSync(out, { recursive: true });
    browser = await launchChromium();
  });
  afterAll(async () => {
    await browser?.close();
  });

  async function open(path: string, width = 1100): Promise<OpenPage> {
    const page = await browser.newPage({ viewport: { width, height: 1000 } });
    const errors: string[] = [];
    const requests: string[] = [];
    await page.route("**/*", (route) => {
      const url = route.request().url();
      if (url.startsWith("file://")) return route.continue();
      requests.push(url);
      return route.abort();
    });
    page.on("pageerror", (error) => errors.push(error.message));
    page.on("console", (message) => {
      if (message.type() === "error") errors.push(message.text());
    });
    await page.goto(`file://${path}`);
    await page.waitForSelector("body[data-report-ready='true']", { timeout: 15_000 });
    return { page, errors, requests };
  }

  const chartIndex = (page: Page, title: string) =>
    page.evaluate(
      `JSON.parse(document.getElementById("report-data").textContent).charts.findIndex((c) => c.title.startsWith(${JSON.stringify(title)}))`,
    ) as Promise<number>;
  const pixels = (page: Page, index: number, from: number, to: number, colours: string[]) =>
    page.evaluate(
      `(${COUNT_PIXELS})(${JSON.stringify({ index, from, to, colours })})`,
    ) as Promise<number>;
  const section = (page: Page, index: number) =>
    page.locator("section", { has: page.locator(`#chart-${index}`) });

  describe("a collapse: the server is down from 20 s to 40 s", () => {
    let opened: OpenPage;
    beforeAll(async () => {
      const run = collapseRun();
      const input = reportFromRun(run.sim, run.summary, "Collapse", "server down 20-40 s", {
        markers: run.markers,
        run: {
          model: "collapse.ts",
          params: { rate: 40, timeout: 0.5 },
          finished: false,
          stopReason: "interrupted (Ctrl-C)",
          wallSeconds: 1234.5,
        },
      });
      opened = await open(writeReport(input, join(out, "report-collapse.html")));
      await opened.page.screenshot({ path: shot("collapse"), fullPage: true });
    }, 60_000);
    afterAll(async () => {
      await opened?.page.close();
    });

    it("loads offline with no error", () => {
      expect(opened.errors).toEqual([]);
      expect(opened.requests).toEqual([]);
    });

    it("leaves a gap in the latency where nothing succeeded, and says what the latency counts", async () => {
      const { page } = opened;
      const index = await chartIndex(page, "client: latency of successful requests");
      expect(index).toBeGreaterThanOrEqual(0);
      await section(page, index).screenshot({ path: shot("gap") });
      // The p50 and p99 lines are drawn before and after the outage, and not across it.
      expect(await pixels(page, index, 2, 18, [BLUE, ORANGE])).toBeGreaterThan(100);
      expect(await pixels(page, index, 42, 58, [BLUE, ORANGE])).toBeGreaterThan(100);
      expect(await pixels(page, index, CRASH_AT_S + 2, RECOVER_AT_S - 2, [BLUE, ORANGE])).toBe(0);
      const nulls = (await page.evaluate(
        `window.distsimReport.plots[${index}].data[2].filter((v) => v === null).length`,
      )) as number;
      expect(nulls).toBeGreaterThanOrEqual(18);
      // The outage is shaded and labelled "no data" from the first empty window to the next success.
      const bands = JSON.parse(
        (await page.locator(`#chart-${index}`).getAttribute("data-no-data-bands"))!,
      );
      expect(bands).toEqual([[CRASH_AT_S, RECOVER_AT_S]]);
      const note = await section(page, index).locator(".note").first().textContent();
      expect(note).toContain("Successful requests only");
      expect(note).toContain("(33.57%) failed");
    });

    it("charts the failure rate beside the latency: 100% while the server is down", async () => {
      const { page } = opened;
      const latency = await chartIndex(page, "client: latency");
      const failures = await chartIndex(page, "client: failure rate");
      expect(failures).toBe(latency + 1);
      await section(page, failures).screenshot({ path: shot("failure-rate") });
      const ticks = (await page.evaluate(
        `window.distsimReport.plots[${failures}].axes[1]._values`,
      )) as string[];
      expect(ticks).toContain("100%");
      expect(
        await pixels(page, failures, CRASH_AT_S + 2, RECOVER_AT_S - 2, [BLUE]),
      ).toBeGreaterThan(50);
    });

    it("draws the crash and the recovery as vertical lines on every chart", async () => {
      const { page } = opened;
      const drawn = (await page.evaluate(
        "window.distsimReport.plots.flatMap((plot, index) => (plot ? [index] : []))",
      )) as number[];
      expect(drawn.length).toBeGreaterThanOrEqual(4);
      for (const index of drawn) {
        expect(
          await pixels(page, index, CRASH_AT_S - 0.2, CRASH_AT_S + 0.2, [CRASH_RED]),
        ).toBeGreaterThan(20);
        expect(
          await pixels(page, index, RECOVER_AT_S - 0.2, RECOVER_AT_S + 0.2, [RECOVERY_GREEN]),
        ).toBeGreaterThan(20);
      }
      const rows = await page
        .locator("section", { hasText: "Crashes, recoveries" })
        .locator("tbody tr")
        .allTextContents();
      expect(rows).toEqual(["20 scrashserver crashed", "40 srecoveryserver recovered"]);
    });

    it("says 'No data' for a series that recorded none, instead of a blank box", async () => {
      const { page } = opened;
      const index = await chartIndex(page, "idle sink: latency");
      const empty = page.locator(`#chart-${index}`);
      expect(await empty.getAttribute("data-no-data")).toBe("true");
      expect(await empty.textContent()).toContain("No data: idle sink p50, idle sink p99");
      expect(await section(page, index).locator("canvas").count()).toBe(0);
      await section(page, index).screenshot({ path: shot("no-data") });
    });

    it("redraws a latency chart on a log scale when its toggle is ticked", async () => {
      const { page } = opened;
      const index = await chartIndex(page, "client: latency");
      await page.locator(`#log-${index}`).check();
      await page.waitForSelector(`#chart-${index}[data-log-scale='true']`);
      expect(await page.evaluate(`window.distsimReport.plots[${index}].scales.y.distr`)).toBe(3);
      // Still a gap, on a log scale too.
      expect(await pixels(page, index, CRASH_AT_S + 2, RECOVER_AT_S - 2, [BLUE, ORANGE])).toBe(0);
      expect(await pixels(page, index, 2, 18, [BLUE, ORANGE])).toBeGreaterThan(100);
      await section(page, index).screenshot({ path: shot("log-scale") });
      // Charts of counts have no toggle.
      const queue = await chartIndex(page, "queue");
      expect(await page.locator(`#log-${queue}`).count()).toBe(0);
    });

    it("has a run table with seed, parameters, times, events and the trace hash, and flags a partial run", async () => {
      const { page } = opened;
      const banner = await page.locator("#partial-banner").textContent();
      expect(banner).toContain("PARTIAL RUN: stopped before its end, at t = 0:01:00 (60 s).");
      expect(banner).toContain("Why: interrupted (Ctrl-C)");
      const rows = Object.fromEntries(
        (await page
          .locator("table.run tr")
          .evaluateAll((trs) =>
            trs.map((tr) => Array.from(tr.querySelectorAll("td")).map((td) => td.textContent)),
          )) as [string, string][],
      );
      expect(rows).toMatchObject({
        model: "collapse.ts",
        seed: "3",
        parameters: "rate = 40, timeout = 0.5",
        run: "PARTIAL: stopped before its end",
        stopped: "at t = 0:01:00 (60 s): interrupted (Ctrl-C)",
        "simulated time": "0:01:00 (60 s)",
        "wall time": "0:20:34.5 (1,235 s)",
        "trace hash": expect.stringMatching(/^[0-9a-f]{16}$/),
      });
      expect(rows.events).toMatch(/^\d{1,3}(,\d{3})+ \(\d+ per wall second\)$/);
      // The top of the page, wherever an earlier check scrolled to.
      await page.screenshot({
        path: shot("run-table"),
        fullPage: true,
        clip: { x: 0, y: 0, width: 1100, height: 560 },
      });
    });

    it("prints numbers grouped and rounded, in their units, the same in the page as in Node", async () => {
      const { page } = opened;
      const percentiles = page.locator('section:has(h2:text-is("Percentiles"))');
      await percentiles.screenshot({ path: shot("percentiles") });
      const header = await percentiles.locator("th").allTextContents();
      expect(header).toEqual([
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
      const client = await percentiles
        .locator("tr", { hasText: "successes only" })
        .locator("td")
        .allTextContents();
      expect(client.slice(2, 5)).toEqual(["1,609", "55.12 ms", "38 ms"]);
      expect(client.at(-1)).toBe("33.57%");
      const entities = await page
        .locator("section", { hasText: "Entities" })
        .locator("td")
        .allTextContents();
      expect(entities).toContain("1,613");
      const inPage = (await page.evaluate(
        "[formatNumber(1726218), formatNumber(0.123456), formatSeconds(0.2041), formatSeconds(1.5)]",
      )) as string[];
      expect(inPage).toEqual([
        formatNumber(1726218),
        formatNumber(0.123456),
        formatSeconds(0.2041),
        formatSeconds(1.5),
      ]);
      expect(inPage).toEqual(["1,726,218", "0.1235", "204.1 ms", "1.5 s"]);
      // Wide metric tables fit the page: the client's twenty metrics are rows, not columns.
      const wide = (await page.evaluate(
        "Math.max(...Array.from(document.querySelectorAll('.table-scroll table')).map((t) => t.getBoundingClientRect().right))",
      )) as number;
      expect(wide).toBeLessThanOrEqual(1100);
    });
  });

  it("fits its charts to a narrow window, and follows the window when it widens", async () => {
    const run = collapseRun();
    // A title as distsim run writes it: the model's path, one long word.
    const title = "distsim run /home/someone/projects/capacity/models/collapse-at-peak.ts";
    const input = reportFromRun(run.sim, run.summary, title, "server down 20-40 s", {
      markers: run.markers,
    });
    const { page, errors } = await open(writeReport(input, join(out, "report-narrow.html")), 420);
    /** Each drawn chart's width and its container's, in CSS pixels. */
    const widths = () =>
      page.evaluate(
        `window.distsimReport.plots.filter(Boolean).map((p) => [p.width, p.root.parentElement.clientWidth])`,
      ) as Promise<[number, number][]>;
    try {
      await page.screenshot({ path: shot("narrow"), fullPage: true });
      const narrow = await widths();
      expect(narrow.length).toBeGreaterThanOrEqual(4);
      for (const [plot, host] of narrow) {
        expect(host).toBeLessThan(420);
        expect(plot).toBe(host);
      }
      // Nothing pushes the page sideways: wide tables scroll inside their own box.
      expect(await page.evaluate("document.documentElement.scrollWidth")).toBeLessThanOrEqual(420);
      await page.setViewportSize({ width: 900, height: 1000 });
      await page.waitForFunction(
        "window.distsimReport.plots.filter(Boolean).every((p) => p.width > 700)",
      );
      for (const [plot, host] of await widths()) expect(plot).toBe(host);
      expect(errors).toEqual([]);
    } finally {
      await page.close();
    }
  }, 60_000);

  it("reads a two-hour run's time axis as h:mm", async () => {
    const run = twoHourRun();
    const input = reportFromRun(run.sim, run.summary, "Two hours", "seed 4");
    const { page, errors } = await open(writeReport(input, join(out, "report-two-hours.html")));
    try {
      const index = await chartIndex(page, "client: latency");
      await section(page, index).screenshot({ path: shot("clock-axis") });
      const ticks = (await page.evaluate(
        `window.distsimReport.plots[${index}].axes[0]._values`,
      )) as string[];
      expect(ticks.length).toBeGreaterThan(2);
      for (const tick of ticks) expect(tick).toMatch(/^\d+:\d\d$/);
      expect(ticks).toContain("1:00");
      expect(await page.evaluate(`window.distsimReport.plots[${index}].axes[0].label`)).toBe(
        "simulated time (h:mm)",
      );
      const rows = await page.locator("table.run td").allTextContents();
      expect(rows).toContain("2:00:00 (7,200 s)");
      expect(errors).toEqual([]);
    } finally {
      await page.close();
    }
  }, 60_000);

  it("shows the retry-storm demo's outage as a gap in its p99 chart", async () => {
    // Run the demo as `npm run demo` does, in a scratch directory it writes its report under.
    const scratch = join(out, "retry-storm-demo");
    mkdirSync(scratch, { recursive: true });
    execFileSync(
      process.execPath,
      ["--import", "tsx", join(root, "examples/resilience/retry-storm.ts")],
      { cwd: scratch, encoding: "utf8", timeout: 60_000 },
    );
    const { page, errors } = await open(join(scratch, "reports/retry-storm.html"));
    try {
      const index = await chartIndex(page, "p99 latency of successful requests");
      await section(page, index).screenshot({ path: shot("retry-storm-p99") });
      await page.screenshot({ path: shot("retry-storm"), fullPage: true });
      // Series 1 (immediate retries, blue) never succeeds again after the spike; series 3
      // (backoff with a 10% budget, green) has nothing from 22 s until it recovers near 50 s.
      const plot = `window.distsimReport.plots[${index}]`;
      const lastBlue = (await page.evaluate(
        `(() => { const p = ${plot}; let last = -1; p.data[1].forEach((v, i) => { if (typeof v === "number") last = p.data[0][i]; }); return last; })()`,
      )) as number;
      expect(lastBlue).toBeLessThan(25);
      expect(await pixels(page, index, 26, 48, [BLUE, GREEN])).toBe(0);
      expect(await pixels(page, index, 2, 18, [BLUE, GREEN])).toBeGreaterThan(100);
      expect(await pixels(page, index, 55, 75, [GREEN])).toBeGreaterThan(50);
      expect(errors).toEqual([]);
    } finally {
      await page.close();
    }
  }, 90_000);
});
