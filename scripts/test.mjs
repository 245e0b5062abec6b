#!/usr/bin/env node
// The project's one test command (`npm test`): typecheck, lint, build, then every unit,
// property, statistical and example test. Each of the first three counts as one check; vitest
// contributes one per test case. It always ends with the plain line `N passed, N failed`, which
// CI reads, and exits non-zero if anything failed.
import { spawnSync } from "node:child_process";
import { mkdirSync, readFileSync, rmSync } from "node:fs";
import { join } from "node:path";

const root = new URL("..", import.meta.url).pathname;
const bin = (name) => join(root, "node_modules", ".bin", name);
const resultsDir = join(root, "test-results");
const vitestJson = join(resultsDir, "vitest.json");

let passed = 0;
let failed = 0;

function step(label, command, args) {
  process.stdout.write(`\n== ${label}: ${[command, ...args].join(" ")}\n`);
  const run = spawnSync(command, args, { cwd: root, stdio: "inherit" });
  const ok = run.status === 0;
  process.stdout.write(`== ${label}: ${ok ? "ok" : `FAILED (exit ${run.status ?? run.signal})`}\n`);
  return ok;
}

function check(label, command, args) {
  if (step(label, command, args)) passed++;
  else failed++;
}

check("typecheck", bin("tsc"), ["-p", "tsconfig.json", "--noEmit"]);
check("lint", bin("biome"), ["check", "."]);
// The ES modules (tsc) and the CommonJS build (scripts/build-cjs.mjs): what `npm run build` does.
check("build", "npm", ["run", "--silent", "build"]);

mkdirSync(resultsDir, { recursive: true });
rmSync(vitestJson, { force: true });
const extra = process.argv.slice(2);
const vitestOk = step("tests", bin("vitest"), [
  "run",
  "--reporter=default",
  "--reporter=json",
  `--outputFile.json=${vitestJson}`,
  ...extra,
]);
try {
  const report = JSON.parse(readFileSync(vitestJson, "utf8"));
  passed += report.numPassedTests;
  failed += report.numFailedTests;
  // A suite that failed to load (syntax error, bad import) has no test results of its own.
  const brokenSuites = report.testResults.filter(
    (suite) => suite.status === "failed" && suite.assertionResults.length === 0,
  ).length;
  failed += brokenSuites;
  if (!vitestOk && report.numFailedTests === 0 && brokenSuites === 0) failed++;
} catch {
  // No report at all: vitest itself failed to start.
  failed++;
}

process.stdout.write(`\n${passed} passed, ${failed} failed\n`);
process.exit(failed === 0 ? 0 : 1);
