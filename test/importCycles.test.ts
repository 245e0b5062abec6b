/**
 * Goal: no import cycle between folders under src/, at any level, so each folder's
 * dependencies read one way (errors <- random <- core <- metrics, catalog <- components <- cli,
 * and so on; docs/architecture.md "Folder layout").
 * Method: read every import, `import type` and `export ... from` with a relative specifier in
 * every file under src/; an import from a file in folder A of a file in folder B (A != B) is an
 * edge A -> B at the deepest level and at every shallower one where the two paths still differ
 * (src/components/server/server.ts importing src/core/entity.ts gives
 * src/components/server -> src/core and src/components -> src/core); then look for a cycle
 * and name it. The cycle finder is checked on small hand-made graphs.
 */
import { readdirSync, readFileSync } from "node:fs";
import { dirname, join, relative, resolve } from "node:path";
import { describe, expect, it } from "vitest";

const root = join(import.meta.dirname, "..");

/** Relative specifiers of every static import, re-export and dynamic import in `source`. */
function relativeImports(source: string): string[] {
  const found: string[] = [];
  const statement = /(?:^|[;\n])\s*(?:import|export)\b[^;'"]*?\bfrom\s*["']([^"']+)["']/g;
  const bare = /(?:^|[;\n])\s*import\s*["']([^"']+)["']/g;
  const dynamic = /\bimport\(\s*["']([^"']+)["']\s*\)/g;
  for (const pattern of [statement, bare, dynamic]) {
    for (const match of source.matchAll(pattern)) {
      if (match[1]!.startsWith(".")) found.push(match[1]!);
    }
  }
  return found;
}

/** Folder-level edges from file-level imports (paths relative to the repository, "/"-separated). */
function folderGraph(imports: readonly (readonly [string, string])[]): Map<string, Set<string>> {
  const graph = new Map<string, Set<string>>();
  for (const [fromFile, toFile] of imports) {
    const from = dirname(fromFile).split("/");
    const to = dirname(toFile).split("/");
    const depth = Math.max(from.length, to.length);
    for (let level = 1; level <= depth; level++) {
      const a = from.slice(0, level).join("/");
      const b = to.slice(0, level).join("/");
      if (a === b) continue;
      if (!graph.has(a)) graph.set(a, new Set());
      graph.get(a)!.add(b);
    }
  }
  return graph;
}

/** One cycle (its first node repeated at the end), or null; nodes are visited in sorted order. */
function findCycle(graph: ReadonlyMap<string, ReadonlySet<string>>): string[] | null {
  const state = new Map<string, "visiting" | "done">();
  const stack: string[] = [];
  const visit = (node: string): string[] | null => {
    state.set(node, "visiting");
    stack.push(node);
    for (const next of [...(graph.get(node) ?? [])].sort()) {
      if (state.get(next) === "visiting") return [...stack.slice(stack.indexOf(next)), next];
      if (!state.has(next)) {
        const cycle = visit(next);
        if (cycle !== null) return cycle;
      }
    }
    stack.pop();
    state.set(node, "done");
    return null;
  };
  for (const node of [...graph.keys()].sort()) {
    if (!state.has(node)) {
      const cycle = visit(node);
      if (cycle !== null) return cycle;
    }
  }
  return null;
}

function sourceImports(): [string, string][] {
  const edges: [string, string][] = [];
  const files = (readdirSync(join(root, "src"), { recursive: true }) as string[])
    .filter((file) => file.endsWith(".ts"))
    .map((file) => join("src", file).split("\\").join("/"))
    .sort();
  for (const file of files) {
    for (const specifier of relativeImports(readFileSync(join(root, file), "utf8"))) {
      const target = relative(root, resolve(root, dirname(file), specifier))
        .split("\\")
        .join("/");
      edges.push([file, target]);
    }
  }
  return edges;
}

describe("folder import graph under src/", () => {
  it("has no cycle at any folder level", () => {
    const imports = sourceImports();
    expect(imports.length).toBeGreaterThan(300);
    const cycle = findCycle(folderGraph(imports));
    expect(cycle?.join(" -> ") ?? "no cycle").toBe("no cycle");
  });

  it("reads every kind of relative import, and only relative ones", () => {
    const source = [
      'import { a } from "./a.js";',
      'import type { B } from "../b/b.js";',
      "import {\n  c,\n  d,\n} from '../../c/c.js';",
      'export { e } from "./e.js";',
      'export * as f from "./f/index.js";',
      'import "./side.js";',
      'const g = await import("./g.js");',
      'import { describe } from "vitest";',
      'import { join } from "node:path";',
    ].join("\n");
    expect(relativeImports(source).sort()).toEqual(
      [
        "./a.js",
        "../b/b.js",
        "../../c/c.js",
        "./e.js",
        "./f/index.js",
        "./side.js",
        "./g.js",
      ].sort(),
    );
  });
});

describe("the cycle finder", () => {
  it("finds a cycle between sibling folders and names it", () => {
    const graph = folderGraph([
      ["src/core/entity.ts", "src/random/randomStream.ts"],
      ["src/random/profile.ts", "src/core/errors.ts"],
    ]);
    expect(findCycle(graph)).toEqual(["src/core", "src/random", "src/core"]);
  });

  it("finds a cycle seen only at a shallower level", () => {
    // src/components/server -> src/catalog and src/catalog -> src/components/client: no cycle
    // between the deepest folders, but src/components <-> src/catalog is one.
    const graph = folderGraph([
      ["src/components/server/server.ts", "src/catalog/entry.ts"],
      ["src/catalog/registry.ts", "src/components/client/client.ts"],
    ]);
    expect(findCycle(graph)).toEqual(["src/catalog", "src/components", "src/catalog"]);
  });

  it("finds a cycle between a folder and its parent (a family importing the registry)", () => {
    const graph = folderGraph([
      ["src/components/index.ts", "src/components/server/index.ts"],
      ["src/components/server/server.ts", "src/components/index.ts"],
    ]);
    expect(findCycle(graph)).toEqual(["src/components", "src/components/server", "src/components"]);
  });

  it("finds a longer cycle and accepts a graph without one", () => {
    const chain: [string, string][] = [
      ["src/a/x.ts", "src/b/x.ts"],
      ["src/b/x.ts", "src/c/x.ts"],
    ];
    expect(findCycle(folderGraph(chain))).toBeNull();
    expect(findCycle(folderGraph([...chain, ["src/c/y.ts", "src/a/y.ts"]]))).toEqual([
      "src/a",
      "src/b",
      "src/c",
      "src/a",
    ]);
    // Imports inside one folder are not edges.
    expect(
      findCycle(
        folderGraph([
          ["src/a/x.ts", "src/a/y.ts"],
          ["src/a/y.ts", "src/a/x.ts"],
        ]),
      ),
    ).toBeNull();
  });
});
