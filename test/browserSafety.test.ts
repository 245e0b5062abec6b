/**
 * Goal: the package's main entry (src/index.ts) and the engine and component folders
 * (src/core, src/errors, src/random, src/components, src/load, src/metrics, src/clocks, src/faults) can run in a
 * browser: they import no Node built-in, directly or through anything they import, and touch
 * no Node-only global.
 * (src/report, src/cli and src/node are separate entry points and may use Node.)
 * Method, statically, without running anything:
 *   1. walk the import graph (static and dynamic imports, re-exports, `import("…")` types,
 *      `require`) from src/index.ts and every file in those folders; every specifier must be a
 *      relative path to a file in src/ (no Node built-in, no package), and the walk must never
 *      reach src/report, src/cli or src/node;
 *   2. in every file reached, no free reference to `process`, `Buffer`, `require`,
 *      `__dirname`, `__filename`, `module`, `exports`, `global`, `setImmediate` or
 *      `clearImmediate`, nor `globalThis.process` and the like (a local variable named
 *      `process` is fine: names are resolved by the TypeScript checker);
 *   3. the same files type-check against the browser's library (ES2022 + DOM) with no
 *      @types/node, so any other Node-only global or module fails too.
 * test/browser/browser.test.ts then runs the bundled entry in Chromium.
 */
import { readdirSync, statSync } from "node:fs";
import { isBuiltin } from "node:module";
import { dirname, join, relative, resolve } from "node:path";
import ts from "typescript";
import { beforeAll, describe, expect, it } from "vitest";

const root = join(import.meta.dirname, "..");
const src = join(root, "src");
const MAIN_ENTRY = join(src, "index.ts");
const BROWSER_FOLDERS = [
  "core",
  "errors",
  "random",
  "components",
  "load",
  "metrics",
  "clocks",
  "algorithms",
  "faults",
];
/** Entry points of their own, free to use Node; the main entry must never import them. */
const NODE_ONLY_FOLDERS = ["report", "cli", "node"];
/** Packages the main entry may import (each checked to be browser-safe first). None so far. */
const ALLOWED_PACKAGES: readonly string[] = [];
const NODE_GLOBALS = new Set([
  "process",
  "Buffer",
  "require",
  "__dirname",
  "__filename",
  "module",
  "exports",
  "global",
  "setImmediate",
  "clearImmediate",
]);
const GLOBAL_OBJECTS = new Set(["globalThis", "global", "self", "window"]);

function tsFilesUnder(dir: string): string[] {
  return readdirSync(dir, { recursive: true, encoding: "utf8" })
    .filter((name) => name.endsWith(".ts") && !name.endsWith(".d.ts"))
    .map((name) => join(dir, name))
    .sort();
}

const show = (file: string) => relative(root, file);

/** Where a relative specifier points: `./x.js` is `./x.ts` in source, `./dir` is its index. */
function resolveRelative(from: string, specifier: string): string | undefined {
  const base = resolve(dirname(from), specifier);
  const candidates = [
    base.replace(/\.js$/, ".ts"),
    base,
    `${base}.ts`,
    join(base.replace(/\.js$/, ""), "index.ts"),
  ];
  return candidates.find((path) => {
    try {
      return statSync(path).isFile();
    } catch {
      return false;
    }
  });
}

/** Every module specifier in a file, with its line (1-based). */
function moduleSpecifiers(file: ts.SourceFile): { specifier: string; line: number }[] {
  const found: { specifier: string; line: number }[] = [];
  const add = (node: ts.Node | undefined) => {
    if (node !== undefined && ts.isStringLiteralLike(node))
      found.push({
        specifier: node.text,
        line: file.getLineAndCharacterOfPosition(node.getStart(file)).line + 1,
      });
  };
  const visit = (node: ts.Node): void => {
    if (ts.isImportDeclaration(node) || ts.isExportDeclaration(node)) add(node.moduleSpecifier);
    else if (
      ts.isImportEqualsDeclaration(node) &&
      ts.isExternalModuleReference(node.moduleReference)
    )
      add(node.moduleReference.expression);
    else if (ts.isImportTypeNode(node) && ts.isLiteralTypeNode(node.argument))
      add(node.argument.literal);
    else if (
      ts.isCallExpression(node) &&
      (node.expression.kind === ts.SyntaxKind.ImportKeyword ||
        (ts.isIdentifier(node.expression) && node.expression.text === "require"))
    )
      add(node.arguments[0]);
    ts.forEachChild(node, visit);
  };
  visit(file);
  return found;
}

interface Graph {
  files: string[];
  problems: string[];
}

/** Walks the imports from the roots; every file reached, and every import that is not allowed. */
function walkImports(roots: readonly string[]): Graph {
  const seen = new Set<string>();
  const queue = [...roots];
  const problems: string[] = [];
  while (queue.length > 0) {
    const path = queue.shift()!;
    if (seen.has(path)) continue;
    seen.add(path);
    const file = ts.createSourceFile(path, ts.sys.readFile(path) ?? "", ts.ScriptTarget.ES2022);
    for (const { specifier, line } of moduleSpecifiers(file)) {
      const where = `${show(path)}:${line} imports "${specifier}"`;
      if (specifier.startsWith(".")) {
        const target = resolveRelative(path, specifier);
        if (target === undefined) problems.push(`${where}, which does not resolve`);
        else if (!target.startsWith(`${src}/`)) problems.push(`${where}, outside src/`);
        else queue.push(target);
      } else if (isBuiltin(specifier)) problems.push(`${where}, a Node built-in`);
      else if (!ALLOWED_PACKAGES.includes(specifier))
        problems.push(`${where}, a package not checked to be browser-safe`);
    }
  }
  return { files: [...seen].sort(), problems };
}

/** The browser's view of the code: ES2022 + DOM, no @types/node. */
function browserProgram(files: readonly string[]): ts.Program {
  return ts.createProgram(files, {
    target: ts.ScriptTarget.ES2022,
    module: ts.ModuleKind.NodeNext,
    moduleResolution: ts.ModuleResolutionKind.NodeNext,
    lib: ["lib.es2022.d.ts", "lib.dom.d.ts"],
    types: [],
    strict: true,
    noUncheckedIndexedAccess: true,
    noImplicitOverride: true,
    verbatimModuleSyntax: true,
    isolatedModules: true,
    skipLibCheck: true,
    noEmit: true,
  });
}

/** An expression without the parentheses, casts and `!` around it. */
function unwrap(expression: ts.Expression): ts.Expression {
  while (
    ts.isParenthesizedExpression(expression) ||
    ts.isAsExpression(expression) ||
    ts.isTypeAssertionExpression(expression) ||
    ts.isSatisfiesExpression(expression) ||
    ts.isNonNullExpression(expression)
  )
    expression = expression.expression;
  return expression;
}

/** Free references to Node's globals (by name, resolved by the checker), with file:line. */
function nodeGlobalUses(program: ts.Program, files: readonly string[]): string[] {
  const checker = program.getTypeChecker();
  const uses: string[] = [];
  for (const path of files) {
    const file = program.getSourceFile(path)!;
    const report = (node: ts.Node, what: string) => {
      const line = file.getLineAndCharacterOfPosition(node.getStart(file)).line + 1;
      uses.push(`${show(path)}:${line} uses ${what}`);
    };
    const visit = (node: ts.Node): void => {
      if (ts.isIdentifier(node) && NODE_GLOBALS.has(node.text)) {
        const parent = node.parent;
        // Names that are not references: property names, declarations, labels, type members.
        const isName =
          (ts.isPropertyAccessExpression(parent) && parent.name === node) ||
          (ts.isQualifiedName(parent) && parent.right === node) ||
          ((ts.isPropertyAssignment(parent) ||
            ts.isPropertyDeclaration(parent) ||
            ts.isPropertySignature(parent) ||
            ts.isMethodDeclaration(parent) ||
            ts.isMethodSignature(parent) ||
            ts.isVariableDeclaration(parent) ||
            ts.isParameter(parent) ||
            ts.isBindingElement(parent) ||
            ts.isFunctionDeclaration(parent) ||
            ts.isClassDeclaration(parent) ||
            ts.isImportSpecifier(parent) ||
            ts.isExportSpecifier(parent)) &&
            parent.name === node);
        if (!isName) {
          const declarations = checker.getSymbolAtLocation(node)?.declarations ?? [];
          const declaredInSrc = declarations.some((declaration) =>
            declaration.getSourceFile().fileName.startsWith(`${src}/`),
          );
          if (!declaredInSrc) report(node, `the Node global \`${node.text}\``);
        }
      }
      // globalThis.process, (self as any)["Buffer"], …: reached through a global object.
      if (
        (ts.isPropertyAccessExpression(node) || ts.isElementAccessExpression(node)) &&
        GLOBAL_OBJECTS.has(unwrap(node.expression).getText(file))
      ) {
        const name = ts.isPropertyAccessExpression(node)
          ? node.name.text
          : ts.isStringLiteralLike(node.argumentExpression)
            ? node.argumentExpression.text
            : undefined;
        if (name !== undefined && NODE_GLOBALS.has(name)) report(node, `\`${node.getText(file)}\``);
      }
      ts.forEachChild(node, visit);
    };
    visit(file);
  }
  return uses;
}

describe("the main entry is browser-safe", () => {
  const folderFiles = BROWSER_FOLDERS.flatMap((folder) => tsFilesUnder(join(src, folder)));
  const graph = walkImports([MAIN_ENTRY, ...folderFiles]);
  let program: ts.Program;

  beforeAll(() => {
    program = browserProgram(graph.files);
  });

  it("walks a real graph: every browser folder and the main entry's imports", () => {
    for (const folder of BROWSER_FOLDERS)
      expect(
        folderFiles.some((file) => file.startsWith(join(src, folder))),
        folder,
      ).toBe(true);
    expect(graph.files).toContain(MAIN_ENTRY);
    // The main entry re-exports the catalog: it must be held to the same rules.
    expect(graph.files).toContain(join(src, "catalog", "index.ts"));
    expect(graph.files.length).toBeGreaterThan(folderFiles.length);
  });

  it("imports only files in src/, never a Node built-in or an unchecked package", () => {
    expect(graph.problems).toEqual([]);
  });

  it("never reaches the Node-only entry points (src/report, src/cli, src/node)", () => {
    const nodeOnly = graph.files.filter((file) =>
      NODE_ONLY_FOLDERS.some((folder) => file.startsWith(join(src, folder, "/"))),
    );
    expect(nodeOnly.map(show)).toEqual([]);
  });

  it("uses no Node global (process, Buffer, require, __dirname, …)", () => {
    expect(nodeGlobalUses(program, graph.files)).toEqual([]);
  });

  it("type-checks against the browser's library (ES2022 + DOM) without @types/node", () => {
    const diagnostics = ts.getPreEmitDiagnostics(program).map((diagnostic) => {
      const where =
        diagnostic.file === undefined || diagnostic.start === undefined
          ? ""
          : `${show(diagnostic.file.fileName)}:${
              diagnostic.file.getLineAndCharacterOfPosition(diagnostic.start).line + 1
            }: `;
      return where + ts.flattenDiagnosticMessageText(diagnostic.messageText, " ");
    });
    expect(diagnostics).toEqual([]);
    // The check looked at the files it meant to: the program holds exactly the graph.
    const checked = program
      .getSourceFiles()
      .filter((file) => !file.isDeclarationFile)
      .map((file) => file.fileName)
      .sort();
    expect(checked).toEqual(graph.files);
  });
});
