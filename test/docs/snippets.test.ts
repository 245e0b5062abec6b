/**
 * Goal: every ```ts snippet in README.md and docs/ compiles against the sources, so the docs
 * cannot drift from the API unnoticed (a renamed stat or option fails here).
 * Method: each snippet becomes a module (the guide's snippets, which build on each other, one
 * module together); imports of "distsim" and its subpaths are pointed at src/; one TypeScript
 * program with the repository's compiler options type-checks them all, and every diagnostic is
 * reported with the doc file and the snippet's line.
 */
import { mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { join, relative } from "node:path";
import ts from "typescript";
import { describe, expect, it } from "vitest";

const root = join(import.meta.dirname, "../..");
const scratch = join(root, "test-results", "doc-snippets");

/** Docs whose snippets continue each other, checked as one module. */
const CONTINUED = new Set(["docs/guide.md"]);

/** A relative import in a snippet is written as if the snippet were a component file here. */
const RELATIVE_BASE = "src/components/family";

function docFiles(): string[] {
  const docs = (readdirSync(join(root, "docs"), { recursive: true }) as string[])
    .filter((file) => file.endsWith(".md"))
    .map((file) => join("docs", file));
  return ["README.md", ...docs].sort();
}

/** Where `from "distsim..."` points inside the repository (package.json's exports map). */
function subpathTargets(): Map<string, string> {
  const pkg = JSON.parse(readFileSync(join(root, "package.json"), "utf8")) as {
    exports: Record<string, string | { "distsim-source"?: string }>;
  };
  const targets = new Map<string, string>();
  for (const [subpath, target] of Object.entries(pkg.exports)) {
    const file = typeof target === "string" ? undefined : target["distsim-source"];
    if (file === undefined) continue;
    const source = file.replace(/^\.\//, "");
    targets.set(subpath === "." ? "distsim" : `distsim/${subpath.slice(2)}`, source);
  }
  return targets;
}

interface Snippet {
  readonly doc: string;
  readonly line: number;
  readonly file: string;
}

function writeSnippets(): Snippet[] {
  rmSync(scratch, { recursive: true, force: true });
  mkdirSync(scratch, { recursive: true });
  const targets = subpathTargets();
  const fromScratch = (path: string) => {
    const from = relative(scratch, path);
    return from.startsWith(".") ? from : `./${from}`;
  };
  const pointAtSources = (code: string) =>
    code.replace(/from "([^"]+)"/g, (whole, specifier: string) => {
      if (specifier.startsWith(".")) {
        return `from "${fromScratch(join(root, RELATIVE_BASE, specifier))}"`;
      }
      const target = targets.get(specifier);
      if (target === undefined) return whole;
      return `from "${fromScratch(join(root, target)).replace(/\.ts$/, ".js")}"`;
    });
  const snippets: Snippet[] = [];
  for (const doc of docFiles()) {
    const text = readFileSync(join(root, doc), "utf8");
    const blocks = [...text.matchAll(/```ts\n([\s\S]*?)```/g)].map((match) => ({
      line: text.slice(0, match.index).split("\n").length + 1,
      code: match[1]!,
    }));
    if (blocks.length === 0) continue;
    const groups = CONTINUED.has(doc) ? [blocks] : blocks.map((block) => [block]);
    for (const group of groups) {
      const file = join(scratch, `${doc.replace(/[/.]/g, "_")}_L${group[0]!.line}.ts`);
      // Each block keeps its own lines, so a diagnostic maps back to the doc.
      writeFileSync(file, `${group.map((b) => pointAtSources(b.code)).join("\n")}\nexport {};\n`);
      snippets.push({ doc, line: group[0]!.line, file });
    }
  }
  return snippets;
}

describe("docs snippets", () => {
  it("every ```ts block in README.md and docs/ type-checks against src/", () => {
    const snippets = writeSnippets();
    expect(snippets.length).toBeGreaterThan(30);
    const config = ts.readConfigFile(join(root, "tsconfig.json"), ts.sys.readFile);
    const { options } = ts.parseJsonConfigFileContent(config.config, ts.sys, root);
    const program = ts.createProgram(
      snippets.map((s) => s.file),
      { ...options, noEmit: true, noUnusedLocals: false },
    );
    const byFile = new Map(snippets.map((s) => [s.file, s]));
    const problems: string[] = [];
    for (const diagnostic of ts.getPreEmitDiagnostics(program)) {
      const file = diagnostic.file?.fileName;
      const snippet = file === undefined ? undefined : byFile.get(file);
      const message = ts.flattenDiagnosticMessageText(diagnostic.messageText, "\n");
      if (snippet === undefined) {
        problems.push(`${file ?? "(no file)"}: ${message}`);
        continue;
      }
      const { line } = diagnostic.file!.getLineAndCharacterOfPosition(diagnostic.start ?? 0);
      problems.push(`${snippet.doc} (snippet at line ${snippet.line}, +${line}): ${message}`);
    }
    expect(problems).toEqual([]);
  }, 120_000);
});
