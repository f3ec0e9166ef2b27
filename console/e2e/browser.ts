// Debian's Chromium (/usr/bin/chromium) driven by playwright-core: never a downloaded
// browser. Helpers shared by the e2e files.
import { existsSync } from "node:fs";
import { join } from "node:path";

import { chromium, type Browser, type BrowserContext, type Page } from "playwright-core";
import { expect, inject } from "vitest";

import { ARTIFACTS } from "./env";

export const CHROMIUM = process.env.CHROMIUM_PATH ?? "/usr/bin/chromium";

export function baseUrl(): string {
  return inject("baseUrl");
}

export async function launch(): Promise<Browser> {
  if (!existsSync(CHROMIUM)) {
    throw new Error(`${CHROMIUM} not found: install Debian's chromium (make test does)`);
  }
  return chromium.launch({
    executablePath: CHROMIUM,
    headless: true,
    args: [
      "--no-sandbox",
      "--disable-gpu",
      "--disable-background-networking",
      "--disable-component-update",
      "--disable-sync",
      "--disable-quic",
      "--no-first-run",
    ],
  });
}

/** A fresh browser profile (own storage: own session) on the e2e server. */
export async function newContext(
  browser: Browser,
  options: { phone?: boolean } = {},
): Promise<BrowserContext> {
  const context = await browser.newContext({
    baseURL: baseUrl(),
    viewport: options.phone ? { width: 390, height: 844 } : { width: 1280, height: 860 },
    permissions: ["clipboard-read", "clipboard-write"],
  });
  context.setDefaultTimeout(15_000);
  return context;
}

/** A full-page screenshot in e2e/artifacts/<name>.png. */
export async function screenshot(page: Page, name: string): Promise<void> {
  // Scrolled, the sticky header would be drawn mid-page in a full-page capture.
  await page.evaluate(() => window.scrollTo(0, 0));
  await page.screenshot({ path: join(ARTIFACTS, `${name}.png`), fullPage: true });
}

let counter = 0;
export function uniqueEmail(prefix = "user"): string {
  counter += 1;
  return `${prefix}-${Date.now().toString(36)}-${counter}@e2e.example.com`;
}

export const PASSWORD = "correct-horse-battery";

/** Sign up through the console's form; ends on the dashboard. */
export async function signUpInUi(page: Page, email = uniqueEmail()): Promise<string> {
  await page.goto("/#/signup");
  await page.getByLabel("Email", { exact: true }).fill(email);
  await page.getByLabel("Password", { exact: true }).fill(PASSWORD);
  await page.getByLabel("Confirm password").fill(PASSWORD);
  await page.getByRole("button", { name: "Create account" }).click();
  await expect.poll(() => page.getByRole("heading", { name: "Dashboard" }).isVisible()).toBe(true);
  return email;
}

/** Sign in through the console's form; ends on the dashboard. */
export async function signInInUi(page: Page, login: string, password = PASSWORD): Promise<void> {
  await page.goto("/#/login");
  await page.getByLabel("Email or username").fill(login);
  await page.getByLabel("Password", { exact: true }).fill(password);
  await page.getByRole("button", { name: "Sign in" }).click();
  await expect.poll(() => page.getByRole("heading", { name: "Dashboard" }).isVisible()).toBe(true);
}

/** An account made over the API (faster than the form when the form is not the point). */
export async function signUpByApi(
  email = uniqueEmail(),
): Promise<{ email: string; token: string; refresh: string }> {
  const response = await fetch(`${baseUrl()}/api/v1/auth/signup`, {
    method: "POST",
    headers: { "Content-Type": "application/json" },
    body: JSON.stringify({ email, password: PASSWORD }),
  });
  if (!response.ok) throw new Error(`signup failed: ${response.status} ${await response.text()}`);
  const body = (await response.json()) as { access_token: string; refresh_token: string };
  return { email, token: body.access_token, refresh: body.refresh_token };
}
