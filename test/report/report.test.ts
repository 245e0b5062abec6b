/// <reference lib="dom" />
/// <reference lib="dom.iterable" />
/**
 * Goal: a report is one self-contained HTML file that a browser opens offline and draws every
 * chart in, with data; and the HTML escapes what it embeds.
 * Method: render with the real chart library, open the file in headless Debian Chromium
 * through playwright-core with every network request refused, wait for the charts, check each
 * canvas has many distinct pixel colours (drawn, not blank), and save a screenshot to
 * test-results/report.png for a person to look at.
 */
import { mkdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
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
