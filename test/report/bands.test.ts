/**
 * Goal: a report shades faults: `faultBands` turns a schedule's rows into bands (faults that
 * ran, to their heal or the end), and the page lists them and hands them to its charts.
 * Method: a schedule run in-process, its bands checked as data, then rendered without a
 * browser (test/browser/report.test.ts draws pages in Chromium).
 */
import { describe, expect, it } from "vitest";
import { dist, FaultSchedule, Server, Simulation } from "../../src/index.js";
import { faultBands, renderReportHtml } from "../../src/report/index.js";

describe("fault bands", () => {
  it("cover the faults that ran, from activation to heal or the end", () => {
    const sim = new Simulation({ seed: 1 });
    new Server(sim, "server", { serviceTime: dist.exponential(0.1) });
    new Server(sim, "other", { serviceTime: dist.exponential(0.1) });
    const schedule = new FaultSchedule(sim, {
      faults: [
        { kind: "crash", targets: ["server"], at: 2, for: 3 },
        { kind: "crash", targets: ["other"], at: 4, for: 1 },
        { kind: "crash", targets: ["server", "other"], at: 8 },
      ],
    });
    schedule.cancel(1);
    sim.run({ until: 10 });
    expect(faultBands(schedule.rows())).toEqual([
      { from: 2, to: 5, label: "#0 crash server" },
      { from: 8, to: null, label: "#2 crash server,other" },
    ]);
  });

  it("are listed in a Faults table and embedded for the charts", () => {
    const html = renderReportHtml(
      {
        title: "bands",
        charts: [
          {
            title: "c",
            yLabel: "s",
            series: [
              {
                name: "x",
                points: [
                  [0, 1],
                  [10, 2],
                ],
              },
            ],
          },
        ],
        bands: [
          { from: 2, to: 5, label: "#0 crash <s>" },
          { from: 8, to: null, label: "#2 crash t" },
        ],
      },
      { script: "/* uPlot */", styles: "" },
    );
    expect(html).toContain("<h2>Faults</h2>");
    expect(html).toContain("#0 crash &lt;s&gt;");
    expect(html).toContain("the end");
    const data = JSON.parse(
      /<script type="application\/json" id="report-data">(.*?)<\/script>/s.exec(html)![1]!,
    );
    expect(data.bands).toEqual([
      { from: 2, to: 5, label: "#0 crash <s>" },
      { from: 8, to: null, label: "#2 crash t" },
    ]);
    const without = renderReportHtml({ title: "none", charts: [] }, { script: "", styles: "" });
    expect(without).not.toContain("<h2>Faults</h2>");
  });
});
