/**
 * Goal: docs/catalog/ is exactly what the catalog generates (CI fails on a stale page), and
 * the renderers produce what they promise.
 * Method: generate in memory and compare with the checked-in files; inspect the renderings.
 * After changing an entry, run `npm run catalog:docs`.
 */
import { existsSync, readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { catalogDocFiles } from "../../src/catalog/docs.js";
import { entryJsonSchema, renderMermaid } from "../../src/catalog/render.js";
import { distsimCatalog } from "../../src/components/index.js";

const dir = join(import.meta.dirname, "../../docs/catalog");

describe("catalog docs", () => {
  const files = catalogDocFiles(distsimCatalog());

  it("docs/catalog/ is up to date (run npm run catalog:docs)", () => {
    const stale: string[] = [];
    for (const [name, content] of files) {
      const path = join(dir, name);
      if (!existsSync(path) || readFileSync(path, "utf8") !== content) stale.push(name);
    }
    const extra = readdirSync(dir).filter((name) => !files.has(name));
    expect({ stale, extra }).toEqual({ stale: [], extra: [] });
  });

  it("the Mermaid graph has the seed's edges and can be filtered", () => {
    const catalog = distsimCatalog();
    const whole = renderMermaid(catalog);
    expect(whole.startsWith("graph TD\n")).toBe(true);
    expect(whole).toContain("  RetryLoop --> RetryPolicy\n");
    const distributed = renderMermaid(catalog, { layer: "distributed" });
    expect(distributed).toContain("Consensus --> Quorum");
    expect(distributed).not.toContain("RetryLoop --> RetryPolicy");
    expect(renderMermaid(catalog, { layer: "application" })).toContain(
      "class Source,ClosedLoopClients component",
    );
  });

  it("every entry in the JSON satisfies the JSON Schema's required fields and enums", () => {
    const schema = entryJsonSchema() as {
      required: string[];
      properties: { layer: { enum: string[] }; role: { enum: string[] } };
    };
    const entries = JSON.parse(files.get("catalog.json")!) as Record<string, unknown>[];
    for (const e of entries) {
      for (const field of schema.required) expect(e).toHaveProperty(field);
      expect(schema.properties.layer.enum).toContain(e.layer);
      expect(schema.properties.role.enum).toContain(e.role);
    }
  });
});
