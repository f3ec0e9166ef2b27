/// <reference types="vitest/config" />
import tailwindcss from "@tailwindcss/vite";
import react from "@vitejs/plugin-react";
import { defineConfig } from "vite";

// `npm run dev` serves the console on :5173 and proxies the API to a `topichub serve` on :8000.
const api = process.env.TOPICHUB_URL ?? "http://127.0.0.1:8000";

export default defineConfig({
  plugins: [react(), tailwindcss()],
  build: { outDir: "dist", emptyOutDir: true, sourcemap: false },
  server: {
    proxy: {
      "/api": { target: api, ws: true, changeOrigin: false },
      "/health": api,
    },
  },
  test: {
    environment: "jsdom",
    include: ["src/**/*.test.{ts,tsx}"],
    setupFiles: ["src/test/setup.ts"],
    restoreMocks: true,
    unstubGlobals: true,
    // Page tests type and click through real timers: on a loaded 2-core machine a long
    // one takes several seconds, and vitest's 5 s default made them fail at random.
    testTimeout: 30_000,
  },
});
