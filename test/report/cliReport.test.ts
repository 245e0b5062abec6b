/**
 * Goal: the report `distsim run --report` writes is as complete as one built in-process. The
 * CLI loads a model through tsx, which gives the model its own copy of distsim's modules; the
 * report must still read its histograms (every cell of the percentile table has a number), and
 * the run table of a failed run must say why it stopped, not how its last slice of events
 * ended.
 * Method: run the built CLI (dist/: `npm test` builds first) as a user would, on the guide's
 * capacity model and on a model whose queue runs away, and read the written HTML's tables.
 */
import { spawnSync } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";

const root = join(import.meta.dirname, "../..");
const cli = join(root, "dist/cli/main.js");
const scratch = mkdtempSync(join(tmpdir(), "distsim-report-"));
afterAll(() => rmSync(scratch, { recursive: true, force: true }));

const decode = (html: string) =>
  html
    .replace(/<[^>]+>/g, "")
    .replace(/&quot;/g, '"')
    .replace(/&lt;/g, "<")
    .replace(/&gt;/g, ">")
    .replace(/&amp;/g, "&");

/** The rows of the table under the `<h2>` titled `title`, as cell texts. */
function tableRows(html: string, title: string): string[][] {
  const start = html.indexOf(`<h2>${title}</h2>`);
  if (start < 0) throw new Error(`no table titled ${title}`);
  const section = html.slice(start, html.indexOf("</section>", start));
  const body = section.slice(section.indexOf("<tbody>"));
  return [...body.matchAll(/<tr>(.*?)<\/tr>/g)].map(([, row]) =>
    [...row!.matchAll(/<td[^>]*>(.*?)<\/td>/g)].map(([, cell]) => decode(cell!)),
  );
}

function runCli(model: string, report: string): { status: number | null; html: string } {
  const path = join(scratch, report);
  const result = spawnSync(process.execPath, [cli, "run", model, "--quiet", "--report", path], {
    cwd: root,
    encoding: "utf8",
    timeout: 120_000,
  });
  return { status: result.status, html: readFileSync(path, "utf8") };
}

describe("distsim run --report", () => {
  it("fills every cell of the percentile table for the guide's capacity model", () => {
    const { status, html } = runCli("examples/guide/capacity-model.ts", "capacity.html");
    expect(status).toBe(0);
    const rows = tableRows(html, "Percentiles");
    expect(rows.map((r) => `${r[0]} / ${r[1]}`)).toEqual([
      "api-0 / queue wait",
      "api-0 / sojourn (wait + service)",
      "api-1 / queue wait",
      "api-1 / sojourn (wait + service)",
      "api-2 / queue wait",
      "api-2 / sojourn (wait + service)",
      "api-3 / queue wait",
      "api-3 / sojourn (wait + service)",
      "users / latency, successes only",
      "users / latency, every finished request",
    ]);
    for (const row of rows) {
      // count, mean, p50, p90, p99, p999, max: all measured.
      const [count, ...durations] = row.slice(2, 9);
      expect(count, row.join(" | ")).toMatch(/^\d{1,3}(,\d{3})*$/);
      for (const cell of durations) expect(cell, row.join(" | ")).toMatch(/^[\d.,]+ (ns|µs|ms|s)$/);
    }
    const users = rows.find((r) => r[1] === "latency, successes only")!;
    // 63,208 requests, none failed; the last few were still in flight at the end.
    expect(users[2]).toBe("63,192");
    expect(users[9]).toBe("0%");
  });

  it("says why a failed run stopped, in the run table and the banner", () => {
    const { status, html } = runCli("test/fixtures/models/runaway.ts", "runaway.html");
    expect(status).toBe(3);
    const run = Object.fromEntries(tableRows(html, "Run").map(([k, v]) => [k, v]));
    expect(run.run).toBe("PARTIAL: stopped before its end");
    // The last slice of events ended at its event limit; the run ended at the runaway guard.
    expect(run.stopped).toMatch(/^at t = 0:16:40\.001 \(1,000 s\): .*runaway queue/);
    expect(run.stopped).not.toContain("event-limit");
    const banner = decode(/<div class="partial" id="partial-banner">(.*?)<\/div>/s.exec(html)![1]!);
    expect(banner).toContain("PARTIAL RUN: stopped before its end, at t = 0:16:40.001 (1,000 s).");
    expect(banner).toContain("runaway queue");
    expect(banner).not.toMatch(/\)\.\)|\.\./);
  });
});
