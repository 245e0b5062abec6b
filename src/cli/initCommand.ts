/**
 * `distsim init [dir] [--force]`: scaffolds a project that uses distsim, ready for
 * `npm install`: an ES module package depending on the distsim that runs `init`, TypeScript
 * settings, one model file for `distsim run` (typed with `ModelBuilder`), a test of that model
 * (node:test, run through tsx) and a short README. It refuses a folder that has anything in it
 * unless --force, which writes its files over same-named ones and leaves the rest alone.
 *
 * The project's tools (tsx, typescript, @types/node) are pinned to the versions distsim itself
 * is built and tested with, read from its own package.json.
 *
 * The distsim dependency is where the running distsim came from, so `npm install` installs
 * it: the tarball or folder it was installed from (`file:`), as npm recorded it in the
 * installing project's lockfile (npx's cache is such a project), or the checkout it runs
 * from; a registry version only when it came from a registry. `--distsim SPEC` overrides it.
 */
import {
  existsSync,
  mkdirSync,
  readdirSync,
  readFileSync,
  realpathSync,
  statSync,
  writeFileSync,
} from "node:fs";
import { basename, isAbsolute, join, relative, resolve, sep } from "node:path";
import { fileURLToPath } from "node:url";
import { ExitCode } from "./exitCodes.js";
import type { CommandIO } from "./runCommand.js";

export interface InitCommandOptions {
  /** The project's folder; created if missing. */
  dir: string;
  /** Write into a folder that is not empty. */
  force: boolean;
  /**
   * The project's distsim dependency: a path (a tarball or a folder, written as `file:`) or
   * any npm spec ("^0.2.0", "github:owner/distsim"). Default: where this distsim came from.
   */
  distsim?: string;
}

/** The distsim dependency to write, and where it came from in words, for the user. */
interface DistsimSource {
  readonly spec: string;
  readonly from: string;
}

/** This package's folder (realpath: a folder installed by `npm install <folder>` is a link). */
function ownRoot(): string {
  return realpathSync(fileURLToPath(new URL("../../", import.meta.url)));
}

/**
 * Where the running distsim came from, as a dependency that installs. Inside a node_modules
 * folder: what npm recorded in that project's lockfile (`file:` paths there are relative to
 * the project, so they are made absolute). Outside one: the checkout or unpacked folder itself.
 */
export function distsimSource(version: string, root = ownRoot()): DistsimSource {
  const marker = `${sep}node_modules${sep}`;
  const at = `${root}${sep}`.indexOf(marker);
  if (at < 0) return { spec: `file:${root}`, from: `the folder it runs from, ${root}` };
  const project = root.slice(0, at);
  const key = relative(project, root).split(sep).join("/");
  for (const lockfile of [
    join(project, "node_modules", ".package-lock.json"),
    join(project, "package-lock.json"),
  ]) {
    let resolved: unknown;
    try {
      const lock = JSON.parse(readFileSync(lockfile, "utf8")) as {
        packages?: Record<string, { resolved?: unknown }>;
      };
      resolved = lock.packages?.[key]?.resolved;
    } catch {
      continue;
    }
    if (typeof resolved !== "string") continue;
    if (resolved.startsWith("file:")) {
      const path = resolve(project, resolved.slice("file:".length));
      return { spec: `file:${path}`, from: `the file it was installed from, ${path}` };
    }
    if (/^https?:/.test(resolved)) {
      return { spec: `^${version}`, from: `the registry it was installed from (${resolved})` };
    }
    return { spec: resolved, from: `where it was installed from (${resolved})` };
  }
  return { spec: `^${version}`, from: "the registry (npm recorded no other source)" };
}

/** `--distsim SPEC`: a path that exists becomes an absolute `file:`, anything else stays as is. */
function givenSource(spec: string): DistsimSource {
  const path = resolve(spec.startsWith("file:") ? spec.slice("file:".length) : spec);
  if ((spec.startsWith("file:") || spec.startsWith(".") || isAbsolute(spec)) && existsSync(path)) {
    return { spec: `file:${path}`, from: `--distsim, ${path}` };
  }
  return { spec, from: "--distsim" };
}

interface OwnManifest {
  version: string;
  dependencies?: Record<string, string>;
  devDependencies?: Record<string, string>;
}

function ownManifest(): OwnManifest {
  return JSON.parse(
    readFileSync(new URL("../../package.json", import.meta.url), "utf8"),
  ) as OwnManifest;
}

/** A valid npm package name from a folder name ("My Sims!" -> "my-sims"). */
function packageName(dir: string): string {
  const name = basename(resolve(dir))
    .toLowerCase()
    .replace(/[^a-z0-9._-]+/g, "-")
    .replace(/^[._-]+|[-]+$/g, "");
  return name === "" ? "distsim-model" : name;
}

function projectFiles(
  name: string,
  manifest: OwnManifest,
  source: DistsimSource,
): Record<string, string> {
  const tool = (pkg: string): string => {
    const version = manifest.dependencies?.[pkg] ?? manifest.devDependencies?.[pkg];
    if (version === undefined) throw new Error(`distsim's package.json does not list ${pkg}`);
    return version;
  };
  const packageJson = {
    name,
    version: "0.1.0",
    private: true,
    type: "module",
    scripts: {
      simulate: "distsim run model.ts",
      test: "node --import tsx --test model.test.ts",
      typecheck: "tsc --noEmit",
    },
    dependencies: { distsim: source.spec },
    devDependencies: {
      "@types/node": tool("@types/node"),
      tsx: tool("tsx"),
      typescript: tool("typescript"),
    },
  };
  const tsconfig = {
    compilerOptions: {
      target: "ES2022",
      lib: ["ES2022"],
      module: "NodeNext",
      moduleResolution: "NodeNext",
      strict: true,
      noEmit: true,
      verbatimModuleSyntax: true,
      skipLibCheck: true,
      types: ["node"],
    },
    include: ["*.ts"],
  };
  return {
    "package.json": `${JSON.stringify(packageJson, null, 2)}\n`,
    "tsconfig.json": `${JSON.stringify(tsconfig, null, 2)}\n`,
    "model.ts": MODEL,
    "model.test.ts": MODEL_TEST,
    "README.md": readme(name, source.spec),
    ".gitignore": "node_modules/\n*.html\n",
  };
}

const MODEL = `/**
 * A service under load: users call an API through a client with a timeout and retries; the
 * API has 4 workers, a lognormal service time (median 40 ms) and a queue of 50.
 *
 * Run it: npx distsim run model.ts [--seed 7] [--until 120] [--report report.html]
 */
import {
  arrivals,
  Client,
  dist,
  type ModelBuilder,
  Probe,
  retry,
  Server,
  Simulation,
  Source,
} from "distsim";

/** The run's horizon in simulated seconds (\`--until\` overrides it). */
export const until = 60;

const build: ModelBuilder = ({ seed }) => {
  const sim = new Simulation({ seed });
  const api = new Server<string, string>(sim, "api", {
    concurrency: 4,
    serviceTime: dist.lognormal({ median: 0.04, sigma: 0.5 }),
    queueCapacity: 50,
  });
  const users = new Client<string, string>(sim, "users", {
    target: api,
    timeout: 0.5,
    retryPolicy: retry.exponentialBackoff({ maxAttempts: 3, initial: 0.05, jitter: "full" }),
  });
  new Source(sim, "traffic", {
    target: users,
    arrivals: arrivals.poisson(60),
    payload: (i) => \`request \${i}\`,
  });
  new Probe(sim, "api queue", { read: () => api.queued, interval: 1, unit: "requests" });
  return sim;
};

export default build;
`;

const MODEL_TEST = `// The model's expectations, checked on every change: npm test.
import assert from "node:assert/strict";
import { test } from "node:test";
import { checkDeterminism } from "distsim";
import build, { until } from "./model.js";

function metricsOf(name: string) {
  const summary = build({ seed: 1, params: {} }).run({ until });
  const entity = summary.entities.find((e) => e.name === name);
  assert.ok(entity, \`the model has an entity named \${name}\`);
  return entity.metrics;
}

test("at 60 requests/s the API keeps up: no request fails, p99 under 250 ms", () => {
  const users = metricsOf("users");
  assert.equal(users.gaveUp, 0);
  assert.ok(Number(users.p99Latency) < 0.25, \`p99 \${users.p99Latency}s\`);
});

test("the same seed gives the same run", () => {
  const verdict = checkDeterminism((seed) => build({ seed, params: {} }), 7, { until });
  assert.ok(verdict.deterministic, verdict.differences.join("\\n"));
});
`;

function readme(name: string, distsimSpec: string): string {
  return `# ${name}

A distsim model: a service under load.

\`\`\`sh
npm install
npx distsim run model.ts                         # run it, print every entity's numbers
npx distsim run model.ts --seed 7 --report report.html   # another seed, charts in a page
npm test                                         # the model's expectations (model.test.ts)
npm run typecheck
\`\`\`

- \`model.ts\`: the model. Its default export builds the simulation from a seed (a
  \`ModelBuilder\`); \`until\` is the run's horizon in simulated seconds.
- \`model.test.ts\`: tests of the model (node:test, run through tsx).
- \`package.json\` takes distsim from \`${distsimSpec}\`, where the distsim that made this
  project came from; \`npm install\` needs it there (change it to take another distsim).

distsim's README and guides come with it: \`node_modules/distsim/README.md\`, and
\`node_modules/distsim/docs/\` (\`using-distsim.md\` for projects like this one).
`;
}

function isEmptyDirectory(dir: string): boolean {
  return readdirSync(dir).length === 0;
}

export function initCommand(options: InitCommandOptions, io: CommandIO): number {
  const dir = resolve(options.dir);
  if (existsSync(dir)) {
    if (!statSync(dir).isDirectory()) {
      io.err(`distsim init: ${options.dir} exists and is not a folder\n`);
      return ExitCode.usage;
    }
    if (!isEmptyDirectory(dir) && !options.force) {
      io.err(
        `distsim init: ${options.dir} is not empty; choose an empty or new folder (distsim init my-model), or add --force to write the project's files into it (same-named files are replaced, others kept)\n`,
      );
      return ExitCode.usage;
    }
  }
  const manifest = ownManifest();
  const source =
    options.distsim === undefined ? distsimSource(manifest.version) : givenSource(options.distsim);
  if (source.spec.startsWith("file:") && !existsSync(source.spec.slice("file:".length))) {
    io.err(
      `distsim init: this distsim came from ${source.spec.slice("file:".length)}, which is gone, so npm install could not install it; give the dependency with --distsim (a tarball, a folder or an npm spec)\n`,
    );
    return ExitCode.usage;
  }
  mkdirSync(dir, { recursive: true });
  const files = projectFiles(packageName(dir), manifest, source);
  for (const [file, text] of Object.entries(files)) writeFileSync(join(dir, file), text);
  const shown = options.dir;
  const cd = resolve(shown) === process.cwd() ? "" : `cd ${shown}\n  `;
  io.out(
    `Created a distsim project in ${shown}: ${Object.keys(files).join(", ")}\ndistsim dependency: ${source.spec} (${source.from}; --distsim sets another)\n\nNext:\n  ${cd}npm install\n  npx distsim run model.ts\n  npm test\n`,
  );
  return ExitCode.ok;
}
