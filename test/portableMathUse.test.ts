/**
 * Goal: simulation code computes the same bits on every JavaScript engine. ECMAScript specifies
 * + - * /, Math.sqrt and a few exact helpers bit for bit, but leaves Math.log, Math.exp,
 * Math.pow and `**`, Math.sin, Math.cos and the other transcendental functions to each engine
 * (Node 20 and Chromium 156 differ in the last bit for 4-10% of arguments). So src/core,
 * src/errors, src/random, src/components, src/load, src/metrics and src/clocks must use
 * src/random/portableMath.ts instead, and this test keeps them from drifting back.
 * Method: parse every .ts file in those folders with the TypeScript compiler and report, with
 * file:line,
 *   1. any use of `Math` other than `Math.<member>` for a member in EXACT_MATH_MEMBERS (the
 *      correctly rounded or exact functions and the constants, which the specification fixes
 *      to the nearest double); so Math.log, Math["exp"], `const { sin } = Math` and passing
 *      `Math` around are all caught, and so is Math.random;
 *   2. any `**` or `**=` other than a power of two with a constant integer exponent
 *      (`2 ** 53`, `2 ** SLOT_BITS`), which every engine computes exactly;
 * except the entries of EXCEPTIONS (none today), each with its reason. The scanner is tested
 * on a snippet first, so a scanner that finds nothing cannot pass by accident.
 */
import { readdirSync, readFileSync } from "node:fs";
import { join, relative } from "node:path";
import ts from "typescript";
import { describe, expect, it } from "vitest";

const root = join(import.meta.dirname, "..");
const SIMULATION_FOLDERS = [
  "core",
  "errors",
  "random",
  "components",
  "load",
  "metrics",
  "clocks",
  "algorithms",
];

/** Members of Math whose results ECMAScript fixes exactly (or which are exact constants). */
const EXACT_MATH_MEMBERS = new Set([
  "abs",
  "ceil",
  "floor",
  "round",
  "trunc",
  "sign",
  "min",
  "max",
  "sqrt",
  "fround",
  "imul",
  "clz32",
  "E",
  "LN10",
  "LN2",
  "LOG10E",
  "LOG2E",
  "PI",
  "SQRT1_2",
  "SQRT2",
]);

/**
 * Findings allowed on purpose, as "path:line text" strings exactly as reported, each with the
 * reason. Empty: nothing in simulation code needs an engine's own transcendental functions.
 */
const EXCEPTIONS: ReadonlyMap<string, string> = new Map();

/** A constant integer exponent: a literal, a negated literal, or a CONSTANT_CASE name. */
function isConstantIntegerExponent(node: ts.Expression): boolean {
  if (ts.isParenthesizedExpression(node)) return isConstantIntegerExponent(node.expression);
  if (ts.isNumericLiteral(node)) return Number.isInteger(Number(node.text));
  if (
    ts.isPrefixUnaryExpression(node) &&
    node.operator === ts.SyntaxKind.MinusToken &&
    ts.isNumericLiteral(node.operand)
  )
    return Number.isInteger(Number(node.operand.text));
  return ts.isIdentifier(node) && /^[A-Z][A-Z0-9_]*$/.test(node.text);
}

/** Every engine-dependent math use in one source text, as "line: text". */
function engineMathUses(fileName: string, text: string): string[] {
  const file = ts.createSourceFile(fileName, text, ts.ScriptTarget.ES2022, true);
  const found: string[] = [];
  const report = (node: ts.Node) => {
    const line = file.getLineAndCharacterOfPosition(node.getStart(file)).line + 1;
    found.push(`${line}: ${node.getText(file)}`);
  };
  const visit = (node: ts.Node): void => {
    if (ts.isIdentifier(node) && node.text === "Math") {
      const parent = node.parent;
      const member =
        ts.isPropertyAccessExpression(parent) && parent.expression === node
          ? parent.name.text
          : undefined;
      // A property named Math (obj.Math, { Math: 1 }) is not the global.
      const isPropertyName =
        (ts.isPropertyAccessExpression(parent) && parent.name === node) ||
        (ts.isPropertyAssignment(parent) && parent.name === node);
      if (!isPropertyName && (member === undefined || !EXACT_MATH_MEMBERS.has(member)))
        report(parent);
    }
    if (
      ts.isBinaryExpression(node) &&
      (node.operatorToken.kind === ts.SyntaxKind.AsteriskAsteriskToken ||
        node.operatorToken.kind === ts.SyntaxKind.AsteriskAsteriskEqualsToken)
    ) {
      const powerOfTwo =
        node.operatorToken.kind === ts.SyntaxKind.AsteriskAsteriskToken &&
        ts.isNumericLiteral(node.left) &&
        Number(node.left.text) === 2 &&
        isConstantIntegerExponent(node.right);
      if (!powerOfTwo) report(node);
    }
    ts.forEachChild(node, visit);
  };
  visit(file);
  return found;
}

function tsFilesUnder(dir: string): string[] {
  return readdirSync(dir, { recursive: true, encoding: "utf8" })
    .filter((name) => name.endsWith(".ts"))
    .map((name) => join(dir, name))
    .sort();
}

describe("simulation code uses only engine-independent math", () => {
  it("the scanner finds each kind of engine-dependent use (checked on a snippet)", () => {
    const snippet = [
      "const a = Math.log(x);", // 1
      "const b = Math['exp'](x);", // 2
      "const { sin } = Math;", // 3
      "const c = x ** 0.5;", // 4
      "y **= 2;", // 5
      "const d = 2 ** n;", // 6: exponent not a constant
      "const e = 3 ** 4;", // 7: not a power of two
      "const f = Math.random();", // 8
      "const g = Math.hypot(x, y);", // 9
      "const m = Math;", // 10
      // Allowed:
      "const ok1 = Math.sqrt(x) + Math.floor(x) + Math.PI + Math.imul(a, b);",
      "const ok2 = 2 ** 53 + 2 ** -1074 + 2 ** SLOT_BITS + 2 ** (27);",
      "const ok3 = options.Math + { Math: 1 }.Math;",
    ].join("\n");
    expect(engineMathUses("snippet.ts", snippet).map((use) => Number(use.split(":")[0]))).toEqual([
      1, 2, 3, 4, 5, 6, 7, 8, 9, 10,
    ]);
  });

  it("src/core, src/errors, src/random, src/components, src/load, src/metrics and src/clocks have no other use", () => {
    const files = SIMULATION_FOLDERS.flatMap((folder) => tsFilesUnder(join(root, "src", folder)));
    expect(files.length).toBeGreaterThan(50);
    const uses = files.flatMap((path) =>
      engineMathUses(path, readFileSync(path, "utf8")).map(
        (use) => `${relative(root, path)}:${use}`,
      ),
    );
    expect(uses.filter((use) => !EXCEPTIONS.has(use))).toEqual([]);
  });

  it("the portable module itself is among the files scanned and passes", () => {
    const path = join(root, "src", "random", "portableMath.ts");
    expect(engineMathUses(path, readFileSync(path, "utf8"))).toEqual([]);
  });
});
