// Writes docs/catalog/ from src/catalog and the component entries (`npm run catalog:docs`). Removes pages of entries
// that no longer exist. test/catalog/docs.test.ts fails when the checked-in files differ.
import { mkdirSync, readdirSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { catalogDocFiles } from "../src/catalog/index.js";
import { distsimCatalog } from "../src/components/index.js";

const dir = join(import.meta.dirname, "..", "docs", "catalog");
mkdirSync(dir, { recursive: true });
const files = catalogDocFiles(distsimCatalog());
for (const name of readdirSync(dir)) if (!files.has(name)) rmSync(join(dir, name));
for (const [name, content] of files) writeFileSync(join(dir, name), content);
console.log(`wrote ${files.size} files to docs/catalog/`);
