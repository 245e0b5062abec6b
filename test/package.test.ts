/**
 * Goal: the package resolves as a user installs it: `import "distsim"` goes through the
 * `exports` map to the built ES modules and `require("distsim")` to the CommonJS build, each
 * with its types, and both expose the public API, a family's classes being the main entry's.
 * Method: self-referencing imports and requires (Node resolves a package's own name through its
 * exports), run in a child Node process without any TypeScript loader.
 * (test/packedPackage.test.ts does the same from a project the packed package is installed in.)
 */
import { execFileSync } from "node:child_process";
import { existsSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { expect, it } from "vitest";

const root = join(import.meta.dirname, "..");

interface ConditionTarget {
  readonly types: string;
  readonly default: string;
}
interface SubpathTarget {
  readonly "distsim-source": string;
  readonly import: ConditionTarget;
  readonly require: ConditionTarget;
}

/** The exports map's subpaths (all but "./package.json"). */
function subpathExports(): [string, SubpathTarget][] {
  const pkg = JSON.parse(readFileSync(join(root, "package.json"), "utf8")) as {
    exports: Record<string, string | SubpathTarget>;
  };
  return Object.entries(pkg.exports).filter(
    (entry): entry is [string, SubpathTarget] => typeof entry[1] !== "string",
  );
}

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
  const subpaths = subpathExports();
  for (const [subpath, target] of subpaths) {
    for (const condition of ["import", "require"] as const) {
      const { types, default: file } = target[condition];
      expect(existsSync(join(root, types)), `${subpath} ${condition} types ${types}`).toBe(true);
      expect(existsSync(join(root, file)), `${subpath} ${condition} ${file}`).toBe(true);
    }
    const source = target["distsim-source"];
    expect(existsSync(join(root, source)), `${subpath} source ${source}`).toBe(true);
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
      "./database",
      "./messaging",
      "./clocks",
      "./algorithms",
      "./faults",
      "./store",
      "./engine",
      "./consensus",
      "./membership",
      "./replication",
      "./coordination",
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
  expect(output["distsim/messaging"]!.components).toEqual([
    "MessageQueue",
    "Topic",
    "DeadLetterQueue",
  ]);
  const all = Object.entries(output)
    .filter(([specifier]) => specifier !== "distsim")
    .flatMap(([, o]) => o.components);
  expect(all.filter((c) => c.startsWith("not"))).toEqual([]);
  // Every component is in exactly one family subpath.
  expect(all.sort()).toEqual(output.distsim!.components.sort());
  expect(new Set(all).size).toBe(all.length);
});

it("require('distsim') and every subpath resolve to the CommonJS build, one instance of each class", () => {
  const specifiers = subpathExports().map(([subpath]) => `distsim${subpath.slice(1)}`);
  // Plain `node -e` is CommonJS: what a project made by `npm init -y` runs.
  const script = `
    const d = require("distsim");
    const sim = new d.Simulation({ seed: 1 });
    let fired = 0;
    sim.after(d.ms(5), () => { fired++; });
    const summary = sim.run();
    const notTheMainEntrys = [];
    for (const specifier of ${JSON.stringify(specifiers)}) {
      const m = require(specifier);
      for (const [name, list] of Object.entries(m)) {
        if (!name.endsWith("_COMPONENTS")) continue;
        for (const c of list) if (d[c.name] !== c) notTheMainEntrys.push(specifier + " " + c.name);
      }
    }
    console.log(JSON.stringify({ fired, time: summary.time, notTheMainEntrys,
      file: require.resolve("distsim").replace(process.cwd(), ".") }));
  `;
  const output = execFileSync(process.execPath, ["-e", script], { cwd: root, encoding: "utf8" });
  expect(JSON.parse(output)).toEqual({
    fired: 1,
    time: 0.005,
    notTheMainEntrys: [],
    file: "./dist/cjs/index.js",
  });
});

it("distsim/clocks gives the main entry's clock classes, through import and require", () => {
  const names = [
    "NodeClock",
    "LamportClock",
    "VectorClock",
    "HybridLogicalClock",
    "ClockOffsetError",
  ];
  const check = (load: string) => `
    const main = ${load.replace("SPEC", "distsim")};
    const clocks = ${load.replace("SPEC", "distsim/clocks")};
    console.log(JSON.stringify(${JSON.stringify(names)}.map((n) => typeof clocks[n] === "function" && clocks[n] === main[n])));
  `;
  const esm = execFileSync(
    process.execPath,
    ["--input-type=module", "-e", check('await import("SPEC")')],
    { cwd: root, encoding: "utf8" },
  );
  const cjs = execFileSync(process.execPath, ["-e", check('require("SPEC")')], {
    cwd: root,
    encoding: "utf8",
  });
  const same = names.map(() => true);
  expect(JSON.parse(esm)).toEqual(same);
  expect(JSON.parse(cjs)).toEqual(same);
});
