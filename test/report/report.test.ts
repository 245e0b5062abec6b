/// <reference lib="dom" />
/// <reference lib="dom.iterable" />
/**
 * Goal: a report is one self-contained HTML file that a browser opens offline and draws every
 * chart in, with data; and the HTML escapes what it embeds.
 * Method: render with the real chart library, open the file in headless Debian Chromium
 * through playwright-core with every network request refused, wait for the charts, check each
 * canvas has many distinct pixel colours (drawn, not blank), and save a screenshot to
 * test-results/report.png for a person to look at. Without a browser: a NaN point is embedded
 * as null (a gap), an empty chart becomes a "No data" note, a partial run is flagged, and what
 * the caller gave is escaped. test/browser/report.test.ts checks how the page draws all this.
 */
import { mkdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { renderReportHtml } from "../../src/report/html.js";
import type { ReportInput } from "../../src/report/reportInput.js";
import { writeReport } from "../../src/report/writeReport.js";
import { browserAvailable, launchChromium } from "../support/chromium.js";

const root = join(import.meta.dirname, "../..");
const out = join(root, "test-results");

const input: ReportInput = {
  title: "Report <test> & check",
  subtitle: "three charts, one table",
  charts: [
    {
      title: "Latency",
      yLabel: "ms",
      series: [
        {
          name: "p50",
          points: Array.from(
            { length: 60 },
            (_, i) => [i, 10 + Math.sin(i / 5) * 3] as [number, number],
          ),
        },
        {
          name: "p99",
          points: Array.from(
            { length: 60 },
            (_, i) => [i, 40 + (i > 30 ? 200 : 0)] as [number, number],
          ),
        },
      ],
    },
    {
      title: "Throughput",
      yLabel: "requests/s",
      series: [
        {
          name: "served",
          points: [
            [0, 5],
            [10, 8],
            [20, 7],
          ],
        },
      ],
    },
    {
      title: "Queue",
      yLabel: "requests",
      series: [
        {
          name: "depth",
          points: [
            [0, 0],
            [5, 12],
            [9, 1],
          ],
        },
      ],
    },
  ],
  tables: [
    {
      title: "Entities",
      columns: ["name", "received"],
      rows: [
        ["server", 120],
        ["</script>", 1],
      ],
    },
  ],
};

describe("HTML report", () => {
  mkdirSync(out, { recursive: true });
  const path = writeReport(input, join(out, "report.html"));

  it("is self-contained: no external scripts or styles; text is escaped", () => {
    const html = readFileSync(path, "utf8");
    // Nothing loaded from elsewhere (the browser test also refuses every request).
    expect(html).not.toMatch(/<script[^>]+src=|<link[^>]+href=|<img[^>]+src=/);
    expect(html).toContain("<title>Report &lt;test&gt; &amp; check</title>");
    expect(html).toContain("<td>&lt;/script&gt;</td>");
    expect(html.match(/<script>/g)?.length).toBe(2);
  });

  it.runIf(browserAvailable)(
    "opens offline in Chromium with every chart drawn",
    async () => {
      const browser = await launchChromium();
      try {
        const page = await browser.newPage({ viewport: { width: 1100, height: 1400 } });
        const requests: string[] = [];
        await page.route("**/*", (route) => {
          const url = route.request().url();
          if (url.startsWith("file://")) return route.continue();
          requests.push(url);
          return route.abort();
        });
        const errors: string[] = [];
        page.on("pageerror", (error) => errors.push(error.message));
        await page.goto(`file://${path}`);
        await page.waitForSelector("body[data-charts-drawn='3']", { timeout: 15_000 });
        const colours = await page.evaluate(() =>
          Array.from(document.querySelectorAll("canvas")).map((canvas) => {
            const context = canvas.getContext("2d")!;
            const { data } = context.getImageData(0, 0, canvas.width, canvas.height);
            const seen = new Set<number>();
            for (let i = 0; i < data.length; i += 16)
              seen.add((data[i]! << 16) | (data[i + 1]! << 8) | data[i + 2]!);
            return seen.size;
          }),
        );
        await page.screenshot({ path: join(out, "report.png"), fullPage: true });
        expect(errors).toEqual([]);
        expect(requests).toEqual([]);
        expect(colours).toHaveLength(3);
        for (const distinct of colours) expect(distinct).toBeGreaterThan(3);
      } finally {
        await browser.close();
      }
    },
    60_000,
  );
});

describe("HTML report, without a browser", () => {
  const library = { script: "/* uPlot */", styles: "/* styles */" };
  const data = (html: string) =>
    JSON.parse(
      /<script type="application\/json" id="report-data">(.*?)<\/script>/s.exec(html)![1]!,
    );

  it("embeds a window with no data (NaN) as null, for the page to draw as a gap", () => {
    const html = renderReportHtml(
      {
        title: "gaps",
        charts: [
          {
            title: "p99",
            yLabel: "s",
            series: [
              {
                name: "p99",
                points: [
                  [0, 0.1],
                  [1, Number.NaN],
                  [2, 0.2],
                ],
              },
            ],
          },
        ],
      },
      library,
    );
    const chart = data(html).charts[0];
    expect(chart.series[0].points).toEqual([
      [0, 0.1],
      [1, null],
      [2, 0.2],
    ]);
    expect(chart.valueFormat).toBe("seconds");
    expect(chart.hasData).toBe(true);
    expect(html).toContain('id="log-0"');
  });

  it("says 'No data' for a chart whose series have none, and draws no box for it", () => {
    const html = renderReportHtml(
      {
        title: "empty",
        charts: [
          { title: "p99", yLabel: "ms", series: [{ name: "p99", points: [[0, Number.NaN]] }] },
        ],
      },
      library,
    );
    expect(html).toContain('data-no-data="true">No data: p99 recorded no value in this run.</p>');
    expect(html).not.toContain('class="chart"');
    expect(data(html).charts[0].hasData).toBe(false);
  });

  it("flags a partial run at the top and escapes what the caller gave", () => {
    const html = renderReportHtml(
      {
        title: "partial",
        run: {
          finished: false,
          stopReason: "<guard>",
          params: { "a<b": "c&d" },
          wallSeconds: 4000,
        },
        charts: [],
        markers: [{ time: 5, label: "<crash>", kind: "crash" }],
      },
      library,
    );
    expect(html).toContain("PARTIAL RUN: stopped before its end.");
    expect(html).toContain('<p class="why">Why: &lt;guard&gt;</p>');
    expect(html).toMatch(/>stopped<\/td><td[^>]*>&lt;guard&gt;<\/td>/);
    expect(html).toContain(">a&lt;b = c&amp;d</td>");
    expect(html).toContain(">1:06:40 (4,000 s)</td>");
    expect(html).toContain('<td class="text">&lt;crash&gt;</td>');
    expect(html).not.toContain("<crash>");
    const finished = renderReportHtml({ title: "done", run: {}, charts: [] }, library);
    expect(finished).not.toContain("PARTIAL");
    expect(finished).toContain(">finished</td>");
  });
});
