/**
 * `distsim run model.ts [--seed N] [--until SECONDS] [--json F] [--csv F] [--report F] [--trace F]`:
 * runs a user's model file and prints a summary table.
 *
 * A model file (TypeScript or JavaScript) exports its builder as the default export or as
 * `build`: `(context: { seed, params }) => Simulation`, and may export `until` (seconds) as its
 * default horizon. TypeScript is loaded through tsx, so no build step is needed.
 *
 * A model that fails is reported as the engine reports it (entity, simulated time, cause) with
 * the seed that reproduces it, and exit code 3; a file that is not a model gets exit code 4.
 */
import { existsSync, writeFileSync } from "node:fs";
import { resolve } from "node:path";
import { pathToFileURL } from "node:url";
import { tsImport } from "tsx/esm/api";
import type { ModelBuilder } from "../core/model.js";
import type { RunSummary, Simulation } from "../core/simulation.js";
import { runRecordCsv, runRecordJson } from "../metrics/export.js";
import { installGeneratorLocator } from "../node/generatorLocator.js";
import { reportFromRun } from "../report/fromRun.js";
import { writeReport } from "../report/writeReport.js";
import { ExitCode } from "./exitCodes.js";
import { resolveDistsimForModels } from "./modelResolution.js";
import { formatRunReport, type RunReport, toRunReport } from "./runReport.js";
import { writeTraceFile } from "./traceFile.js";

export interface RunCommandOptions {
  file: string;
  seed: number;
  until?: number;
  json?: string;
  /** Writes every number of the run as one tidy CSV here. */
  csv?: string;
  /** Writes a self-contained HTML report (probes as charts, entities as a table) here. */
  report?: string;
  /** Writes the trace stream here, one JSON object per line (also when the model fails). */
  trace?: string;
}

export interface CommandIO {
  out(text: string): void;
  err(text: string): void;
  /** Whether stderr is a terminal (progress is shown only then). */
  isTTY: boolean;
}

/** Events per slice between progress updates on a terminal. */
const PROGRESS_SLICE_EVENTS = 2_000_000;

async function loadModel(file: string): Promise<{ build: ModelBuilder; until?: number } | string> {
  const path = resolve(file);
  if (!existsSync(path)) return `no such file: ${file}`;
  let module: Record<string, unknown>;
  resolveDistsimForModels();
  try {
    module = /\.[cm]?tsx?$/.test(path)
      ? await tsImport(pathToFileURL(path).href, import.meta.url)
      : await import(pathToFileURL(path).href);
  } catch (error) {
    return `could not load ${file}: ${(error as Error).message}`;
  }
  // A .ts file outside an ESM package ("type": "module") is loaded as CommonJS, so its
  // exports arrive wrapped in `default`: unwrap them, or such a model would look empty.
  const wrapped = module.default as Record<string, unknown> | undefined;
  if (
    typeof wrapped === "object" &&
    wrapped !== null &&
    (typeof wrapped.default === "function" || typeof wrapped.build === "function")
  ) {
    module = wrapped;
  }
  const build = (module.default ?? module.build) as unknown;
  if (typeof build !== "function") {
    return `${file} must export its builder as the default export or as "build": (context: { seed, params }) => Simulation`;
  }
  const until = module.until;
  if (until !== undefined && (typeof until !== "number" || !(until >= 0))) {
    return `${file} exports "until" = ${String(until)}; it must be a number of seconds >= 0`;
  }
  return { build: build as ModelBuilder, until: until as number | undefined };
}

function isSimulation(value: unknown): value is Simulation {
  return (
    typeof value === "object" &&
    value !== null &&
    typeof (value as Simulation).run === "function" &&
    typeof (value as Simulation).seed === "number"
  );
}

export async function runCommand(options: RunCommandOptions, io: CommandIO): Promise<number> {
  installGeneratorLocator();
  const loaded = await loadModel(options.file);
  if (typeof loaded === "string") {
    io.err(`distsim run: ${loaded}\n`);
    return ExitCode.invalidModel;
  }
  let sim: unknown;
  try {
    sim = loaded.build({ seed: options.seed, params: {} });
  } catch (error) {
    io.err(`distsim run: building the model failed: ${(error as Error).message}\n`);
    return ExitCode.invalidModel;
  }
  if (!isSimulation(sim)) {
    io.err(`distsim run: the builder in ${options.file} did not return a Simulation\n`);
    return ExitCode.invalidModel;
  }
  const until = options.until ?? loaded.until;
  let summary: RunSummary;
  let wallSeconds = 0;
  let events = 0;
  let finishTrace: (() => void) | null = null;
  if (options.trace !== undefined) {
    try {
      finishTrace = writeTraceFile(sim, options.trace);
    } catch (error) {
      io.err(`distsim run: cannot write the trace: ${(error as Error).message}\n`);
      return ExitCode.usage;
    }
  }
  try {
    // Run in slices so a terminal can show progress; slicing does not change the run.
    for (;;) {
      summary = sim.run({
        ...(until === undefined ? {} : { until }),
        maxEvents: PROGRESS_SLICE_EVENTS,
      });
      wallSeconds += summary.wallSeconds;
      events += summary.eventsProcessed;
      if (summary.reason !== "event-limit") break;
      if (io.isTTY) {
        io.err(
          `\r  t=${summary.time.toFixed(3)}s${until === undefined ? "" : ` of ${until}s`}  ` +
            `${events.toLocaleString("en-US")} events  ${Math.round(events / wallSeconds).toLocaleString("en-US")} events/s`,
        );
      }
    }
    if (io.isTTY && events > PROGRESS_SLICE_EVENTS) io.err("\n");
  } catch (error) {
    const message = error instanceof Error ? error.message : String(error);
    const cause =
      error instanceof Error && error.cause instanceof Error
        ? `\n  caused by: ${error.cause.message}`
        : "";
    io.err(
      `distsim run: the model failed: ${message}${cause}\n  seed ${options.seed} reproduces it: distsim run ${options.file} --seed ${options.seed}\n`,
    );
    return ExitCode.modelFailed;
  } finally {
    finishTrace?.();
  }
  const report: RunReport = toRunReport(options.file, sim, {
    ...summary,
    eventsProcessed: events,
    wallSeconds,
    eventsPerWallSecond: wallSeconds > 0 ? events / wallSeconds : 0,
  });
  io.out(formatRunReport(report));
  if (options.json !== undefined) {
    writeFileSync(options.json, runRecordJson(report));
    io.out(`\nwrote ${options.json}\n`);
  }
  if (options.csv !== undefined) {
    writeFileSync(options.csv, runRecordCsv(report));
    io.out(`\nwrote ${options.csv}\n`);
  }
  if (options.report !== undefined) {
    writeReport(
      reportFromRun(sim, report.summary, `distsim run ${options.file}`, `seed ${options.seed}`),
      options.report,
    );
    io.out(`\nwrote ${options.report}\n`);
  }
  if (options.trace !== undefined) io.out(`\nwrote ${options.trace}\n`);
  return ExitCode.ok;
}
