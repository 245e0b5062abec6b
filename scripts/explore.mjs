/**
 * `npm run explore`: runs the built `distsim check` on every protocol's check model
 * (explore/*.ts) with EXPLORE_SEEDS seeds (default 5,000) on worker threads, one model after
 * another, then prints one line per model and exits nonzero if any found a violation (or
 * could not run). Each model's own report (failing seeds, groups by invariant and fault kinds)
 * is printed as `distsim check` prints it. Build first (`npm run build`): it runs dist/.
 *
 * EXPLORE_SEEDS: how many seeds per model. EXPLORE_WORKERS: worker threads (default: the
 * cores). EXPLORE_ONLY: a comma-separated list of model names (raft, paxos, ...) to run alone.
 */
import { spawnSync } from "node:child_process";
import { existsSync, readdirSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

const root = join(dirname(fileURLToPath(import.meta.url)), "..");
const cli = join(root, "dist", "cli", "main.js");
const folder = join(root, "explore");

const seeds = process.env.EXPLORE_SEEDS ?? "5000";
if (!/^[1-9][0-9]*$/.test(seeds)) {
  console.error(`EXPLORE_SEEDS must be an integer >= 1; given ${JSON.stringify(seeds)}`);
  process.exit(2);
}
const workers = process.env.EXPLORE_WORKERS;
if (workers !== undefined && !/^[1-9][0-9]*$/.test(workers)) {
  console.error(`EXPLORE_WORKERS must be an integer >= 1; given ${JSON.stringify(workers)}`);
  process.exit(2);
}
if (!existsSync(cli)) {
  console.error(`${cli} is missing: run npm run build first`);
  process.exit(2);
}
const only = process.env.EXPLORE_ONLY?.split(",").map((name) => name.trim());
const models = readdirSync(folder)
  .filter((file) => file.endsWith(".ts") && !file.endsWith(".d.ts"))
  .filter((file) => only === undefined || only.includes(file.replace(/\.ts$/, "")))
  .sort();
if (models.length === 0) {
  console.error(`no check models in ${folder}${only === undefined ? "" : ` named ${only}`}`);
  process.exit(2);
}

const rows = [];
for (const file of models) {
  const args = [cli, "check", join("explore", file), "--seeds", seeds];
  if (workers !== undefined) args.push("--workers", workers);
  console.log(`\n== ${file}: ${seeds} seeds ==`);
  const started = process.hrtime.bigint();
  const run = spawnSync(process.execPath, args, { cwd: root, stdio: "inherit" });
  const seconds = Number(process.hrtime.bigint() - started) / 1e9;
  const status = run.status ?? 2;
  rows.push({
    file,
    seconds,
    verdict: status === 0 ? "every seed passed" : status === 1 ? "VIOLATION" : "could not run",
    status,
  });
}

console.log("\nexplore summary");
for (const row of rows) {
  console.log(`  ${row.file.padEnd(20)} ${row.verdict.padEnd(18)} ${row.seconds.toFixed(1)} s`);
}
const worst = Math.max(...rows.map((row) => row.status));
process.exit(worst === 0 ? 0 : worst === 1 ? 1 : 2);
