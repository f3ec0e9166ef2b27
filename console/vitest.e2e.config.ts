import { defineConfig } from "vitest/config";

// End-to-end: a real `topichub serve` (started by e2e/global-setup.ts) driven through
// Debian's Chromium with playwright-core. One file at a time: they share one server.
export default defineConfig({
  test: {
    include: ["e2e/**/*.e2e.ts"],
    globalSetup: ["e2e/global-setup.ts"],
    testTimeout: 60_000,
    hookTimeout: 120_000,
    fileParallelism: false,
    environment: "node",
  },
});
