/**
 * `distsim sweep model.ts --grid rate=100..1000:100 --grid servers=2,4,8 --replications 20
 * [--seed ROOT] [--until S] [--workers N | --inline | --redis URL [--queue Q]] [--json F]
 * [--report F] [--stop-on-failure] [--quiet]`: a model over a grid times replications, on
 * worker threads by default, merged into one result. `distsim worker --redis URL` consumes
 * the runs a `--redis` sweep enqueues.
 */
import { createHash } from "node:crypto";
import { readFileSync, writeFileSync } from "node:fs";
import { ConfigError, groupDigits } from "../errors/errors.js";
import { writeReport } from "../report/writeReport.js";
import { bullmqBackend, DEFAULT_SWEEP_QUEUE, runSweepWorker } from "../sweep/node/bullmqBackend.js";
import { loadModelFile, resolveModelId } from "../sweep/node/modelFile.js";
import { threadsBackend } from "../sweep/node/threadsBackend.js";
import {
  inlineBackend,
  type SweepBackend,
  type SweepProgress,
  type SweepResult,
  sweep,
  sweepResultJson,
} from "../sweep/sweep.js";
import { ExitCode } from "./exitCodes.js";
import type { CommandIO } from "./runCommand.js";
import { formatDuration, shellWord } from "./runCommand.js";
import { sweepReport } from "./sweepReport.js";

export interface SweepCommandOptions {
  file: string;
  grid: readonly string[];
  replications: number;
  rootSeed: number;
  until?: number;
  /** Threads; default the cores. */
  workers?: number;
  /** Run in this process, one run at a time. */
  inline?: boolean;
  redis?: string;
  queue?: string;
  json?: string;
  report?: string;
  stopOnFailure?: boolean;
  quiet?: boolean;
  /** Wall seconds between progress lines when stderr is not a terminal. Default 10. */
  progressEverySeconds?: number;
}

/** Figures shown in the terminal table; --json and --report have them all. */
const SHOWN_FIGURES = 6;

export async function sweepCommand(options: SweepCommandOptions, io: CommandIO): Promise<number> {
  const path = resolveModelId(options.file);
  if (typeof path !== "string") {
    io.err(`distsim sweep: ${path.error}\n`);
    return ExitCode.invalidModel;
  }
  let backend: SweepBackend;
  try {
    backend =
      options.redis !== undefined
        ? bullmqBackend({ url: options.redis, queue: options.queue ?? DEFAULT_SWEEP_QUEUE })
        : options.inline === true
          ? inlineBackend({
              load: async (id) => {
                const model = await loadModelFile(id);
                if (typeof model === "string") throw new ConfigError("sweep", "model", model, id);
                return model;
              },
            })
          : threadsBackend(options.workers === undefined ? {} : { workers: options.workers });
  } catch (error) {
    io.err(`distsim sweep: ${(error as Error).message}\n`);
    return ExitCode.usage;
  }
  const clock = io.now ?? (() => performance.now());
  const bar =
    options.quiet === true ? null : new ProgressBar(io, clock, options.progressEverySeconds ?? 10);
  let result: SweepResult;
  try {
    result = await sweep({
      modelId: path,
      // The file's bytes name its version: a changed model is a new sweep (new BullMQ job ids).
      modelVersion: createHash("sha256").update(readFileSync(path)).digest("hex"),
      grid: options.grid,
      replications: options.replications,
      rootSeed: options.rootSeed,
      ...(options.until === undefined ? {} : { until: options.until }),
      ...(options.stopOnFailure === true ? { stopOnFirstFailure: true } : {}),
      backend,
      ...(bar === null ? {} : { onProgress: (p: SweepProgress) => bar.update(p) }),
    });
  } catch (error) {
    bar?.end();
    const message = (error as Error).message;
    io.err(`distsim sweep: ${message}\n`);
    return error instanceof ConfigError && /model/.test((error as ConfigError).parameter)
      ? ExitCode.invalidModel
      : ExitCode.usage;
  }
  bar?.end();
  io.out(formatSweep(result, options));
  if (options.json !== undefined) {
    writeFileSync(options.json, sweepResultJson(result));
    io.out(`\nwrote ${options.json}\n`);
  }
  if (options.report !== undefined) {
    writeReport(sweepReport(result, `distsim sweep ${options.file}`), options.report);
    io.out(`\nwrote ${options.report}\n`);
  }
  return result.runs.failed > 0 ? ExitCode.modelFailed : ExitCode.ok;
}

/** The merged result as a table: each point, its runs, and the first figures (mean ± CI). */
function formatSweep(result: SweepResult, options: SweepCommandOptions): string {
  const shown = result.figures.slice(0, SHOWN_FIGURES);
  const pct = `${Math.round(result.confidence * 100)}%`;
  const header = [...result.parameters, "ok", ...shown];
  const rows = result.points.map((point) => [
    ...result.parameters.map((name) => String(point.params[name])),
    `${point.replications.filter((r) => "figures" in r).length}/${point.replications.length}`,
    ...shown.map((figure) => {
      const s = point.summary[figure];
      if (s === undefined || s.n === 0) return "–";
      return s.n < 2
        ? formatFigure(s.mean)
        : `${formatFigure(s.mean)} ± ${formatFigure(s.halfWidth)}`;
    }),
  ]);
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((row) => row[i]!.length)));
  const line = (cells: readonly string[]) =>
    cells
      .map((cell, i) => cell.padEnd(widths[i]!))
      .join("  ")
      .trimEnd();
  let text = `sweep ${options.file}: ${groupDigits(result.points.length)} point(s) × ${groupDigits(result.seeds.length)} replication(s), root seed ${options.rootSeed}\n`;
  text += `runs: ${groupDigits(result.runs.succeeded)} ok, ${groupDigits(result.runs.failed)} failed${result.runs.notRun > 0 ? `, ${groupDigits(result.runs.notRun)} not run (${result.stopped})` : ""}\n`;
  text += `figures: mean ± half-width of the ${pct} confidence interval${result.figures.length > shown.length ? ` (the first ${shown.length} of ${result.figures.length}; --json or --report for all)` : ""}\n\n`;
  text += `${line(header)}\n${[...rows].map(line).join("\n")}\n`;
  if (result.failures.length > 0) {
    text += `\nfailed runs (each runs again alone with the command shown):\n`;
    for (const failure of result.failures.slice(0, 10)) {
      const params = Object.entries(failure.params)
        .map(([k, v]) => ` --param ${shellWord(`${k}=${v}`)}`)
        .join("");
      text += `  seed ${failure.seed}${params ? ` (${params.trim()})` : ""}: ${failure.error}\n    distsim run ${shellWord(options.file)} --seed ${failure.seed}${params}${options.until === undefined ? "" : ` --until ${options.until}`}\n`;
    }
    if (result.failures.length > 10)
      text += `  ... and ${result.failures.length - 10} more (--json lists them all)\n`;
  }
  return text;
}

function formatFigure(value: number): string {
  if (!Number.isFinite(value)) return String(value);
  const magnitude = Math.abs(value);
  if (magnitude !== 0 && (magnitude >= 1e6 || magnitude < 1e-3)) return value.toExponential(3);
  return String(Number(value.toPrecision(4)));
}

/**
 * A bar redrawn in place on a terminal; elsewhere a line every few seconds. `distsim check`
 * uses it too, counting seeds.
 */
export class ProgressBar {
  private readonly everyMs: number;
  private nextAt = 0;
  private drawn = false;
  constructor(
    private readonly io: CommandIO,
    private readonly clock: () => number,
    everySeconds: number,
    private readonly command = "distsim sweep",
    private readonly unit = "runs",
  ) {
    this.everyMs = io.isTTY ? 200 : everySeconds * 1000;
    this.nextAt = clock() + (io.isTTY ? 0 : this.everyMs);
  }
  update(p: SweepProgress): void {
    const now = this.clock();
    if (now < this.nextAt && p.done < p.total) return;
    this.nextAt = now + this.everyMs;
    const eta = p.etaSeconds === null ? "" : `  ETA ${formatDuration(p.etaSeconds)}`;
    const counts = `${groupDigits(p.done)}/${groupDigits(p.total)} ${this.unit}  ${groupDigits(p.failed)} failed  ${p.running} running${eta}`;
    if (this.io.isTTY) {
      const width = 30;
      const filled = p.total === 0 ? width : Math.floor((width * p.done) / p.total);
      this.io.err(`\r  [${"#".repeat(filled)}${".".repeat(width - filled)}] ${counts}\u001b[K`);
      this.drawn = true;
    } else {
      this.io.err(`${this.command}: ${counts}\n`);
    }
  }
  end(): void {
    if (this.drawn) this.io.err("\n");
    this.drawn = false;
  }
}

export interface WorkerCommandOptions {
  redis: string;
  queue?: string;
  concurrency?: number;
  threads?: number;
  lockSeconds?: number;
  stalledCheckSeconds?: number;
  quiet?: boolean;
}

/**
 * `distsim worker --redis URL [--queue Q] [--threads T] [--concurrency N] [--lock-seconds S]
 * [--stalled-check-seconds S] [--quiet]`: runs sweep jobs until SIGINT or SIGTERM.
 */
export async function workerCommand(options: WorkerCommandOptions, io: CommandIO): Promise<number> {
  const stop = new AbortController();
  const onSignal = () => stop.abort();
  const signal = io.interrupt;
  if (signal === undefined) {
    process.once("SIGINT", onSignal);
    process.once("SIGTERM", onSignal);
  } else signal.addEventListener("abort", onSignal);
  let done = 0;
  try {
    await runSweepWorker({
      url: options.redis,
      queue: options.queue ?? DEFAULT_SWEEP_QUEUE,
      ...(options.concurrency === undefined ? {} : { concurrency: options.concurrency }),
      ...(options.threads === undefined ? {} : { threads: options.threads }),
      ...(options.lockSeconds === undefined ? {} : { lockSeconds: options.lockSeconds }),
      ...(options.stalledCheckSeconds === undefined
        ? {}
        : { stalledCheckSeconds: options.stalledCheckSeconds }),
      signal: stop.signal,
      onReady: () => {
        if (options.quiet !== true) {
          io.err(
            `distsim worker: waiting for jobs on queue "${options.queue ?? DEFAULT_SWEEP_QUEUE}" at ${options.redis}\n`,
          );
        }
      },
      onJob: (ended) => {
        done++;
        if (options.quiet !== true) {
          io.err(
            `distsim worker: job ${ended.jobId} ${ended.ok ? "done" : "failed"} (${done} so far)\n`,
          );
        }
      },
    });
  } catch (error) {
    io.err(`distsim worker: ${(error as Error).message}\n`);
    return ExitCode.usage;
  } finally {
    process.removeListener("SIGINT", onSignal);
    process.removeListener("SIGTERM", onSignal);
  }
  if (options.quiet !== true) io.err(`distsim worker: stopped after ${done} job(s)\n`);
  return ExitCode.ok;
}
