/**
 * Goal: the `distsim` command answers --help and --version, rejects unknown input with the
 * usage exit code, and the built binary runs under plain `node` (no loader).
 * Method: call `main` directly for the behaviours; spawn `node dist/cli/main.js` once for the
 * binary (dist/ is built by `npm ci` through `prepare`, and by `npm test` before the tests).
 */
import { execFileSync, spawnSync } from "node:child_process";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { ExitCode, main } from "../../src/cli/program.js";

const root = join(import.meta.dirname, "../..");
const version = (
  JSON.parse(readFileSync(join(root, "package.json"), "utf8")) as { version: string }
).version;

function run(argv: string[]): { code: number; output: string } {
  let output = "";
  const code = main(argv, (text) => {
    output += text;
  });
  return { code, output };
}

describe("distsim CLI", () => {
  it("prints the package version", () => {
    expect(run(["--version"])).toEqual({ code: ExitCode.ok, output: `${version}\n` });
    expect(run(["-v"]).output).toBe(`${version}\n`);
  });

  it("prints usage for --help and for no arguments", () => {
    for (const argv of [["--help"], ["-h"], []]) {
      const { code, output } = run(argv);
      expect(code).toBe(ExitCode.ok);
      expect(output).toContain("Usage:");
      expect(output).toContain("--version");
    }
  });

  it("rejects an unknown option or command with the usage exit code", () => {
    const option = run(["--frobnicate"]);
    expect(option.code).toBe(ExitCode.usage);
    expect(option.output).toContain("frobnicate");
    const command = run(["frobnicate"]);
    expect(command.code).toBe(ExitCode.usage);
    expect(command.output).toContain('unknown command "frobnicate"');
  });

  it("the built binary runs under plain node", () => {
    const output = execFileSync(process.execPath, [join(root, "dist/cli/main.js"), "--version"], {
      encoding: "utf8",
    });
    expect(output).toBe(`${version}\n`);
    const failed = spawnSync(process.execPath, [join(root, "dist/cli/main.js"), "nope"]);
    expect(failed.status).toBe(ExitCode.usage);
  });
});
