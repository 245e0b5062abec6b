/**
 * `writeReport(input, "report.html")`: writes a self-contained HTML report (see html.ts) and
 * returns its absolute path. Node-only: it reads the chart library from node_modules and
 * writes a file.
 */
import { mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { createRequire } from "node:module";
import { dirname, resolve } from "node:path";
import { type ChartLibrary, renderReportHtml } from "./html.js";
import type { ReportInput } from "./reportInput.js";

let library: ChartLibrary | null = null;

function chartLibrary(): ChartLibrary {
  if (library === null) {
    const require = createRequire(import.meta.url);
    library = {
      script: readFileSync(require.resolve("uplot/dist/uPlot.iife.min.js"), "utf8"),
      styles: readFileSync(require.resolve("uplot/dist/uPlot.min.css"), "utf8"),
    };
  }
  return library;
}

export function writeReport(input: ReportInput, path: string): string {
  const absolute = resolve(path);
  mkdirSync(dirname(absolute), { recursive: true });
  writeFileSync(absolute, renderReportHtml(input, chartLibrary()));
  return absolute;
}
