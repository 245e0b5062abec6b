/**
 * Goal: the `distsim` command answers --help and --version, rejects bad input with the usage
 * exit code, and `distsim run` runs a model file (TypeScript or JavaScript), prints a summary,
 * writes JSON, and reports a failing model with its entity, simulated time and seed.
 * Method: call `main` directly with captured output, on model files under test/fixtures/models
 * (which import "distsim", so they run against the build, as a user's would); spawn the built
 * binary once to check it runs under plain `node`.
 */
import { execFileSync, spawnSync } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { pathToFileURL } from "node:url";
import { afterAll, describe, expect, it } from "vitest";
import { ExitCode, main } from "../../src/cli/program.js";

const root = join(import.meta.dirname, "../..");
const scratchDirs: string[] = [];
/** A path in a fresh temporary directory, removed after the tests. */
function scratchFile(name: string): string {
  const dir = mkdtempSync(join(tmpdir(), "distsim-"));
  scratchDirs.push(dir);
  return join(dir, name);
}
afterAll(() => {
  for (const dir of scratchDirs) rmSync(dir, { recursive: true, force: true });
});
const models = join(root, "test/fixtures/models");
const version = (
  JSON.parse(readFileSync(join(root, "package.json"), "utf8")) as { version: string }
).version;

async function run(
  argv: string[],
  isTTY = false,
): Promise<{ code: number; out: string; err: string }> {
  let out = "";
  let err = "";
  const code = await main(argv, {
    out: (text) => {
      out += text;
    },
    err: (text) => {
      err += text;
    },
    isTTY,
  });
  return { code, out, err };
}

describe("distsim CLI", () => {
  it("prints the package version", async () => {
    expect(await run(["--version"])).toEqual({ code: ExitCode.ok, out: `${version}\n`, err: "" });
  });

  it("prints usage for --help and for no arguments", async () => {
    for (const argv of [["--help"], ["-h"], []]) {
      const { code, out } = await run(argv);
      expect(code).toBe(ExitCode.ok);
      expect(out).toContain("distsim run <model.ts|model.js>");
    }
  });

  it("rejects unknown options, commands and bad values with the usage exit code", async () => {
    expect((await run(["--frobnicate"])).code).toBe(ExitCode.usage);
    const command = await run(["frobnicate"]);
    expect(command.code).toBe(ExitCode.usage);
    expect(command.err).toContain('unknown command "frobnicate"');
    expect((await run(["run"])).err).toContain("exactly one model file");
    expect((await run(["run", "m.ts", "--seed=-3"])).err).toContain(
      "--seed must be an integer >= 0; given -3",
    );
    expect((await run(["run", "m.ts", "--until", "soon"])).err).toContain("--until must be");
  });
});

describe("distsim run", () => {
  it("runs a TypeScript model to its exported horizon and prints a summary", async () => {
    const { code, out } = await run(["run", join(models, "queue.ts"), "--seed", "7"]);
    expect(code).toBe(ExitCode.ok);
    expect(out).toContain("(seed 7)");
    expect(out).toContain("stopped     until at t=30s");
    expect(out).toMatch(/server\s+up\s+\d{3}/);
  });

  it("the same seed gives the same trace; --until overrides the model's horizon", async () => {
    const trace = (text: string) => /trace\s+([0-9a-f]{16})/.exec(text)?.[1];
    const a = await run(["run", join(models, "queue.ts"), "--seed", "7"]);
    const b = await run(["run", join(models, "queue.ts"), "--seed", "7"]);
    const c = await run(["run", join(models, "queue.ts"), "--seed", "8"]);
    expect(trace(a.out)).toBe(trace(b.out));
    expect(trace(a.out)).not.toBe(trace(c.out));
    expect((await run(["run", join(models, "queue.ts"), "--until", "5"])).out).toContain("at t=5s");
  });

  it("shows progress on a terminal, and nothing when not a terminal", async () => {
    const terminal = await run(["run", join(models, "busy.ts")], true);
    expect(terminal.code).toBe(ExitCode.ok);
    expect(terminal.err).toMatch(/\r {2}t=2\.\d+s of 3s {2}2,000,000 events {2}[\d,]+ events\/s/);
    const piped = await run(["run", join(models, "busy.ts")], false);
    expect(piped.err).toBe("");
    expect(piped.out).toContain("events      3,000,000");
  });

  it("writes an HTML report with the model's probes as charts", async () => {
    const path = scratchFile("run.html");
    const { code, out } = await run(["run", join(models, "queue.ts"), "--report", path]);
    expect(code).toBe(ExitCode.ok);
    expect(out).toContain(`wrote ${path}`);
    const html = readFileSync(path, "utf8");
    expect(html).toContain('"name":"queue depth"');
    expect(html).toContain("<td>server</td>");
  });

  it("writes the report as JSON", async () => {
    const path = scratchFile("run.json");
    expect((await run(["run", join(models, "plain.mjs"), "--json", path])).code).toBe(ExitCode.ok);
    const report = JSON.parse(readFileSync(path, "utf8"));
    expect(report.summary).toMatchObject({
      reason: "drained",
      time: 4,
      seed: 1,
      eventsProcessed: 1,
    });
    expect(report.summary.entities).toEqual([]);
    expect(report.series).toEqual([]);
  });

  it("prints every entity's metrics and writes them, with the probes' series, as tidy CSV", async () => {
    const path = scratchFile("run.csv");
    const { code, out } = await run(["run", join(models, "queue.ts"), "--csv", path]);
    expect(code).toBe(ExitCode.ok);
    expect(out).toMatch(/metrics\n(.|\n)*load\s+generated=\d+/);
    const lines = readFileSync(path, "utf8").trimEnd().split("\n");
    expect(lines[0]).toBe("entity,type,metric,time,value");
    expect(lines).toContain("server,Server,status,,up");
    expect(lines.some((l) => /^load,Source,generated,,\d+$/.test(l))).toBe(true);
    // 30 s probed every 0.5 s: 61 points per probe, each a row with its time.
    expect(lines.filter((l) => l.startsWith("queue depth,Probe,queue depth,"))).toHaveLength(61);
    expect(lines).toContain("queue depth,Probe,queue depth,0.5,0");
  });

  it("writes the trace as JSONL, the same bytes for the same seed, and also when the model fails", async () => {
    const traceOf = async (seed: string) => {
      const path = scratchFile("trace.jsonl");
      const { code, out } = await run([
        "run",
        join(models, "queue.ts"),
        "--seed",
        seed,
        "--until",
        "5",
        "--trace",
        path,
      ]);
      expect(code).toBe(ExitCode.ok);
      expect(out).toContain(`wrote ${path}`);
      return readFileSync(path, "utf8");
    };
    const a = await traceOf("7");
    expect(await traceOf("7")).toBe(a);
    expect(await traceOf("8")).not.toBe(a);
    const lines = a
      .trimEnd()
      .split("\n")
      .map((line) => JSON.parse(line) as Record<string, unknown>);
    // A Source sends to a Server, which answers a reply nobody awaits: it is dropped.
    expect(new Set(lines.map((r) => r.type))).toEqual(
      new Set(["message-sent", "message-delivered", "message-dropped", "timer-fired"]),
    );
    expect(lines.find((r) => r.type === "message-dropped")?.reason).toBe("unawaited-reply");
    const sent = lines.find((r) => r.type === "message-sent")!;
    expect(Object.keys(sent)).toEqual([
      "type",
      "timeNs",
      "messageId",
      "kind",
      "source",
      "target",
      "correlationId",
      "parentId",
      "delayNs",
      "sizeBytes",
    ]);
    expect(lines.every((r) => Number.isSafeInteger(r.timeNs) && (r.timeNs as number) <= 5e9)).toBe(
      true,
    );

    const failingPath = scratchFile("failing.jsonl");
    const failing = await run(["run", join(models, "failing.ts"), "--trace", failingPath]);
    expect(failing.code).toBe(ExitCode.modelFailed);
    expect(readFileSync(failingPath, "utf8")).toBe(
      '{"type":"timer-fired","timeNs":2500000000,"entity":"disk","callback":""}\n',
    );
  });

  it("runs a TypeScript model kept outside any ESM package (loaded as CommonJS)", async () => {
    // A user's model in a folder without "type": "module": tsx loads it as CommonJS, so its
    // exports arrive wrapped in `default`.
    const path = scratchFile("model.ts");
    const library = pathToFileURL(join(root, "dist/index.js")).href;
    writeFileSync(
      path,
      `import { Simulation } from ${JSON.stringify(library)};\n` +
        "export const until = 3;\n" +
        "export default function build({ seed }: { seed: number }) {\n" +
        "  const sim = new Simulation({ seed });\n" +
        "  sim.at(2, () => {});\n" +
        "  return sim;\n" +
        "}\n",
    );
    const { code, out } = await run(["run", path]);
    expect(code).toBe(ExitCode.ok);
    expect(out).toContain("until at t=3s");
  });

  it("reports a failing model with entity, simulated time, cause and the seed", async () => {
    const { code, err } = await run(["run", join(models, "failing.ts"), "--seed", "12"]);
    expect(code).toBe(ExitCode.modelFailed);
    expect(err).toContain('entity "disk" at t=2.5s: handler threw: checksum mismatch');
    expect(err).toContain("seed 12 reproduces it");
  });

  it("a bad yield in a TypeScript model is reported at its file and line", async () => {
    // Through the built binary: the model's `distsim` is then the CLI's own engine, as for a user.
    const cli = spawnSync(
      process.execPath,
      [join(root, "dist/cli/main.js"), "run", join(models, "badYield.ts")],
      { encoding: "utf8" },
    );
    expect(cli.status).toBe(ExitCode.modelFailed);
    expect(cli.stderr).toContain(`yielded "a second" at ${join(models, "badYield.ts")}:7:5;`);
  });

  it("refuses a file that is missing or exports no builder", async () => {
    const missing = await run(["run", join(models, "nope.ts")]);
    expect(missing.code).toBe(ExitCode.invalidModel);
    expect(missing.err).toContain("no such file");
    const notModel = await run(["run", join(models, "notAModel.ts")]);
    expect(notModel.code).toBe(ExitCode.invalidModel);
    expect(notModel.err).toContain('default export or as "build"');
  });

  it("the built binary runs under plain node", () => {
    const output = execFileSync(process.execPath, [join(root, "dist/cli/main.js"), "--version"], {
      encoding: "utf8",
    });
    expect(output).toBe(`${version}\n`);
    const ran = spawnSync(
      process.execPath,
      [join(root, "dist/cli/main.js"), "run", join(models, "queue.ts")],
      {
        encoding: "utf8",
      },
    );
    expect(ran.status).toBe(ExitCode.ok);
    expect(ran.stdout).toContain("stopped     until at t=30s");
    const failed = spawnSync(process.execPath, [join(root, "dist/cli/main.js"), "nope"]);
    expect(failed.status).toBe(ExitCode.usage);
  });
});

describe("distsim catalog", () => {
  it("lists entries by layer, shows one, draws the graph, and checks the whole catalog", async () => {
    const list = await run(["catalog"]);
    expect(list.code).toBe(ExitCode.ok);
    expect(list.out).toMatch(/^application\n/m);
    expect(list.out).toMatch(/ {2}Source\s+component\s+load/);
    const show = await run(["catalog", "show", "Lease"]);
    expect(show.out).toContain(
      "Lease = Deadline + Renew + Release + FencingToken + VersionedRegister",
    );
    const graph = await run(["catalog", "graph", "--layer", "distributed"]);
    expect(graph.out.startsWith("graph TD\n")).toBe(true);
    expect(graph.out).toContain("Consensus --> LeaderElection");
    const check = await run(["catalog", "check"]);
    expect(check.code).toBe(ExitCode.ok);
    expect(check.out).toMatch(/^\d+ entries, 0 problems\n$/);
  });

  it("refuses an unknown entry, layer or action", async () => {
    expect((await run(["catalog", "show", "Nope"])).err).toContain('no entry named "Nope"');
    expect((await run(["catalog", "graph", "--layer", "cloud"])).code).toBe(ExitCode.usage);
    expect((await run(["catalog", "paint"])).err).toContain('unknown action "paint"');
  });
});
