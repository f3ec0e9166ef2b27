// Starts one real `topichub serve` (SQLite, embedded event log, in-process limits: the
// `make run` defaults) on a free port, serving the built console, for the e2e suite.
import { spawn, type ChildProcess } from "node:child_process";
import { createWriteStream, existsSync, mkdirSync, mkdtempSync, rmSync } from "node:fs";
import { createServer } from "node:net";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";

import type { TestProject } from "vitest/node";

import { ADMIN, ARTIFACTS, CONSOLE_DIR, ROOT } from "./env";

declare module "vitest" {
  export interface ProvidedContext {
    baseUrl: string;
  }
}

function freePort(): Promise<number> {
  return new Promise((done, fail) => {
    const server = createServer();
    server.once("error", fail);
    server.listen(0, "127.0.0.1", () => {
      const address = server.address();
      server.close(() => done(typeof address === "object" && address ? address.port : 0));
    });
  });
}

async function waitForHealth(url: string, server: ChildProcess, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (server.exitCode !== null) throw new Error(`topichub serve exited with ${server.exitCode}`);
    try {
      if ((await fetch(`${url}/health`)).ok) return;
    } catch {
      // not listening yet
    }
    await new Promise((r) => setTimeout(r, 200));
  }
  throw new Error(`topichub serve did not answer ${url}/health within ${timeoutMs} ms`);
}

export default async function setup(project: TestProject) {
  if (!existsSync(join(CONSOLE_DIR, "index.html"))) {
    throw new Error("console/dist is not built: run `npm run build` (make test does) first");
  }
  const topichub = resolve(ROOT, ".venv/bin/topichub");
  if (!existsSync(topichub)) throw new Error(`${topichub} is missing: run \`make install\``);
  mkdirSync(ARTIFACTS, { recursive: true });
  const dataDir = mkdtempSync(join(tmpdir(), "topichub-e2e-"));
  const port = await freePort();
  const baseUrl = `http://127.0.0.1:${port}`;
  const log = createWriteStream(join(ARTIFACTS, "server.log"));
  const server = spawn(topichub, ["serve", "--port", String(port)], {
    cwd: dataDir,
    env: {
      ...process.env,
      TOPICHUB_DATA_DIR: dataDir,
      TOPICHUB_CONSOLE_DIR: CONSOLE_DIR,
      TOPICHUB_ADMIN_EMAIL: ADMIN.email,
      TOPICHUB_ADMIN_PASSWORD: ADMIN.password,
      TOPICHUB_DATABASE_URL: "",
      TOPICHUB_KAFKA_BOOTSTRAP_SERVERS: "",
      TOPICHUB_REDIS_URL: "",
      // Every browser of the suite signs up from 127.0.0.1: the per-address sign-up
      // limit (10 an hour) would refuse the suite's own accounts.
      TOPICHUB_SIGNUP_PER_ADDRESS_PER_HOUR: "100000",
      TOPICHUB_SIGNUP_PER_HOUR: "100000",
    },
    stdio: ["ignore", "pipe", "pipe"],
  });
  server.stdout?.pipe(log);
  server.stderr?.pipe(log);
  try {
    await waitForHealth(baseUrl, server, 60_000);
  } catch (error) {
    server.kill("SIGKILL");
    throw error;
  }
  project.provide("baseUrl", baseUrl);

  return async () => {
    server.kill("SIGTERM");
    await new Promise<void>((done) => {
      const force = setTimeout(() => server.kill("SIGKILL"), 10_000);
      server.once("exit", () => {
        clearTimeout(force);
        done();
      });
      if (server.exitCode !== null) done();
    });
    rmSync(dataDir, { recursive: true, force: true });
  };
}
