/**
 * Goal: `distsim run` runs a model kept anywhere: a model in a temporary folder with no
 * node_modules that imports "distsim" (and a subpath) gets the running CLI's package, whether
 * Node loads it as an ES module ("type": "module", .mjs) or as CommonJS (a .ts file in a folder
 * with no package.json); a model in a project with its own installed distsim uses that one.
 * Method: write the models under os.tmpdir(), outside the repository, and call the CLI's `main`
 * in-process (the fallback is installed by the first run and then serves every later one), and
 * the built binary for a JavaScript model. The
 * project's "own" distsim is a stand-in package that re-exports the build with a marker the
 * model checks.
 */
import { execFileSync } from "node:child_process";
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { pathToFileURL } from "node:url";
import { afterAll, describe, expect, it } from "vitest";
import { ExitCode, main } from "../../src/cli/program.js";

const root = join(import.meta.dirname, "../..");
const scratch = mkdtempSync(join(tmpdir(), "distsim-anywhere-"));
afterAll(() => rmSync(scratch, { recursive: true, force: true }));

async function run(file: string): Promise<{ code: number; out: string; err: string }> {
  let out = "";
  let err = "";
  const code = await main(["run", file], {
    out: (text) => {
      out += text;
    },
    err: (text) => {
      err += text;
    },
    isTTY: false,
  });
  return { code, out, err };
}

function write(path: string, text: string): string {
  mkdirSync(join(path, ".."), { recursive: true });
  writeFileSync(path, text);
  return path;
}

const MODEL_TS = `
import { dist, type ModelBuilder, Simulation } from "distsim";
import { Server } from "distsim/server";

export const until = 2;

const build: ModelBuilder = ({ seed }) => {
  const sim = new Simulation({ seed });
  new Server<number, number>(sim, "server", { serviceTime: dist.constant(0.1) });
  return sim;
};
export default build;
`;

describe("distsim run, a model outside any project", () => {
  it("a .ts model in a folder with no package.json (loaded as CommonJS)", async () => {
    const { code, out, err } = await run(write(join(scratch, "loose", "model.ts"), MODEL_TS));
    expect(err).toBe("");
    expect(code).toBe(ExitCode.ok);
    expect(out).toContain("stopped     until at t=2s");
    expect(out).toMatch(/server\s+up/);
  });

  it('a .ts model in a "type": "module" folder (loaded as an ES module)', async () => {
    write(join(scratch, "esm", "package.json"), '{ "type": "module" }\n');
    const { code, err } = await run(write(join(scratch, "esm", "model.ts"), MODEL_TS));
    expect(err).toBe("");
    expect(code).toBe(ExitCode.ok);
  });

  it("a .mjs model, through the built binary (Node itself imports JavaScript models)", () => {
    // In-process, vitest would resolve a plain import() itself; the binary leaves it to Node.
    const model = write(
      join(scratch, "esm", "model.mjs"),
      'import { Simulation } from "distsim";\nexport const build = ({ seed }) => { const sim = new Simulation({ seed }); sim.at(3, () => {}); return sim; };\n',
    );
    const out = execFileSync(process.execPath, [join(root, "dist/cli/main.js"), "run", model], {
      cwd: scratch,
      encoding: "utf8",
    });
    expect(out).toContain("stopped     drained at t=3s");
  });

  it("a package the CLI does not have still fails as Node says", async () => {
    const { code, err } = await run(
      write(
        join(scratch, "missing", "model.ts"),
        'import { Simulation } from "distsim-nowhere";\nexport default ({ seed }: { seed: number }) => new Simulation({ seed });\n',
      ),
    );
    expect(code).toBe(ExitCode.invalidModel);
    expect(err).toContain("Cannot find module 'distsim-nowhere'");
  });
});

describe("distsim run, a model in a project that installed distsim", () => {
  // A stand-in for the project's own copy: the build plus a marker, for import and require.
  const project = join(scratch, "project");
  const own = join(project, "node_modules", "distsim");
  write(
    join(own, "package.json"),
    JSON.stringify({
      name: "distsim",
      exports: { ".": { import: "./index.mjs", require: "./index.cjs" } },
    }),
  );
  write(
    join(own, "index.mjs"),
    `export * from ${JSON.stringify(pathToFileURL(join(root, "dist/index.js")).href)};\nexport const copy = "the project's own";\n`,
  );
  write(
    join(own, "index.cjs"),
    `module.exports = { ...require(${JSON.stringify(join(root, "dist/cjs/index.js"))}), copy: "the project's own" };\n`,
  );
  const model = `
import * as distsim from "distsim";
export default ({ seed }: { seed: number }) => {
  if ((distsim as { copy?: string }).copy !== "the project's own") throw new Error("not the project's distsim");
  return new distsim.Simulation({ seed });
};
`;

  it("as CommonJS, the project's own copy", async () => {
    write(join(project, "cjs", "package.json"), "{}\n");
    const { code, err } = await run(write(join(project, "cjs", "model.ts"), model));
    expect(err).toBe("");
    expect(code).toBe(ExitCode.ok);
  });

  it("as an ES module, the project's own copy", async () => {
    write(join(project, "esm", "package.json"), '{ "type": "module" }\n');
    const { code, err } = await run(write(join(project, "esm", "model.ts"), model));
    expect(err).toBe("");
    expect(code).toBe(ExitCode.ok);
  });
});
