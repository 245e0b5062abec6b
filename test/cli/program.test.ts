/**
 * Goal: the `distsim` command answers --help and --version, rejects bad input with the usage
 * exit code, and `distsim run` runs a model file (TypeScript or JavaScript), prints a summary,
 * writes JSON, and reports a failing model with its entity, simulated time and seed.
 * Method: call `main` directly with captured output, on model files under test/fixtures/models
 * (which import "distsim", so they run against the build, as a user's would); spawn the built
 * binary once to check it runs under plain `node`.
 */
import { execFileSync, spawn, spawnSync } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { pathToFileURL } from "node:url";
import { afterAll, describe, expect, it } from "vitest";
import { ExitCode, main } from "../../src/cli/program.js";
import { type CommandIO, runCommand } from "../../src/cli/runCommand.js";
import { parseParams } from "../../src/sweep/grid.js";

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
  io: Partial<Pick<CommandIO, "isTTY" | "now" | "heapUsed" | "interrupt">> = {},
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
    isTTY: false,
    ...io,
  });
  return { code, out, err };
}

/** A fake heap: each read returns the next reading (in MB), then stays at the last. */
function heapReadings(megabytes: readonly number[]): () => number {
  let reads = 0;
  return () => megabytes[Math.min(reads++, megabytes.length - 1)]! * 2 ** 20;
}

/** A fake wall clock (milliseconds) that moves `stepMs` each time it is read. */
function clock(stepMs: number): () => number {
  let reads = 0;
  return () => stepMs * reads++;
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

  it("shows progress on a terminal as one line redrawn in place, at most four times a second", async () => {
    // A fake wall clock that moves 1 s per read: every slice of the run loop is due a redraw.
    const terminal = await run(["run", join(models, "busy.ts")], { isTTY: true, now: clock(1000) });
    expect(terminal.code).toBe(ExitCode.ok);
    const redraws = terminal.err.split("\r").filter((l) => l !== "");
    // Each redraw ends by clearing the rest of the line (ANSI "erase in line").
    expect(redraws.every((line) => line.replace(/\n$/, "").endsWith("\u001b[K"))).toBe(true);
    expect(redraws[0]).toMatch(
      /^ {2}t=0\.100s of 3s \(3\.3%\) {2}100,000 events {2}[\d,]+ events\/s {2}ETA \d+s/,
    );
    expect(redraws).toHaveLength(29); // after slices 1-29 of 30 (the last ends the run)
    expect(terminal.err.endsWith("\n")).toBe(true);
    expect(terminal.out).toContain("events      3,000,000");
  });

  it("prints a progress line every --progress-every seconds when stderr is not a terminal", async () => {
    const piped = await run(["run", join(models, "busy.ts"), "--progress-every", "5"], {
      now: clock(1000),
    });
    expect(piped.code).toBe(ExitCode.ok);
    const lines = piped.err.trimEnd().split("\n");
    // Slices end at 2 s, 3 s, ... of the fake clock: a line at 5, 10, 15, 20, 25 and 30 s.
    expect(lines).toHaveLength(6);
    expect(lines[0]).toMatch(
      /^distsim run: t=0\.400s of 3s \(13\.3%\) {2}400,000 events {2}[\d,]+ events\/s {2}ETA \d+s$/,
    );
    expect(piped.err).not.toContain("\r");
    // The default is a line every 10 s: none in a run that takes a real second or so.
    expect((await run(["run", join(models, "busy.ts")])).err).toBe("");
  });

  it("--quiet shows no progress, on a terminal or not", async () => {
    for (const isTTY of [true, false]) {
      const quiet = await run(["run", join(models, "busy.ts"), "--quiet"], {
        isTTY,
        now: clock(1000),
      });
      expect(quiet.code).toBe(ExitCode.ok);
      expect(quiet.err).toBe("");
    }
  });

  it("slicing the run changes nothing: same trace, events and numbers for any slice size", async () => {
    const outcome = async (sliceEvents: number) => {
      const path = scratchFile("sliced.json");
      let out = "";
      const code = await runCommand(
        { file: join(models, "queue.ts"), seed: 3, json: path, sliceEvents },
        { out: (text) => (out += text), err: () => {}, isTTY: false },
      );
      expect(code).toBe(ExitCode.ok);
      const { summary, series } = JSON.parse(readFileSync(path, "utf8"));
      return {
        trace: summary.traceHash,
        events: summary.eventsProcessed,
        time: summary.time,
        simulated: summary.simulatedSeconds,
        entities: summary.entities,
        series,
      };
    };
    const whole = await outcome(Number.MAX_SAFE_INTEGER);
    expect(whole.events).toBeGreaterThan(1_000);
    expect(await outcome(1_000)).toEqual(whole);
    expect(await outcome(97)).toEqual(whole);
    expect(await outcome(1)).toEqual(whole);
  });

  it("prints and writes the simulated span of the whole run, not of its last slice", async () => {
    // busy.ts runs 3,000,000 events over 3 s: more than one slice of the run loop.
    const path = scratchFile("busy.json");
    const { code, out } = await run(["run", join(models, "busy.ts"), "--json", path]);
    expect(code).toBe(ExitCode.ok);
    expect(out).toMatch(/simulated {3}3s\b/);
    const report = JSON.parse(readFileSync(path, "utf8"));
    expect(report.summary.simulatedSeconds).toBe(3);
    expect(report.summary.eventsProcessed).toBe(3_000_000);
  });

  it("passes --param key=value pairs to the model's builder: numbers, booleans, strings", async () => {
    const { code, out } = await run([
      "run",
      join(models, "params.ts"),
      "--param",
      "rate=20",
      "--param",
      "name=api",
      "--param",
      "fast=true",
      "--param",
      "ratio=0.25",
      "--param",
      "tag=a=b",
      "--param",
      "big=1e6",
      "--param",
      "hex=0x10",
      "--param",
      "empty=",
    ]);
    expect(code).toBe(ExitCode.ok);
    expect(out).toContain(
      'echo {"rate":20,"name":"api","fast":true,"ratio":0.25,"tag":"a=b","big":1000000,"hex":"0x10","empty":""}',
    );
    // Infinity is a number (it turns a limit off); NaN and other spellings stay strings.
    expect(parseParams(["limit=Infinity", "low=-Infinity", "nan=NaN", "word=infinity"])).toEqual({
      limit: Number.POSITIVE_INFINITY,
      low: Number.NEGATIVE_INFINITY,
      nan: "NaN",
      word: "infinity",
    });
    expect((await run(["run", join(models, "params.ts")])).out).toContain("echo {}");
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

  it("rejects a bad --param, --progress-every or --max-heap-mb with the usage exit code", async () => {
    const model = join(models, "params.ts");
    const noValue = await run(["run", model, "--param", "rate"]);
    expect(noValue.code).toBe(ExitCode.usage);
    expect(noValue.err).toContain('run: option "param" must be name=value; given "rate"');
    // The parser is the sweep's, but the mistake is in the command the user ran.
    expect(noValue.err).not.toContain("sweep");
    expect((await run(["run", model, "--param", "=5"])).err).toContain(
      'option "param" must be name=value',
    );
    expect((await run(["run", model, "--param", "a=1", "--param", "a=2"])).err).toContain(
      "a is given twice",
    );
    // The sweep's parser: a name every object inherits is refused, not dropped.
    const inherited = await run(["run", model, "--param", "constructor=1"]);
    expect(inherited.code).toBe(ExitCode.usage);
    expect(inherited.err).toContain("constructor is one");
    expect(inherited.err).toMatch(/^distsim: run: option "param"/);
    expect((await run(["run", model, "--progress-every", "0"])).err).toContain(
      "--progress-every must be a number of seconds > 0; given 0",
    );
    expect((await run(["run", model, "--max-heap-mb", "lots"])).err).toContain(
      "--max-heap-mb must be a number of megabytes > 0",
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

describe("distsim run: long runs that fail well", () => {
  it("a queue that runs away fails the run with the default limit, naming it, and still writes a partial record", async () => {
    // Arrivals at twice capacity into an unbounded server: the queue reaches the default
    // maxQueueLength (1,000,000) at t=1000 s, after about 6 million events.
    const json = scratchFile("runaway.json");
    const csv = scratchFile("runaway.csv");
    const html = scratchFile("runaway.html");
    const { code, out, err } = await run([
      "run",
      join(models, "runaway.ts"),
      "--json",
      json,
      "--csv",
      csv,
      "--report",
      html,
    ]);
    expect(code).toBe(ExitCode.modelFailed);
    expect(err).toContain(
      'distsim run: the model failed: entity "api" at t=1000.001s: runaway queue: Server "api" has 1,000,000 waiting, the limit for an unbounded queue (maxQueueLength = 1,000,000): arrivals outpace service. Bound the queue (its queueCapacity option refuses the excess at once), lower the load, or raise the limit',
    );
    expect(err).toContain("seed 1 reproduces it");
    expect(out).toMatch(/\(seed 1\) {2}PARTIAL\n/);
    expect(out).toContain("PARTIAL     the model failed at t=1000.001s");
    expect(out).toMatch(/api\s+requests=2,000,002 [\s\S]*queued=1,000,000/);
    const record = JSON.parse(readFileSync(json, "utf8"));
    expect(record.run).toMatchObject({ finished: false, stopped: "failed", until: 3600 });
    expect(record.run.error).toContain("runaway queue");
    expect(record.summary.time).toBe(1000.001);
    expect(record.summary.simulatedSeconds).toBe(1000.001);
    expect(
      record.summary.entities.find((e: { name: string }) => e.name === "api").metrics.queued,
    ).toBe(1_000_000);
    const rows = readFileSync(csv, "utf8").split("\n");
    expect(rows).toContain(",run,finished,,false");
    expect(rows).toContain(",run,stopped,,failed");
    expect(rows).toContain("api,Server,queued,,1000000");
    expect(readFileSync(html, "utf8")).toContain("PARTIAL");
  });

  it("a limit passed as a --param reaches the model: the run fails sooner", async () => {
    const { code, err } = await run([
      "run",
      join(models, "runaway.ts"),
      "--param",
      "maxQueueLength=5000",
      "--param",
      "note=it's late",
    ]);
    expect(code).toBe(ExitCode.modelFailed);
    expect(err).toContain('Server "api" has 5,000 waiting');
    // The command that reproduces it, with each parameter as one shell word.
    expect(err).toContain("--seed 1 --param maxQueueLength=5000 --param 'note=it'\\''s late'\n");
  });

  it("the heap passing --max-heap-mb stops the run, naming the largest queues", async () => {
    const json = scratchFile("heap.json");
    const { code, out, err } = await run(
      ["run", join(models, "runaway.ts"), "--max-heap-mb", "100", "--json", json],
      // The heap reads 50 MB for three slices, then 150 MB.
      { heapUsed: heapReadings([50, 50, 50, 150]) },
    );
    expect(code).toBe(ExitCode.modelFailed);
    expect(err).toMatch(
      /the model failed: entity "api" at t=[\d.]+s: runaway heap: 150 MB of JavaScript heap in use, past the limit of 100 MB \(--max-heap-mb\); largest queues: Server "api" queued=[\d,]+; 1 events pending\. Bound the queues/,
    );
    expect(out).toContain("PARTIAL");
    const record = JSON.parse(readFileSync(json, "utf8"));
    expect(record.run).toMatchObject({ finished: false, stopped: "failed" });
    expect(record.summary.eventsProcessed).toBe(400_000);
  });

  it("a model that throws still gets its partial summary and JSON", async () => {
    const json = scratchFile("failing.json");
    const { code, out } = await run(["run", join(models, "failing.ts"), "--json", json]);
    expect(code).toBe(ExitCode.modelFailed);
    expect(out).toContain("PARTIAL     the model failed at t=2.5s");
    const record = JSON.parse(readFileSync(json, "utf8"));
    expect(record.run).toMatchObject({ finished: false, stopped: "failed", params: {} });
    expect(record.run.error).toContain("checksum mismatch");
    // The event that threw did not complete, so it is not counted.
    expect(record.summary).toMatchObject({ time: 2.5, eventsProcessed: 0 });
    expect(record.summary.entities).toHaveLength(1);
  });

  it("an interrupt stops the run between slices with exit code 130 and writes what ran", async () => {
    const stop = new AbortController();
    const json = scratchFile("interrupted.json");
    let reads = 0;
    const { code, out, err } = await run(
      ["run", join(models, "busy.ts"), "--until", "1000", "--json", json],
      {
        interrupt: stop.signal,
        // The clock is read twice at the start, then once after each slice: Ctrl-C arrives
        // after the fourth.
        now: () => {
          if (++reads === 6) stop.abort();
          return 0;
        },
      },
    );
    expect(code).toBe(ExitCode.interrupted);
    expect(err).toContain("distsim run: interrupted at t=0.4s; writing what ran so far");
    expect(out).toContain("PARTIAL     interrupted (Ctrl-C) at t=0.4s");
    const record = JSON.parse(readFileSync(json, "utf8"));
    expect(record.run).toMatchObject({ finished: false, stopped: "interrupted", until: 1000 });
    expect(record.summary).toMatchObject({ eventsProcessed: 400_000, time: 0.4 });
  });

  it("Ctrl-C (SIGINT) to the binary stops a long run and leaves the partial JSON", async () => {
    const json = scratchFile("sigint.json");
    const child = spawn(
      process.execPath,
      [
        join(root, "dist/cli/main.js"),
        "run",
        join(models, "busy.ts"),
        "--until",
        "100000",
        "--progress-every",
        "0.2",
        "--json",
        json,
      ],
      { stdio: ["ignore", "pipe", "pipe"] },
    );
    let stdout = "";
    let stderr = "";
    child.stdout.on("data", (chunk) => {
      stdout += chunk;
    });
    const exited = new Promise<number | null>((resolve) => child.on("exit", resolve));
    // Interrupt once the run is under way: its first progress line shows it is.
    await new Promise<void>((resolve) => {
      child.stderr.on("data", (chunk) => {
        stderr += chunk;
        if (stderr.includes("distsim run: t=")) resolve();
      });
    });
    child.kill("SIGINT");
    expect(await exited).toBe(ExitCode.interrupted);
    expect(stdout).toContain("PARTIAL     interrupted (Ctrl-C)");
    expect(stderr).toContain("distsim run: interrupted at t=");
    const record = JSON.parse(readFileSync(json, "utf8"));
    expect(record.run).toMatchObject({ finished: false, stopped: "interrupted" });
    expect(record.summary.eventsProcessed).toBeGreaterThan(0);
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

  it("lists only what distsim implements with --implemented", async () => {
    const all = await run(["catalog", "list"]);
    const implemented = await run(["catalog", "list", "--implemented"]);
    expect(implemented.code).toBe(ExitCode.ok);
    const entries = (text: string) => text.split("\n").filter((l) => l.startsWith("  "));
    expect(entries(implemented.out).length).toBeGreaterThanOrEqual(20);
    expect(entries(implemented.out).length).toBeLessThan(entries(all.out).length / 5);
    expect(entries(implemented.out).every((l) => /^ {2}\w+\s+component\s/.test(l))).toBe(true);
    expect(implemented.out).toMatch(/ {2}Server\s+component/);
    expect(implemented.out).not.toMatch(/ {2}Lease\s/);
    expect(all.out).toMatch(/ {2}Lease\s+concept/);
  });

  it("suggests near names for an entry that does not exist", async () => {
    const suggest = async (name: string) => {
      const { code, err } = await run(["catalog", "show", name]);
      expect(code).toBe(ExitCode.usage);
      expect(err).toContain(`no entry named "${name}".`);
      return err;
    };
    expect(await suggest("Serer")).toContain("Near names: Server.");
    expect(await suggest("LoadBalancr")).toContain("Near names: LoadBalancer.");
    expect(await suggest("circuit")).toContain("Near names: CircuitBreaker.");
    expect(await suggest("Queu")).toMatch(/Near names: Queue, [A-Za-z, ]*BoundedQueue/);
    expect(await suggest("Cache")).toContain("Near names: CachedStore.");
    // Nothing in the catalog is a container orchestrator: say so, with where to look, and
    // suggest no unrelated spellings.
    const far = await suggest("Kubernetes");
    expect(far).toContain("Nothing in the catalog is near it.");
    expect(far).toContain("distsim catalog list --implemented");
    expect(far).not.toContain("Near names");
  });

  it("show finds a name in any case", async () => {
    const exact = await run(["catalog", "show", "Server"]);
    expect(exact.code).toBe(ExitCode.ok);
    expect(await run(["catalog", "show", "server"])).toEqual(exact);
    expect(await run(["catalog", "show", "LOADBALANCER"])).toMatchObject({ code: ExitCode.ok });
  });

  it("graph refuses a group that does not exist, saying what a group is", async () => {
    const { code, out, err } = await run(["catalog", "graph", "--group", "nope"]);
    expect(code).toBe(ExitCode.usage);
    expect(out).toBe("");
    expect(err).toContain('no group named "nope"');
    expect(err).toContain("A group is the family an entry is installed with");
  });

  it("refuses an unknown entry, layer or action", async () => {
    expect((await run(["catalog", "show", "Nope"])).err).toContain('no entry named "Nope"');
    expect((await run(["catalog", "graph", "--layer", "cloud"])).code).toBe(ExitCode.usage);
    expect((await run(["catalog", "paint"])).err).toContain('unknown action "paint"');
  });
});

describe("distsim run: what a user reads when something goes wrong", () => {
  it("a usage error is one line and a hint, not the whole usage", async () => {
    const { code, err } = await run(["run"]);
    expect(code).toBe(ExitCode.usage);
    expect(err).toBe(
      "distsim: run takes exactly one model file\n(run distsim --help for the usage)\n",
    );
  });

  it("a negative value reaches distsim's own check; a missing value is named", async () => {
    const model = join(models, "queue.ts");
    expect((await run(["run", model, "--seed", "-3"])).err).toContain(
      "distsim: --seed must be an integer >= 0; given -3\n",
    );
    expect((await run(["run", model, "--until", "-1"])).err).toContain(
      "--until must be a number of seconds >= 0; given -1",
    );
    const missing = await run(["run", model, "--seed", "--quiet"]);
    expect(missing.code).toBe(ExitCode.usage);
    expect(missing.err).toContain("--seed needs a value");
    expect((await run(["run", model, "--until"])).err).toContain("--until needs a value");
  });

  it("a failed run says so in the run block of the JSON, not only the engine's last reason", async () => {
    const json = scratchFile("failing.json");
    await run(["run", join(models, "failing.ts"), "--json", json]);
    const record = JSON.parse(readFileSync(json, "utf8"));
    expect(record.run.stopReason).toMatch(/^failed: .*checksum mismatch/);
  });

  it("an error thrown in a process names the model's line, once", () => {
    // Through the built binary, as a user runs it (vitest's own stack handling drops the line).
    const file = join(models, "throwsInProcess.ts");
    const cli = spawnSync(process.execPath, [join(root, "dist/cli/main.js"), "run", file], {
      encoding: "utf8",
    });
    expect(cli.status).toBe(ExitCode.modelFailed);
    expect(cli.stderr).toContain(
      `process "work" failed: Cannot read properties of undefined (reading 'foo')\n  at App.handle (${file}:8:`,
    );
    expect(cli.stderr).not.toContain("caused by");
  });

  it("the command that reproduces a failure carries every flag that changes the run", async () => {
    const { err } = await run([
      "run",
      join(models, "failing.ts"),
      "--seed",
      "12",
      "--until",
      "30",
      "--max-heap-mb",
      "500",
      "--param",
      "rate=5",
    ]);
    expect(err).toContain(
      `seed 12 reproduces it: distsim run ${join(models, "failing.ts")} --seed 12 --until 30 --param rate=5 --max-heap-mb 500\n`,
    );
  });

  it("--warmup resets the statistics that many seconds in, the same for any slice size", async () => {
    const metricsOf = async (args: string[], sliceEvents?: number) => {
      const json = scratchFile("warm.json");
      const code = await runCommand(
        {
          file: join(models, "queue.ts"),
          seed: 3,
          json,
          quiet: true,
          ...(sliceEvents === undefined ? {} : { sliceEvents }),
          ...(args.length === 0 ? {} : { warmup: Number(args[0]) }),
        },
        { out: () => {}, err: () => {}, isTTY: false },
      );
      expect(code).toBe(ExitCode.ok);
      const record = JSON.parse(readFileSync(json, "utf8"));
      return {
        trace: record.summary.traceHash as string,
        received: record.summary.entities.find((e: { name: string }) => e.name === "server")
          .counters.received as number,
      };
    };
    const cold = await metricsOf([]);
    const warm = await metricsOf(["20"]);
    expect(warm.trace).toBe(cold.trace);
    // About 10 requests a second: a third of the 30 s run is measured.
    expect(warm.received).toBeGreaterThan(0);
    expect(warm.received).toBeLessThan(cold.received / 2);
    expect(await metricsOf(["20"], 37)).toEqual(warm);
    const cli = await run(["run", join(models, "queue.ts"), "--warmup", "10", "--quiet"]);
    expect(cli.code).toBe(ExitCode.ok);
    expect((await run(["run", join(models, "queue.ts"), "--warmup", "40"])).err).toContain(
      "--warmup 40 ends after the run's horizon, until=30s",
    );
    expect((await run(["run", join(models, "failing.ts"), "--warmup", "1"])).err).toContain(
      "--warmup needs a horizon",
    );
  });

  it("--trace says how much it wrote", async () => {
    const path = scratchFile("trace.jsonl");
    const { out } = await run(["run", join(models, "queue.ts"), "--until", "5", "--trace", path]);
    const text = readFileSync(path, "utf8");
    const records = text.trimEnd().split("\n").length;
    const kB = (Buffer.byteLength(text) / 1000).toFixed(1);
    expect(out).toContain(`wrote ${path} (${kB} kB, ${records.toLocaleString("en-US")} records)`);
  });

  it("output to a reader that went away (| head) ends quietly, with the command's code and files", () => {
    const json = scratchFile("piped.json");
    const piped = (args: string) =>
      spawnSync(
        "bash",
        [
          "-c",
          `"${process.execPath}" "${join(root, "dist/cli/main.js")}" ${args} | true; exit \${PIPESTATUS[0]}`,
        ],
        { encoding: "utf8" },
      );
    const list = piped("catalog list");
    expect(list.stderr).toBe("");
    expect(list.status).toBe(ExitCode.ok);
    const runPiped = piped(`run "${join(models, "queue.ts")}" --json "${json}"`);
    expect(runPiped.stderr).not.toContain("EPIPE");
    expect(runPiped.status).toBe(ExitCode.ok);
    expect(JSON.parse(readFileSync(json, "utf8")).run.finished).toBe(true);
    const failed = piped(`run "${join(models, "failing.ts")}"`);
    expect(failed.status).toBe(ExitCode.modelFailed);
  });
});
