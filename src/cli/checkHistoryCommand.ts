/**
 * `distsim check-history history.edn --model register|kv|set|queue|counter [--budget S]`:
 * reads a history (Jepsen's EDN lines, or JSON for a `.json` file), checks it for
 * linearizability against a built-in model and prints the verdict, with the failing timeline
 * for a violation. Exit code 0 linearizable, 1 not, 3 budget ran out first, 2 bad input.
 */
import { readFileSync, writeFileSync } from "node:fs";
import { parseEdnHistory } from "../check/history/edn.js";
import type { History } from "../check/history/history.js";
import { historyFromJson } from "../check/history/json.js";
import { checkLinearizability } from "../check/linearizability/check.js";
import { type ModelName, models } from "../check/linearizability/model.js";
import { formatLinearizability } from "../check/linearizability/timeline.js";
import { wallMilliseconds } from "../core/wallClock.js";
import { ExitCode } from "./exitCodes.js";
import type { CommandIO } from "./runCommand.js";

export interface CheckHistoryArgs {
  readonly file: string;
  readonly model: string;
  /** Seconds of wall time; undefined for none. */
  readonly budget?: number;
  /** Where to write the verdict as JSON (with the failure's data form). */
  readonly json?: string;
}

export const MODEL_NAMES = Object.keys(models) as ModelName[];

export function checkHistoryCommand(args: CheckHistoryArgs, io: CommandIO): number {
  if (!Object.hasOwn(models, args.model)) {
    io.err(
      `distsim: --model must be one of ${MODEL_NAMES.join(", ")}; given "${args.model}"\n(run distsim --help for the usage)\n`,
    );
    return ExitCode.usage;
  }
  let text: string;
  try {
    text = readFileSync(args.file, "utf8");
  } catch (error) {
    io.err(`distsim: cannot read ${args.file}: ${(error as Error).message}\n`);
    return ExitCode.usage;
  }
  let history: History;
  let nemesis = 0;
  const started = wallMilliseconds();
  try {
    if (args.file.endsWith(".json")) {
      history = historyFromJson(text);
    } else {
      const read = parseEdnHistory(text);
      history = read.history;
      nemesis = read.nemesisEvents;
    }
  } catch (error) {
    io.err(`distsim: ${args.file} is not a history: ${(error as Error).message}\n`);
    return ExitCode.usage;
  }
  const model = models[args.model as ModelName]();
  let result: ReturnType<typeof checkLinearizability>;
  try {
    result = checkLinearizability(history, model as Parameters<typeof checkLinearizability>[1], {
      ...(args.budget === undefined ? {} : { budget: args.budget }),
    });
  } catch (error) {
    io.err(`distsim: ${args.file}: ${(error as Error).message}\n`);
    return ExitCode.usage;
  }
  const seconds = (wallMilliseconds() - started) / 1000;
  io.out(
    `${args.file}: ${history.length} events${nemesis > 0 ? ` (${nemesis} nemesis events left out)` : ""}, checked in ${seconds.toFixed(3)}s\n`,
  );
  io.out(formatLinearizability(result));
  if (args.json !== undefined) {
    try {
      writeFileSync(args.json, `${JSON.stringify(result, jsonSafe, 1)}\n`);
    } catch (error) {
      io.err(`distsim: cannot write ${args.json}: ${(error as Error).message}\n`);
      return ExitCode.usage;
    }
  }
  return result.verdict === "linearizable"
    ? ExitCode.ok
    : result.verdict === "not-linearizable"
      ? ExitCode.violation
      : ExitCode.noVerdict;
}

/** Infinity (an open operation's end) as null, which JSON can hold. */
function jsonSafe(_key: string, value: unknown): unknown {
  return typeof value === "number" && !Number.isFinite(value) ? null : value;
}
