/**
 * Goal: `distsim init [dir]` writes a project (an ES module package depending on this version
 * of distsim, with the tools distsim is built with, TypeScript settings, a model for
 * `distsim run`, its test, a README), refuses a folder with anything in it unless --force, and
 * with --force replaces only its own files.
 * Method: call the CLI's `main` in-process on folders under os.tmpdir(); the model it writes
 * is run through `distsim run` here too (test/packedPackage.test.ts installs the packed package
 * into such a project and runs its test).
 */
import { mkdirSync, mkdtempSync, readFileSync, realpathSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { distsimSource } from "../../src/cli/initCommand.js";
import { ExitCode, main } from "../../src/cli/program.js";

const root = join(import.meta.dirname, "../..");
const own = JSON.parse(readFileSync(join(root, "package.json"), "utf8")) as {
  version: string;
  dependencies: Record<string, string>;
  devDependencies: Record<string, string>;
};
const scratch = mkdtempSync(join(tmpdir(), "distsim-init-"));
afterAll(() => rmSync(scratch, { recursive: true, force: true }));

async function run(argv: string[]): Promise<{ code: number; out: string; err: string }> {
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
  });
  return { code, out, err };
}

describe("distsim init", () => {
  it("writes a project into a new folder, named after it", async () => {
    const dir = join(scratch, "My Sims");
    const { code, out, err } = await run(["init", dir]);
    expect(err).toBe("");
    expect(code).toBe(ExitCode.ok);
    expect(out).toContain("npm install");
    const manifest = JSON.parse(readFileSync(join(dir, "package.json"), "utf8"));
    expect(manifest).toMatchObject({
      name: "my-sims",
      type: "module",
      // Run from this checkout (not a registry install): the checkout is what installs.
      dependencies: { distsim: `file:${realpathSync(root)}` },
      devDependencies: {
        tsx: own.dependencies.tsx,
        typescript: own.devDependencies.typescript,
        "@types/node": own.devDependencies["@types/node"],
      },
      scripts: { test: "node --import tsx --test model.test.ts" },
    });
    const model = readFileSync(join(dir, "model.ts"), "utf8");
    expect(model).toContain("const build: ModelBuilder = ");
    expect(model).toContain("export default build;");
    expect(readFileSync(join(dir, "model.test.ts"), "utf8")).toContain('from "./model.js"');
    expect(JSON.parse(readFileSync(join(dir, "tsconfig.json"), "utf8")).compilerOptions).toEqual(
      expect.objectContaining({ module: "NodeNext", strict: true }),
    );
    expect(readFileSync(join(dir, "README.md"), "utf8")).toContain("npx distsim run model.ts");
    expect(readFileSync(join(dir, "README.md"), "utf8")).toContain(
      `takes distsim from \`file:${realpathSync(root)}\``,
    );
    expect(out).toContain(`distsim dependency: file:${realpathSync(root)}`);
  });

  it("depends on where an installed distsim came from, as npm recorded it", () => {
    // A project that installed distsim from a tarball (npx's cache is laid out the same way).
    const project = join(scratch, "installer");
    const installed = join(project, "node_modules", "distsim");
    mkdirSync(installed, { recursive: true });
    const lock = (resolved: string) =>
      writeFileSync(
        join(project, "node_modules", ".package-lock.json"),
        JSON.stringify({ packages: { "node_modules/distsim": { version: "0.1.0", resolved } } }),
      );
    lock("file:../tarballs/distsim-0.1.0.tgz");
    expect(distsimSource("0.1.0", installed).spec).toBe(
      `file:${join(scratch, "tarballs/distsim-0.1.0.tgz")}`,
    );
    lock("https://registry.npmjs.org/distsim/-/distsim-0.1.0.tgz");
    expect(distsimSource("0.1.0", installed).spec).toBe("^0.1.0");
    expect(distsimSource("0.1.0", join(scratch, "a-checkout")).spec).toBe(
      `file:${join(scratch, "a-checkout")}`,
    );
  });

  it("--distsim sets the dependency: a path as file:, an npm spec as given", async () => {
    const tarball = join(scratch, "distsim-9.9.9.tgz");
    writeFileSync(tarball, "");
    const fromFile = join(scratch, "from-file");
    expect((await run(["init", fromFile, "--distsim", tarball])).code).toBe(ExitCode.ok);
    expect(JSON.parse(readFileSync(join(fromFile, "package.json"), "utf8")).dependencies).toEqual({
      distsim: `file:${tarball}`,
    });
    const fromSpec = join(scratch, "from-spec");
    expect((await run(["init", fromSpec, "--distsim", "^0.2.0"])).code).toBe(ExitCode.ok);
    expect(JSON.parse(readFileSync(join(fromSpec, "package.json"), "utf8")).dependencies).toEqual({
      distsim: "^0.2.0",
    });
  });

  it("the model it writes runs through distsim run", async () => {
    const dir = join(scratch, "runs");
    expect((await run(["init", dir])).code).toBe(ExitCode.ok);
    const { code, out, err } = await run(["run", join(dir, "model.ts")]);
    expect(err).toBe("");
    expect(code).toBe(ExitCode.ok);
    expect(out).toContain("stopped     until at t=60s");
    expect(out).toMatch(/users\s+requests=[\d,]+\s+succeeded=/);
  });

  it("refuses a folder that is not empty, and with --force replaces only its own files", async () => {
    const dir = join(scratch, "busy");
    mkdirSync(dir);
    writeFileSync(join(dir, "notes.txt"), "mine\n");
    writeFileSync(join(dir, "model.ts"), "// an old model\n");
    const refused = await run(["init", dir]);
    expect(refused.code).toBe(ExitCode.usage);
    expect(refused.err).toContain(`distsim init: ${dir} is not empty`);
    expect(refused.err).toContain("--force");
    expect(readFileSync(join(dir, "model.ts"), "utf8")).toBe("// an old model\n");
    expect((await run(["init", dir, "--force"])).code).toBe(ExitCode.ok);
    expect(readFileSync(join(dir, "model.ts"), "utf8")).toContain("ModelBuilder");
    expect(readFileSync(join(dir, "notes.txt"), "utf8")).toBe("mine\n");
  });

  it("refuses a file in place of the folder, and more than one folder", async () => {
    const file = join(scratch, "a-file");
    writeFileSync(file, "");
    expect(await run(["init", file])).toMatchObject({
      code: ExitCode.usage,
      err: `distsim init: ${file} exists and is not a folder\n`,
    });
    const two = await run(["init", "a", "b"]);
    expect(two.code).toBe(ExitCode.usage);
    expect(two.err).toContain("init takes at most one folder");
  });

  it("is in the usage text", async () => {
    expect((await run(["--help"])).out).toContain("distsim init [dir] [--force] [--distsim SPEC]");
  });
});
