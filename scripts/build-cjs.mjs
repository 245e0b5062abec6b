#!/usr/bin/env node
// The CommonJS build (`require("distsim")`), run by `npm run build` after tsc has written the
// ES modules and their declarations to dist/. Each source file becomes one CommonJS file under
// dist/cjs (not one bundle per entry), so `require("distsim").Server` and
// `require("distsim/server").Server` are the same class, as they are through `import`.
// dist/cjs/package.json says "commonjs", so Node and TypeScript read the .js and .d.ts files
// there as CommonJS; the declarations are tsc's, copied beside them.
// The CLI is not built: the `distsim` binary is an ES module and runs either kind of model.
import { mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { dirname, join, relative } from "node:path";
import { build } from "esbuild";

const root = new URL("..", import.meta.url).pathname;
const src = join(root, "src");
const dist = join(root, "dist");
const out = join(dist, "cjs");
/** Node-only entry points of their own that CommonJS users do not need. */
const LEFT_OUT = ["cli"];

const sources = readdirSync(src, { recursive: true, encoding: "utf8" })
  .filter((file) => file.endsWith(".ts") && !file.endsWith(".d.ts"))
  .filter((file) => !LEFT_OUT.includes(file.split("/")[0]))
  .sort();

// `import.meta.url` does not exist in CommonJS (a report writer uses it to find uPlot): files
// that read it get the CommonJS equivalent, computed from __filename. No other file gets it,
// so the engine's files stay free of Node built-ins.
const readsImportMeta = (file) => readFileSync(join(src, file), "utf8").includes("import.meta");
const common = {
  outdir: out,
  outbase: src,
  format: "cjs",
  platform: "node",
  target: "node20",
  bundle: false,
  logLevel: "warning",
};
rmSync(out, { recursive: true, force: true });
await build({
  ...common,
  entryPoints: sources.filter((file) => !readsImportMeta(file)).map((file) => join(src, file)),
});
const withImportMeta = sources.filter(readsImportMeta);
if (withImportMeta.length > 0) {
  await build({
    ...common,
    entryPoints: withImportMeta.map((file) => join(src, file)),
    define: { "import.meta.url": "__distsimModuleUrl" },
    banner: {
      js: 'const __distsimModuleUrl = require("node:url").pathToFileURL(__filename).href;',
    },
  });
}
writeFileSync(join(out, "package.json"), `${JSON.stringify({ type: "commonjs" }, null, 2)}\n`);

// Declarations: tsc's, without their source-map comment (the maps stay with the ESM build).
let declarations = 0;
for (const file of readdirSync(dist, { recursive: true, encoding: "utf8" })) {
  if (!file.endsWith(".d.ts") || file.startsWith("cjs/") || LEFT_OUT.includes(file.split("/")[0]))
    continue;
  const target = join(out, file);
  mkdirSync(dirname(target), { recursive: true });
  const text = readFileSync(join(dist, file), "utf8").replace(
    /\n\/\/# sourceMappingURL=.*\n?$/,
    "\n",
  );
  writeFileSync(target, text);
  declarations++;
}
process.stdout.write(
  `CommonJS build: ${sources.length} modules and ${declarations} declarations in ${relative(root, out)}/\n`,
);
