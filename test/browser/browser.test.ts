/**
 * Goal: the main entry runs in a browser, and a seed gives the same run there as in Node, event
 * for event.
 * Method: bundle src/index.ts for the browser with esbuild (ESM, platform "browser": a Node
 * built-in anywhere in the graph fails the build), and bundle test/browser/models.ts on its own
 * (it imports only types, so its bundle holds none of the library). Open a blank page in
 * headless Debian Chromium through playwright-core with every network request refused, load
 * both bundles as modules from blob URLs, and run each model there, passing the library's
 * namespace in. Run the same models in this Node process against src/ directly. Trace hash,
 * event count, headline statistics and every entity's summary must be identical, every leaf
 * bit for bit (Object.is), percentile estimates included. That holds because simulation code
 * computes logarithms, exponentials, powers and sines with src/random/portableMath.ts (IEEE
 * basic operations only) rather than Math.log, Math.exp, `**` and the like, which Node 20's
 * V8 and Chromium 156's V8 round differently in the last bit for 4-10% of arguments;
 * test/portableMathUse.test.ts keeps it so. The bundle, both sides' outcomes and any
 * differences are written to test-results/browser/ for a person to look at.
 * The pure algorithms (src/algorithms) are checked the same way, by a model with no simulation.
 * test/browserSafety.test.ts checks the same property statically.
 */
import { mkdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { build } from "esbuild";
import { beforeAll, describe, expect, it } from "vitest";
import * as distsim from "../../src/index.js";
import { browserAvailable, launchChromium } from "../support/chromium.js";
import { type ModelName, type ModelOutcome, models } from "./models.js";

const root = join(import.meta.dirname, "../..");
const out = join(root, "test-results", "browser");
const MODEL_NAMES = Object.keys(models) as ModelName[];

/** One ESM bundle for the browser, in memory; also the source files it took in. */
async function bundle(entry: string): Promise<{ code: string; inputs: string[] }> {
  const result = await build({
    entryPoints: [join(root, entry)],
    bundle: true,
    format: "esm",
    platform: "browser",
    target: "es2022",
    write: false,
    metafile: true,
    logLevel: "silent",
  });
  const [file] = result.outputFiles;
  return { code: file!.text, inputs: Object.keys(result.metafile.inputs).sort() };
}

/**
 * Runs in the page (a string, so the test runner's transform of `import()` cannot touch it):
 * loads the library and the models as ES modules and runs each model with the library.
 */
const PAGE_FUNCTION = `async ({ library, models, names }) => {
  const load = (code) =>
    import(URL.createObjectURL(new Blob([code], { type: "text/javascript" })));
  const d = await load(library);
  const m = await load(models);
  const outcomes = {};
  const wallMs = {};
  for (const name of names) {
    const start = performance.now();
    outcomes[name] = m.models[name](d);
    wallMs[name] = Math.round(performance.now() - start);
  }
  const nodeGlobals = ["process", "Buffer", "require", "__dirname", "global", "setImmediate"]
    .filter((name) => typeof globalThis[name] !== "undefined");
  return { outcomes, wallMs, nodeGlobals, userAgent: navigator.userAgent };
}`;

interface Difference {
  path: string;
  node: unknown;
  browser: unknown;
}

/** Every leaf where two JSON-like values differ, by path. */
function differences(node: unknown, browser: unknown, path = ""): Difference[] {
  if (
    typeof node === "object" &&
    node !== null &&
    typeof browser === "object" &&
    browser !== null &&
    Array.isArray(node) === Array.isArray(browser)
  ) {
    const keys = [...new Set([...Object.keys(node), ...Object.keys(browser)])];
    return keys.flatMap((key) =>
      differences(
        (node as Record<string, unknown>)[key],
        (browser as Record<string, unknown>)[key],
        `${path}/${key}`,
      ),
    );
  }
  return Object.is(node, browser) ? [] : [{ path, node, browser }];
}

interface PageResult {
  outcomes: Record<ModelName, ModelOutcome>;
  wallMs: Record<ModelName, number>;
  nodeGlobals: string[];
  userAgent: string;
}

describe("the main entry in a browser", () => {
  let library: { code: string; inputs: string[] };
  let modelBundle: { code: string; inputs: string[] };

  beforeAll(async () => {
    [library, modelBundle] = await Promise.all([
      bundle("src/index.ts"),
      bundle("test/browser/models.ts"),
    ]);
    mkdirSync(out, { recursive: true });
    writeFileSync(join(out, "distsim.browser.js"), library.code);
  });

  it("bundles for the browser from src/ alone, with no imports left", () => {
    // A Node built-in would have failed the build (platform "browser" cannot resolve one).
    expect(library.inputs.length).toBeGreaterThan(50);
    const outside = library.inputs.filter(
      (input) => !input.startsWith("src/") || /^src\/(report|cli)\//.test(input),
    );
    expect(outside).toEqual([]);
    expect(library.code).not.toMatch(/^\s*import\s/m);
    // The models bundle is the model file alone: the page runs the library bundle's code.
    expect(modelBundle.inputs).toEqual(["test/browser/models.ts"]);
    expect(modelBundle.code).not.toMatch(/^\s*import\s/m);
  });

  it.runIf(browserAvailable)(
    "runs the same models in Chromium with the same trace hash, events and statistics as in Node",
    async () => {
      const inNode = Object.fromEntries(
        MODEL_NAMES.map((name) => [name, models[name](distsim)]),
      ) as Record<ModelName, ModelOutcome>;

      const browser = await launchChromium();
      let inBrowser: PageResult | undefined;
      const requests: string[] = [];
      const errors: string[] = [];
      try {
        const page = await browser.newPage();
        await page.route("**/*", (route) => {
          requests.push(route.request().url());
          return route.abort();
        });
        page.on("pageerror", (error) => errors.push(error.message));
        page.on("console", (message) => {
          if (message.type() === "error") errors.push(message.text());
        });
        await page.setContent("<!doctype html><meta charset='utf-8'><title>distsim</title>");
        const argument = { library: library.code, models: modelBundle.code, names: MODEL_NAMES };
        inBrowser = (await page.evaluate(
          `(${PAGE_FUNCTION})(${JSON.stringify(argument)})`,
        )) as PageResult;
      } finally {
        await browser.close();
      }

      const found = Object.fromEntries(
        MODEL_NAMES.map((name) => [
          name,
          differences(inNode[name], inBrowser?.outcomes[name], `/${name}`),
        ]),
      ) as Record<ModelName, Difference[]>;
      writeFileSync(
        join(out, "outcomes.json"),
        `${JSON.stringify({ differences: found, node: inNode, browser: inBrowser }, null, 2)}\n`,
      );
      expect(errors).toEqual([]);
      expect(requests).toEqual([]);
      if (inBrowser === undefined) throw new Error("the page returned nothing");
      expect(inBrowser.userAgent).toMatch(/Chrome\//);
      expect(inBrowser.nodeGlobals).toEqual([]);
      for (const name of MODEL_NAMES) {
        const node = inNode[name];
        const page = inBrowser.outcomes[name];
        expect(node.events, name).toBeGreaterThan(10_000);
        expect({ name, traceHash: page.traceHash, events: page.events }).toEqual({
          name,
          traceHash: node.traceHash,
          events: node.events,
        });
        expect(found[name]).toEqual([]);
      }
    },
    60_000,
  );
});
