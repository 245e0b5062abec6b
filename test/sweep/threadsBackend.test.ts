/**
 * Goal: the worker-thread backend gives the inline backend's result byte for byte, whatever
 * the thread count, and refuses what it cannot run before any run: a model that does not
 * load, a sweep with no model file, a `measure` function (which cannot travel to a thread).
 * A long-lived thread (a `distsim worker`'s) that failed to load a model loads it again once
 * it is fixed, TypeScript and JavaScript alike. The build's threads load a TypeScript model
 * in a process started under tsx (`tsx script.ts`, `node --import tsx`).
 * Method: real Piscina pools running the fixture model file (threads load it through tsx).
 */
import { spawnSync } from "node:child_process";
import { existsSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { pathToFileURL } from "node:url";
import { describe, expect, it } from "vitest";
import { ConfigError, sweep, sweepResultJson } from "../../src/index.js";
import { threadsBackend } from "../../src/sweep/node/index.js";
import { sweepThreadPool, threadExecArgv } from "../../src/sweep/node/threadsBackend.js";
import * as fixture from "./fixtureModel.js";

const modelId = join(import.meta.dirname, "fixtureModel.ts");
const options = { modelId, grid: ["rate=5,10", "servers=1,2"], replications: 3 };

describe("threadsBackend", () => {
  it("gives the inline result's bytes with 1 and 2 threads, failures included", async () => {
    const bad = (await sweep({ ...options, model: fixture })).seeds[1]!;
    const grid = [...options.grid, `failSeed=${bad}`];
    const inline = sweepResultJson(await sweep({ ...options, grid, model: fixture }));
    const two = sweepResultJson(
      await sweep({ ...options, grid, backend: threadsBackend({ workers: 2 }) }),
    );
    const one = sweepResultJson(
      await sweep({ ...options, grid, backend: threadsBackend({ workers: 1 }) }),
    );
    expect(two).toBe(inline);
    expect(one).toBe(inline);
    expect(JSON.parse(two).runs).toEqual({ total: 12, succeeded: 8, failed: 4, notRun: 0 });
  });

  it("records a run whose thread died as failed, with its params and seed, and goes on", async () => {
    const exiting = join(import.meta.dirname, "exitingModel.ts");
    const seeds = (await sweep({ modelId: exiting, replications: 3, backend: threadsBackend() }))
      .seeds;
    const result = await sweep({
      modelId: exiting,
      grid: [`exitSeed=${seeds[1]}`],
      replications: 3,
      backend: threadsBackend({ workers: 2 }),
    });
    expect(result.runs).toEqual({ total: 3, succeeded: 2, failed: 1, notRun: 0 });
    expect(result.failures).toHaveLength(1);
    expect(result.failures[0]).toMatchObject({ seed: seeds[1], params: { exitSeed: seeds[1] } });
    expect(result.failures[0]!.error).toMatch(/worker thread ended/);
  });

  it("refuses a model that does not load, before any run", async () => {
    const broken = join(tmpdir(), `distsim-broken-model-${process.pid}.ts`);
    writeFileSync(broken, "export const until = 1;\n");
    const progress: number[] = [];
    await expect(
      sweep({
        modelId: broken,
        backend: threadsBackend({ workers: 1 }),
        onProgress: (p) => progress.push(p.done),
      }),
    ).rejects.toThrow(/must export its builder/);
    rmSync(broken);
    expect(progress).toEqual([]);
  });

  it("needs a model file and the file's own measure", async () => {
    await expect(sweep({ model: fixture, backend: threadsBackend() })).rejects.toThrow(ConfigError);
    await expect(
      sweep({ modelId, measure: () => ({}), backend: threadsBackend() }),
    ).rejects.toThrow(/measure/);
    expect(() => threadsBackend({ workers: 0 })).toThrow(/workers/);
  });

  it("forgets a failed model load: a thread loads the fixed file on its next task", async () => {
    // A model needing nothing from distsim: a builder whose "simulation" runs at once.
    const fixedModel = `export default () => ({ run: () => ({ entities: [] }) });
export const measure = () => ({ fixed: 1 });
`;
    const task = { index: 0, point: 0, replication: 0, params: {}, seed: 1 };
    // One thread, so the second task meets the thread that failed the first.
    const pool = sweepThreadPool(1);
    const files: string[] = [];
    try {
      for (const [extension, broken] of [
        ["ts", "export default (;\n"],
        ["mjs", "export default (;\n"],
        ["mjs", "export const until = 1;\n"],
        ["mjs", "throw new Error('not yet');\n"],
      ] as const) {
        const file = join(
          tmpdir(),
          `distsim-fixed-later-${process.pid}-${files.length}.${extension}`,
        );
        files.push(file);
        writeFileSync(file, broken);
        const failed = await pool.run({ modelId: file, task });
        expect(failed, `${extension}: ${broken}`).toHaveProperty("loadError");
        writeFileSync(file, fixedModel);
        expect(await pool.run({ modelId: file, task }), `${extension}: ${broken}`).toEqual({
          outcome: { figures: { fixed: 1 } },
        });
      }
    } finally {
      await pool.destroy();
      for (const file of files) rmSync(file, { force: true });
    }
  });

  it("runs a TypeScript model from a process started with --import tsx (the build)", () => {
    const built = join(import.meta.dirname, "../../dist/sweep/node/index.js");
    expect(existsSync(built), "run npm run build first").toBe(true);
    const script = join(tmpdir(), `distsim-under-tsx-${process.pid}.mjs`);
    writeFileSync(
      script,
      `import { sweep, threadsBackend } from ${JSON.stringify(pathToFileURL(built).href)};
const result = await sweep({ modelId: ${JSON.stringify(modelId)}, replications: 2, backend: threadsBackend({ workers: 1 }) });
console.log(JSON.stringify(result.runs));
`,
    );
    try {
      const child = spawnSync(process.execPath, ["--import", "tsx", script], {
        cwd: join(import.meta.dirname, "../.."),
        encoding: "utf8",
      });
      expect(child.stderr).toBe("");
      expect(JSON.parse(child.stdout)).toEqual({ total: 2, succeeded: 2, failed: 0, notRun: 0 });
    } finally {
      rmSync(script, { force: true });
    }
    // What tsx's command starts node with, and the forms Node takes, less tsx only.
    expect(
      threadExecArgv([
        "--require",
        "/x/node_modules/tsx/dist/preflight.cjs",
        "--import",
        "file:///x/node_modules/tsx/dist/loader.mjs",
        "--import=tsx",
        "--import",
        "./mine.mjs",
        "--max-old-space-size=512",
      ]),
    ).toEqual(["--import", "./mine.mjs", "--max-old-space-size=512"]);
  }, 120_000);
});
