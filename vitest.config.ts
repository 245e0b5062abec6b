import { defineConfig } from "vitest/config";

export default defineConfig({
  test: {
    include: ["test/**/*.test.ts"],
    // Statistical tests replicate whole simulations; give them room on a 2-core machine.
    testTimeout: 60_000,
    // Some statistical suites replicate their runs in beforeAll.
    hookTimeout: 60_000,
    pool: "threads",
  },
});
