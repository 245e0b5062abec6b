/**
 * Goal: distsim works as a user gets it, from a project of their own: the packed package
 * (`npm pack`) installs into a new project outside the repository; in the CommonJS project
 * `npm init -y` makes, `require("distsim")` works, TypeScript finds the types for it, and a
 * model runs through the installed CLI (`npx distsim run`), also a model kept in a folder with
 * no node_modules at all; an example runs from node_modules/distsim/examples with `npx tsx`;
 * `distsim init` makes a project that `npm install` alone installs (its distsim is the
 * tarball), whose model runs, whose test passes and which type-checks.
 * Method: `npm pack` the repository (already built: `npm test` builds before vitest), install
 * the tarball with npm into folders under os.tmpdir() (--prefer-offline: the tools the projects
 * need are the versions the repository installs, so npm's cache has them; the registry must be
 * reachable otherwise, as in CI), and run everything in child processes, as a user would.
 */
import { execFile, execFileSync } from "node:child_process";
import {
  existsSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  writeFileSync,
} from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { promisify } from "node:util";
import { afterAll, beforeAll, describe, expect, it } from "vitest";

const root = join(import.meta.dirname, "..");
const scratch = mkdtempSync(join(tmpdir(), "distsim-packed-"));
const userProject = join(scratch, "user-project");
const INSTALL = ["install", "--prefer-offline", "--no-audit", "--no-fund"];
/** npm's own installs and runs take a few seconds each on a shared machine. */
const SLOW = 120_000;
const execFileAsync = promisify(execFile);

// A child npm must see only its own project: not the variables `npm test` sets for this one.
const env = Object.fromEntries(
  Object.entries(process.env).filter(
    ([name]) => !/^(npm_package_|npm_lifecycle_|npm_config_local_prefix$|INIT_CWD$)/i.test(name),
  ),
);

function sh(command: string, args: string[], cwd: string): string {
  try {
    return execFileSync(command, args, { cwd, env, encoding: "utf8", stdio: "pipe" });
  } catch (error) {
    const { stdout, stderr } = error as { stdout?: string; stderr?: string };
    throw new Error(`${command} ${args.join(" ")} (in ${cwd}) failed:\n${stdout}\n${stderr}`);
  }
}

const MODEL = `
import { dist, type ModelBuilder, Simulation } from "distsim";
import { Server } from "distsim/server";
import { arrivals, Source } from "distsim/load";

export const until = 10;

const build: ModelBuilder = ({ seed }) => {
  const sim = new Simulation({ seed });
  const server = new Server<number, number>(sim, "server", { serviceTime: dist.exponential(0.05) });
  new Source(sim, "load", { target: server, arrivals: arrivals.poisson(10) });
  return sim;
};
export default build;
`;

let tarball = "";
const initProject = join(scratch, "my-model");
/** The init project's install, started once `distsim init` has run; it runs beside the tests. */
let initProjectInstalled: Promise<unknown> = Promise.resolve();
let initOutput = "";

beforeAll(() => {
  for (const built of ["dist/cli/main.js", "dist/index.js", "dist/cjs/index.js"]) {
    if (!existsSync(join(root, built))) throw new Error(`${built} is missing: npm run build first`);
  }
  // The build is current (npm test builds first), so skip `prepack`'s second build.
  sh("npm", ["pack", "--ignore-scripts", "--pack-destination", scratch], root);
  const packed = readdirSync(scratch).find((name) => name.endsWith(".tgz"));
  if (packed === undefined) throw new Error(`npm pack left no tarball in ${scratch}`);
  tarball = join(scratch, packed);
  mkdirSync(userProject);
  sh("npm", ["init", "-y"], userProject);
  sh("npm", [...INSTALL, tarball], userProject);
  initOutput = sh("npx", ["--no", "distsim", "init", initProject], userProject);
  // `npm install` as init's next steps say, with no argument: the project's package.json must
  // take distsim from the tarball the installed distsim came from (it is on no registry).
  initProjectInstalled = execFileAsync("npm", INSTALL, { cwd: initProject, env });
  initProjectInstalled.catch(() => {}); // awaited, and reported, by the init project's tests
}, SLOW);

afterAll(() => rmSync(scratch, { recursive: true, force: true }));

describe("the packed package in a CommonJS project (npm init -y)", { timeout: SLOW }, () => {
  it("require('distsim') and a subpath work, one class each", () => {
    const output = sh(
      process.execPath,
      [
        "-e",
        `const d = require("distsim");
         const { Server } = require("distsim/server");
         const sim = new d.Simulation({ seed: 1 });
         sim.at(2, () => {});
         console.log(JSON.stringify({ time: sim.run().time, same: Server === d.Server, file: require.resolve("distsim") }));`,
      ],
      userProject,
    );
    expect(JSON.parse(output)).toEqual({
      time: 2,
      same: true,
      file: join(userProject, "node_modules/distsim/dist/cjs/index.js"),
    });
  });

  it("the docs come with the package, so the README's links work where it is installed", () => {
    const installed = join(userProject, "node_modules/distsim");
    for (const doc of ["README.md", "docs/using-distsim.md", "docs/guide.md"]) {
      expect(existsSync(join(installed, doc)), doc).toBe(true);
    }
  });

  it("installs without scripts to approve: the build runs before packing, not on install", () => {
    const manifest = JSON.parse(
      readFileSync(join(userProject, "node_modules/distsim/package.json"), "utf8"),
    );
    const onInstall = ["preinstall", "install", "postinstall", "prepare"];
    expect(Object.keys(manifest.scripts).filter((name) => onInstall.includes(name))).toEqual([]);
  });

  it("the examples come with the package and run where it is installed (npx tsx: tsx comes with distsim)", () => {
    const example = "node_modules/distsim/examples/server/bounded-queue.ts";
    const out = sh("npx", ["--no", "tsx", example], userProject);
    expect(out).toBe(readFileSync(join(root, "examples/server/bounded-queue.out"), "utf8"));
  });

  it("TypeScript type-checks a model against the require types", () => {
    writeFileSync(join(userProject, "model.ts"), MODEL);
    writeFileSync(
      join(userProject, "tsconfig.json"),
      JSON.stringify({
        compilerOptions: {
          module: "NodeNext",
          moduleResolution: "NodeNext",
          target: "ES2022",
          strict: true,
          noEmit: true,
          types: [],
        },
        files: ["model.ts"],
      }),
    );
    // The repository's compiler: the project has none of its own.
    sh(process.execPath, [join(root, "node_modules/typescript/bin/tsc"), "-p", "."], userProject);
  });

  it("npx distsim run runs the model", () => {
    writeFileSync(join(userProject, "model.ts"), MODEL);
    const out = sh("npx", ["--no", "distsim", "run", "model.ts", "--seed", "3"], userProject);
    expect(out).toContain("distsim run model.ts  (seed 3)");
    expect(out).toContain("stopped     until at t=10s");
    expect(out).toMatch(/server\s+up\s+\d+/);
  });

  it("the installed CLI runs a model kept in a folder with no node_modules", () => {
    const loose = join(scratch, "loose");
    mkdirSync(loose);
    writeFileSync(join(loose, "model.ts"), MODEL);
    const out = sh(
      "npx",
      ["--no", "distsim", "run", join(loose, "model.ts"), "--until", "5"],
      userProject,
    );
    expect(out).toContain("stopped     until at t=5s");
  });
});

describe("a project made by distsim init", { timeout: SLOW }, () => {
  const project = initProject;

  beforeAll(async () => {
    await initProjectInstalled;
  }, SLOW);

  it("depends on the tarball distsim was installed from, as its next steps say", () => {
    const manifest = JSON.parse(readFileSync(join(project, "package.json"), "utf8"));
    expect(manifest.dependencies).toEqual({ distsim: `file:${tarball}` });
    expect(initOutput).toContain(`distsim dependency: file:${tarball}`);
    expect(initOutput).toMatch(/Next:\n {2}cd .*\n {2}npm install\n/);
    expect(existsSync(join(project, "node_modules/distsim/dist/cli/main.js"))).toBe(true);
  });

  it("its model runs through npx distsim run", () => {
    const out = sh("npx", ["--no", "distsim", "run", "model.ts"], project);
    expect(out).toContain("stopped     until at t=60s");
    expect(out).toMatch(/users\s+requests=[\d,]+\s+succeeded=/);
  });

  it("its test passes (npm test) and it type-checks (npm run typecheck)", () => {
    expect(sh("npm", ["test"], project)).toMatch(/# pass 2\n# fail 0/);
    sh("npm", ["run", "typecheck"], project);
  });
});
