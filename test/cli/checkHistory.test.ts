/**
 * Goal: `distsim check-history` reads EDN and JSON histories and exits 0 when linearizable, 1
 * on a violation (printing the operation that cannot be placed), 3 when the budget runs out,
 * 2 for bad input or usage.
 * Method: call `main` with histories written to a temporary folder.
 */
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { formatEdnHistory } from "../../src/check/history/edn.js";
import type { HistoryEvent } from "../../src/check/history/history.js";
import { historyToJson } from "../../src/check/history/json.js";
import { ExitCode, main } from "../../src/cli/program.js";

const dir = mkdtempSync(join(tmpdir(), "distsim-history-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

function file(name: string, text: string): string {
  const path = join(dir, name);
  writeFileSync(path, text);
  return path;
}

async function run(argv: string[]): Promise<{ code: number; out: string; err: string }> {
  let out = "";
  let err = "";
  const code = await main(argv, {
    out: (t) => {
      out += t;
    },
    err: (t) => {
      err += t;
    },
    isTTY: false,
  });
  return { code, out, err };
}

const good = `{:process 0, :type :invoke, :f :write, :value 1}
{:process 1, :type :invoke, :f :read, :value nil}
{:process 0, :type :ok, :f :write, :value 1}
{:process 1, :type :ok, :f :read, :value 1}
`;
const stale = `{:process 0, :type :invoke, :f :write, :value 1}
{:process 0, :type :ok, :f :write, :value 1}
{:process 1, :type :invoke, :f :read, :value nil}
{:process 1, :type :ok, :f :read, :value nil}
`;

describe("distsim check-history", () => {
  it("exits 0 for a linearizable history", async () => {
    const result = await run(["check-history", file("good.edn", good), "--model", "register"]);
    expect(result.code).toBe(ExitCode.ok);
    expect(result.out).toContain("Linearizable (register): 2 operations");
  });

  it("exits 1 for a violation and shows what cannot be placed; --json writes the data", async () => {
    const json = join(dir, "verdict.json");
    const result = await run([
      "check-history",
      file("stale.edn", stale),
      "--model",
      "register",
      "--json",
      json,
    ]);
    expect(result.code).toBe(ExitCode.violation);
    expect(result.code).toBe(1);
    expect(result.out).toContain("read → nil by process 1 cannot be placed");
    expect(result.out).toContain("X cannot be placed");
    const verdict = JSON.parse(readFileSync(json, "utf8"));
    expect(verdict.verdict).toBe("not-linearizable");
    expect(verdict.failure.unplaceable).toEqual([1]);
  });

  it("reads JSON histories (.json) and kv histories", async () => {
    const events: HistoryEvent[] = [
      { process: 0, type: "invoke", f: "put", key: "a", value: 1 },
      { process: 0, type: "ok", f: "put", key: "a", value: 1 },
      { process: 0, type: "invoke", f: "get", key: "a", value: null },
      { process: 0, type: "ok", f: "get", key: "a", value: 2 },
    ];
    const result = await run([
      "check-history",
      file("kv.json", historyToJson(events)),
      "--model",
      "kv",
    ]);
    expect(result.code).toBe(1);
    expect(result.out).toContain('(key "a")');
    const edn = await run([
      "check-history",
      file("kv.edn", formatEdnHistory(events.slice(0, 2))),
      "--model",
      "kv",
    ]);
    expect(edn.code).toBe(0);
  });

  it("exits 3 when the budget runs out before a verdict", async () => {
    let text = "";
    for (let p = 0; p < 12; p++) text += `{:process ${p}, :type :invoke, :f :write, :value ${p}}\n`;
    text += "{:process 99, :type :invoke, :f :read, :value nil}\n";
    for (let p = 0; p < 12; p++) text += `{:process ${p}, :type :ok, :f :write, :value ${p}}\n`;
    text += "{:process 99, :type :ok, :f :read, :value -1}\n";
    const result = await run([
      "check-history",
      file("hard.edn", text),
      "--model",
      "register",
      "--budget",
      "0.000001",
    ]);
    expect(result.code).toBe(ExitCode.noVerdict);
    expect(result.code).toBe(3);
    expect(result.out).toContain("Unknown (register): the budget ran out");
  });

  it("exits 2 for bad input and usage", async () => {
    const cases: [string[], RegExp][] = [
      [["check-history", file("g.edn", good)], /needs --model/],
      [
        ["check-history", file("g2.edn", good), "--model", "tree"],
        /--model must be one of register, kv, set, queue, counter; given "tree"/,
      ],
      [["check-history", join(dir, "missing.edn"), "--model", "register"], /cannot read/],
      [
        ["check-history", file("bad.edn", "{:process 0, :type"), "--model", "register"],
        /is not a history: EDN line 1/,
      ],
      [
        [
          "check-history",
          file("orphan.edn", "{:process 0, :type :ok, :f :read, :value 1}"),
          "--model",
          "register",
        ],
        /no open invoke/,
      ],
      [
        ["check-history", file("g3.edn", good), "--model", "register", "--budget", "0"],
        /--budget must be a number of seconds > 0; given 0/,
      ],
      // Not 1 (a violation) from an uncaught error: the verdict was never the problem.
      [
        [
          "check-history",
          file("g4.edn", stale),
          "--model",
          "register",
          "--json",
          join(dir, "no-such-folder", "verdict.json"),
        ],
        /cannot write .*verdict\.json/,
      ],
    ];
    for (const [argv, message] of cases) {
      const result = await run(argv);
      expect(result.code, argv.join(" ")).toBe(ExitCode.usage);
      expect(result.err).toMatch(message);
    }
  });
});
