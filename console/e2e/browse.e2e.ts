// Looking inside a topic (issue 17): the topics list's statistics, the message browser
// (newest first, a key filter), "stream from here" on a browsed message, and the admin
// health page.
import type { Browser, Page } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";

import { baseUrl, launch, newContext, screenshot, signInInUi, signUpByApi } from "./browser";
import { ADMIN } from "./env";

async function api(path: string, token: string, body?: unknown): Promise<Response> {
  return fetch(`${baseUrl()}${path}`, {
    method: body === undefined ? "GET" : "POST",
    headers: { Authorization: `Bearer ${token}`, "Content-Type": "application/json" },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
}

function browsed(page: Page) {
  return page.getByRole("list", { name: "Browse results" }).getByTestId("browsed-message");
}

describe("looking inside a topic", () => {
  let browser: Browser;
  beforeAll(async () => {
    browser = await launch();
  });
  afterAll(async () => {
    await browser?.close();
  });

  it("browses, filters by key and streams from a browsed message", async () => {
    const account = await signUpByApi();
    const created = await api("/api/v1/topics", account.token, { name: "browse", partitions: 2 });
    expect(created.status).toBe(201);
    // One message per request, a few milliseconds apart: their times are in this order.
    const sent = [
      ["alpha", "a1"],
      ["alpha", "a2"],
      ["beta", "b1"],
      ["alpha", "a3"],
      ["beta", "b2"],
    ] as const;
    for (const [key, label] of sent) {
      const response = await api("/api/v1/topics/browse/publish", account.token, {
        messages: [{ key, value: { label } }],
      });
      expect(response.status).toBe(200);
      await new Promise((resolve) => setTimeout(resolve, 20));
    }

    const context = await newContext(browser);
    const page = await context.newPage();
    try {
      await signInInUi(page, account.email);

      // The list shows each topic's statistics.
      await page.goto("/#/topics");
      await expect.poll(() => page.getByTestId("messages-browse").textContent()).toBe("5");
      await screenshot(page, "topics-with-stats");

      await page.getByRole("link", { name: "browse", exact: true }).click();
      await expect.poll(() => page.getByTestId("stream-status").textContent()).toBe("Live");
      await expect.poll(() => page.getByText("Messages retained").isVisible()).toBe(true);

      // Newest first.
      await page.getByRole("button", { name: "Show messages" }).click();
      await expect.poll(() => browsed(page).count()).toBe(5);
      expect(await browsed(page).first().textContent()).toContain('"label": "b2"');
      expect(await browsed(page).last().textContent()).toContain('"label": "a1"');

      // By key.
      await page.getByLabel("Key filter").fill("beta");
      await page.getByRole("button", { name: "Show messages" }).click();
      await expect.poll(() => browsed(page).count()).toBe(2);
      const keys = await page.getByRole("list", { name: "Browse results" }).getByTestId("record-key").allTextContents();
      expect(keys).toEqual(["beta", "beta"]);
      await screenshot(page, "topic-browser");

      // Stream from b1: b1 and everything after it in time, nothing before.
      const b1 = browsed(page).filter({ hasText: '"label": "b1"' });
      await b1.getByRole("button", { name: /Stream from partition/ }).click();
      const live = page.getByRole("list", { name: "Messages" });
      await expect.poll(() => live.getByTestId("stream-event").count()).toBe(3);
      const text = (await live.textContent()) ?? "";
      for (const label of ["b1", "a3", "b2"]) expect(text).toContain(`"label": "${label}"`);
      for (const label of ["a1", "a2"]) expect(text).not.toContain(`"label": "${label}"`);
      expect(await page.getByText(/Started after cursor \d+:\d+,\d+:\d+/).isVisible()).toBe(true);
      await screenshot(page, "topic-stream-from-here");
    } finally {
      await context.close();
    }
  });

  it("sets a schema after checking a sample, and the publish form shows a refused message", async () => {
    const account = await signUpByApi();
    const created = await api("/api/v1/topics", account.token, { name: "orders", partitions: 1 });
    expect(created.status).toBe(201);
    const context = await newContext(browser);
    const page = await context.newPage();
    try {
      await signInInUi(page, account.email);
      await page.goto("/#/topics/orders");
      const editor = page.getByRole("form", { name: "Schema editor" });
      await expect.poll(() => editor.isVisible()).toBe(true);
      await editor
        .getByLabel("JSON Schema (draft 2020-12)")
        .fill('{"type": "object", "properties": {"qty": {"type": "integer", "minimum": 1}}, "required": ["qty"]}');

      // A sample the schema refuses: nothing is saved.
      await editor.getByLabel("Sample message (JSON)").fill('{"qty": 0}');
      await editor.getByRole("button", { name: "Save schema" }).click();
      await expect.poll(() => page.getByTestId("schema-check").textContent()).toContain("at /qty");
      const none = await api("/api/v1/topics/orders/schema", account.token);
      expect(none.status).toBe(404);

      // A good sample: checked, then saved.
      await editor.getByLabel("Sample message (JSON)").fill('{"qty": 3}');
      await editor.getByRole("button", { name: "Check sample" }).click();
      await expect.poll(() => page.getByText("The sample matches the schema.").isVisible()).toBe(true);
      await editor.getByRole("button", { name: "Save schema" }).click();
      await expect.poll(() => page.getByText("Schema version 1 is in force.").isVisible()).toBe(true);
      await screenshot(page, "topic-schema");

      // The publish form: a message the schema refuses is refused, and says where.
      await page.getByLabel("Value (JSON)").fill('{"qty": "many"}');
      await page.getByRole("button", { name: "Publish", exact: true }).click();
      await expect
        .poll(async () => (await page.getByRole("alert").allTextContents()).join(" "))
        .toMatch(/does not match the topic's schema.*\/qty/);
      expect(await page.getByTestId("publish-result").count()).toBe(0);
      await page.getByLabel("Value (JSON)").fill('{"qty": 2}');
      await page.getByRole("button", { name: "Publish", exact: true }).click();
      await expect.poll(() => page.getByTestId("publish-result").textContent()).toMatch(/partition 0 at offset 0/);
      await screenshot(page, "topic-schema-publish");
    } finally {
      await context.close();
    }
  });

  it("shows an admin the platform's health", async () => {
    const context = await newContext(browser);
    const page = await context.newPage();
    try {
      await signInInUi(page, ADMIN.email, ADMIN.password);
      await page.goto("/#/admin?tab=health");
      const database = page.getByRole("region", { name: "Database" });
      await expect.poll(() => database.textContent()).toContain("OK");
      expect(await page.getByRole("region", { name: "Log engine" }).textContent()).toContain("embedded log");
      expect(await page.getByRole("table", { name: "Processes" }).getByText("this process").isVisible()).toBe(true);
      await expect.poll(() => page.getByTestId("rate-totals").textContent()).toMatch(/\d+ requests/);
      await screenshot(page, "admin-health");
    } finally {
      await context.close();
    }
  });
});
