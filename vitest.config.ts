import { fileURLToPath } from "node:url";
import { defineConfig } from "vitest/config";

export default defineConfig({
  resolve: {
    // Modules under examples/ that tests import say `import "distsim"`, as users' code does;
    // here, as under tsx with the distsim-source condition, that name means the sources.
    alias: [
      { find: /^distsim$/, replacement: fileURLToPath(new URL("src/index.ts", import.meta.url)) },
    ],
  },
  test: {
    include: ["test/**/*.test.ts"],
    // Statistical tests replicate whole simulations; give them room on a 2-core machine.
    testTimeout: 60_000,
    // Some statistical suites replicate their runs in beforeAll.
    hookTimeout: 60_000,
    pool: "threads",
  },
});
