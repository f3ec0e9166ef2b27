import type { Browser } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";

import { launch, newContext, PASSWORD, screenshot, signInInUi, signUpInUi } from "./browser";

describe("signing up, in and out", () => {
  let browser: Browser;
  beforeAll(async () => {
    browser = await launch();
  });
  afterAll(async () => {
    await browser?.close();
  });

  it("serves the console at / and validates the forms before sending", async () => {
    const context = await newContext(browser);
    const page = await context.newPage();
    await page.goto("/");
    await expect.poll(() => page.getByRole("heading", { name: "Sign in to topichub" }).isVisible()).toBe(true);
    await screenshot(page, "login");
    await page.getByRole("link", { name: "Create an account" }).click();
    await page.getByLabel("Email", { exact: true }).fill("not-an-email");
    await page.getByLabel("Password", { exact: true }).fill("short");
    await page.getByRole("button", { name: "Create account" }).click();
    await expect.poll(() => page.getByText("Enter a valid email address.").isVisible()).toBe(true);
    expect(await page.getByText("Use at least 8 characters.").isVisible()).toBe(true);
    await screenshot(page, "signup-validation");
    await context.close();
  });

  it("signs up, survives a reload, signs out and back in", async () => {
    const context = await newContext(browser);
    const page = await context.newPage();
    const email = await signUpInUi(page);
    await page.reload();
    await expect.poll(() => page.getByTestId("signed-in-as").textContent()).toBe(email);
    await page.getByRole("button", { name: "Sign out" }).click();
    await expect.poll(() => page.getByRole("heading", { name: "Sign in to topichub" }).isVisible()).toBe(true);
    await page.getByLabel("Email or username").fill(email);
    await page.getByLabel("Password", { exact: true }).fill("wrong-password-123");
    await page.getByRole("button", { name: "Sign in" }).click();
    await expect.poll(() => page.getByRole("alert").first().textContent()).toMatch(/invalid|incorrect/i);
    await signInInUi(page, email, PASSWORD);
    await context.close();
  });
});
