import type { Browser, Page } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";

import {
  baseUrl,
  launch,
  newContext,
  PASSWORD,
  screenshot,
  signInInUi,
  signUpByApi,
  signUpInUi,
} from "./browser";
import { ADMIN } from "./env";

async function call(path: string, token: string | null, init: RequestInit = {}): Promise<Response> {
  const headers = new Headers(init.headers);
  if (token) headers.set("Authorization", `Bearer ${token}`);
  if (init.body) headers.set("Content-Type", "application/json");
  return fetch(`${baseUrl()}${path}`, { ...init, headers });
}

async function json<T>(response: Response): Promise<T> {
  if (!response.ok) throw new Error(`${response.url}: ${response.status} ${await response.text()}`);
  return (await response.json()) as T;
}

async function login(email: string, password: string): Promise<{ access_token: string; refresh_token: string }> {
  return json(await call("/api/v1/auth/login", null, { method: "POST", body: JSON.stringify({ email, password }) }));
}

async function heading(page: Page, name: string): Promise<void> {
  await expect.poll(() => page.getByRole("heading", { name, exact: true }).isVisible()).toBe(true);
}

interface TenantOut {
  id: string;
  name: string;
  rate_limits: Record<string, number> | null;
  quotas: Record<string, number> | null;
  effective: { rate_limits: Record<string, number | null>; quotas: Record<string, number | null> };
}

describe("admin and account", () => {
  let browser: Browser;
  beforeAll(async () => {
    browser = await launch();
  });
  afterAll(async () => {
    await browser?.close();
  });

  it("an admin changes a tenant's rate limit and daily quota", async () => {
    const member = await signUpByApi();
    const me = await json<{ tenant_id: string }>(await call("/api/v1/auth/me", member.token));
    const before = await json<{ messages_in: { limit: number } }>(await call("/api/v1/usage", member.token));
    expect(before.messages_in.limit).toBe(10_000);
    // An open stream of the member, to be seen under Active streams.
    const stream = new AbortController();
    const sse = await call("/api/v1/topics/events/stream", member.token, { signal: stream.signal });
    expect(sse.status).toBe(200);

    const context = await newContext(browser);
    const page = await context.newPage();
    try {
      await signInInUi(page, ADMIN.email, ADMIN.password);
      await page.getByRole("navigation", { name: "Main" }).getByRole("link", { name: "Admin", exact: true }).click();
      await heading(page, "Admin");
      await page.getByLabel("Filter tenants").fill(member.email);
      await expect.poll(() => page.getByRole("button", { name: `Manage ${member.email}` }).isVisible()).toBe(true);
      await screenshot(page, "admin-tenants");
      await page.getByRole("button", { name: `Manage ${member.email}` }).click();
      await heading(page, `Tenant ${member.email}`);
      expect(new URL(page.url().replace("#/", "")).searchParams.get("tenant")).toBe(me.tenant_id);

      // Validated before sending.
      await page.getByLabel("Requests per minute").fill("-1");
      await page.getByRole("button", { name: "Save changes" }).click();
      await expect.poll(() => page.getByText(/Enter a whole number of 0 or more/).isVisible()).toBe(true);

      await page.getByLabel("Requests per minute").fill("120");
      await page.getByLabel("Messages per user per day").fill("500");
      await page.getByRole("button", { name: "Save changes" }).click();
      await expect.poll(() => page.getByText(/^Saved\./).isVisible()).toBe(true);
      await screenshot(page, "admin-tenant");

      // The change, seen over the API by the admin and by the member.
      const admin = await login(ADMIN.email, ADMIN.password);
      const tenant = await json<TenantOut>(await call(`/api/admin/tenants/${me.tenant_id}`, admin.access_token));
      expect(tenant.rate_limits).toEqual({ per_minute: 120 });
      expect(tenant.quotas).toEqual({ messages_per_day: 500 });
      expect(tenant.effective.rate_limits.per_minute).toBe(120);
      const after = await json<{ messages_in: { limit: number }; messages_out: { limit: number } }>(
        await call("/api/v1/usage", member.token),
      );
      expect(after.messages_in.limit).toBe(500);
      expect(after.messages_out.limit).toBe(500);
      const rated = await call("/api/v1/usage", member.token);
      expect(rated.headers.get("X-RateLimit-Limit")).toBe("120");

      await page.getByRole("tab", { name: "Users" }).click();
      await expect.poll(() => page.getByRole("table", { name: "Users" }).getByText(member.email).isVisible()).toBe(true);
      await screenshot(page, "admin-users");

      await page.getByRole("tab", { name: "Active streams" }).click();
      await expect.poll(() => page.getByRole("table", { name: "Active streams" }).getByText("events").first().isVisible()).toBe(
        true,
      );
      await screenshot(page, "admin-streams");

      const phone = await newContext(browser, { phone: true });
      const small = await phone.newPage();
      await signInInUi(small, ADMIN.email, ADMIN.password);
      await small.goto(`/#/admin?tab=tenants&tenant=${me.tenant_id}`);
      await heading(small, `Tenant ${member.email}`);
      await expect.poll(() => small.getByLabel("Requests per minute").inputValue()).toBe("120");
      await screenshot(small, "admin-phone");
      await phone.close();
    } finally {
      stream.abort();
      await context.close();
    }
  });

  it("a member sees no Admin item, and /#/admin leads to the dashboard", async () => {
    const context = await newContext(browser);
    const page = await context.newPage();
    await signUpInUi(page);
    const nav = page.getByRole("navigation", { name: "Main" });
    await expect.poll(() => nav.getByRole("link", { name: "Account" }).isVisible()).toBe(true);
    expect(await nav.getByRole("link", { name: "Admin", exact: true }).count()).toBe(0);
    await page.goto("/#/admin");
    await heading(page, "Dashboard");
    expect(page.url()).not.toContain("admin");
    await context.close();
  });

  it("changes the password in the UI, signs out and signs in with the new one", async () => {
    const context = await newContext(browser);
    const page = await context.newPage();
    const email = await signUpInUi(page);
    await page.getByRole("navigation", { name: "Main" }).getByRole("link", { name: "Account" }).click();
    await heading(page, "Account");
    await expect.poll(() => page.getByText(email).first().isVisible()).toBe(true);
    await screenshot(page, "account");

    const fresh = "new-Password-for-e2e-7";
    await page.getByLabel("Current password", { exact: true }).fill(PASSWORD);
    await page.getByLabel("New password", { exact: true }).fill(fresh);
    await page.getByLabel("Confirm new password").fill("something-else-1");
    await page.getByRole("button", { name: "Change password" }).click();
    await expect.poll(() => page.getByText("The passwords do not match.").isVisible()).toBe(true);
    await page.getByLabel("Confirm new password").fill(fresh);
    await page.getByRole("button", { name: "Change password" }).click();
    await expect.poll(() => page.getByText(/Password changed\. Your other sessions/).isVisible()).toBe(true);

    // Still signed in (silently, with the new password): the API answers.
    await page.getByRole("navigation", { name: "Main" }).getByRole("link", { name: "Dashboard" }).click();
    await heading(page, "Dashboard");
    await expect.poll(() => page.getByTestId("signed-in-as").textContent()).toBe(email);

    // Signing out ends the session on the server too: its refresh token is refused.
    const refresh = await page.evaluate(
      () => (JSON.parse(localStorage.getItem("topichub.session") ?? "{}") as { refresh?: string }).refresh,
    );
    expect(refresh).toMatch(/^thr_/);
    await page.getByRole("button", { name: "Sign out" }).click();
    await heading(page, "Sign in to topichub");
    await expect
      .poll(
        async () =>
          (await call("/api/v1/auth/refresh", null, { method: "POST", body: JSON.stringify({ refresh_token: refresh }) }))
            .status,
      )
      .toBe(401);

    expect((await call("/api/v1/auth/login", null, { method: "POST", body: JSON.stringify({ email, password: PASSWORD }) })).status).toBe(401);
    await signInInUi(page, email, fresh);

    const phone = await newContext(browser, { phone: true });
    const small = await phone.newPage();
    await signInInUi(small, email, fresh);
    await small.goto("/#/account");
    await heading(small, "Account");
    await screenshot(small, "account-phone");
    await phone.close();
    await context.close();
  });
});
