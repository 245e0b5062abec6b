/**
 * Goal: the package resolves as a user installs it: `import "distsim"` goes through the
 * `exports` map to the built JavaScript and exposes the public API.
 * Method: a self-referencing dynamic import (Node resolves a package's own name through its
 * exports), run in a child Node process without any TypeScript loader.
 */
import { execFileSync } from "node:child_process";
import { existsSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { expect, it } from "vitest";

const root = join(import.meta.dirname, "..");

it("import 'distsim' resolves to the build and runs a model", () => {
  const script = `
    const d = await import("distsim");
    const sim = new d.Simulation({ seed: 1 });
    let fired = 0;
    sim.after(d.ms(5), () => { fired++; });
    const summary = sim.run();
    console.log(JSON.stringify({ fired, time: summary.time, names: ["Entity", "SimFuture", "race", "checkDeterminism"].every((n) => n in d) }));
  `;
  const output = execFileSync(process.execPath, ["--input-type=module", "-e", script], {
    cwd: root,
    encoding: "utf8",
  });
  expect(JSON.parse(output)).toEqual({ fired: 1, time: 0.005, names: true });
});

it("every subpath export resolves to the build, with its types, and a family's classes are the main entry's", () => {
  const pkg = JSON.parse(readFileSync(join(root, "package.json"), "utf8")) as {
    exports: Record<string, string | { types: string; import: string }>;
  };
  const subpaths = Object.entries(pkg.exports).filter(
    (entry): entry is [string, { types: string; import: string }] => typeof entry[1] !== "string",
  );
  for (const [subpath, { types, import: file }] of subpaths) {
    expect(existsSync(join(root, types)), `${subpath} types ${types}`).toBe(true);
    expect(existsSync(join(root, file)), `${subpath} import ${file}`).toBe(true);
  }
  expect(subpaths.map(([subpath]) => subpath)).toEqual(
    expect.arrayContaining([
      "./load",
      "./network",
      "./server",
      "./client",
      "./loadBalancer",
      "./resilience",
      "./resource",
      "./measure",
    ]),
  );
  const specifiers = subpaths.map(([subpath]) => `distsim${subpath.slice(1)}`);
  // Each subpath is imported by name, as a user would; a family's component list must hold the
  // very classes the main entry exports (one module instance, not a copy).
  const script = `
    const main = await import("distsim");
    const result = {};
    for (const specifier of ${JSON.stringify(specifiers)}) {
      const m = await import(specifier);
      const lists = Object.entries(m).filter(([name]) => name.endsWith("_COMPONENTS"));
      result[specifier] = {
        exports: Object.keys(m).length,
        components: lists.flatMap(([, list]) => list.map((c) => (main[c.name] === c ? c.name : "not the main entry's " + c.name))),
      };
    }
    console.log(JSON.stringify(result));
  `;
  const output = JSON.parse(
    execFileSync(process.execPath, ["--input-type=module", "-e", script], {
      cwd: root,
      encoding: "utf8",
    }),
  ) as Record<string, { exports: number; components: string[] }>;
  for (const specifier of specifiers) expect(output[specifier]!.exports).toBeGreaterThan(0);
  expect(output["distsim/server"]!.components).toEqual(["Server", "AsyncServer", "ThreadPool"]);
  expect(output["distsim/load"]!.components).toEqual(["Source", "ClosedLoopClients"]);
  expect(output["distsim/measure"]!.components).toEqual(["Probe", "Sink"]);
  const all = Object.entries(output)
    .filter(([specifier]) => specifier !== "distsim")
    .flatMap(([, o]) => o.components);
  expect(all.filter((c) => c.startsWith("not"))).toEqual([]);
  // Every component is in exactly one family subpath.
  expect(all.sort()).toEqual(output.distsim!.components.sort());
  expect(new Set(all).size).toBe(all.length);
});
