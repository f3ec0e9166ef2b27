// The streaming core of the console: API keys, publishing, the live viewer (pause and
// resume from the cursor), topics and projects, and the dashboard's usage.
import type { Browser, Page } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";

import { baseUrl, launch, newContext, screenshot, signUpInUi } from "./browser";

function status(page: Page) {
  return page.getByTestId("stream-status").textContent();
}

function messages(page: Page) {
  return page.getByRole("list", { name: "Messages" });
}

async function publishInForm(page: Page, value: string): Promise<void> {
  await page.getByLabel("Value (JSON)").fill(value);
  await page.getByRole("button", { name: "Publish", exact: true }).click();
}

async function publishWithKey(key: string, value: unknown): Promise<void> {
  const response = await fetch(`${baseUrl()}/api/v1/topics/events/publish`, {
    method: "POST",
    headers: { "Content-Type": "application/json", "X-API-Key": key },
    body: JSON.stringify({ messages: [{ value, key: "e2e" }] }),
  });
  expect(response.status).toBe(200);
}

describe("topics, publishing and the live viewer", () => {
  let browser: Browser;
  beforeAll(async () => {
    browser = await launch();
  });
  afterAll(async () => {
    await browser?.close();
  });

  it("creates a key, publishes from the form and with the key, and watches it live", async () => {
    const context = await newContext(browser);
    const page = await context.newPage();
    await signUpInUi(page);

    // An API key: the secret is shown once, the list shows the key.
    await page.getByRole("link", { name: "API keys" }).click();
    await page.getByLabel("Key name").fill("e2e publisher");
    await page.getByLabel("Permission").selectOption("write");
    await page.getByRole("button", { name: "Create key" }).click();
    const secretBox = page.getByTestId("new-key-secret");
    await expect.poll(() => secretBox.isVisible()).toBe(true);
    const secret = (await secretBox.textContent()) ?? "";
    expect(secret).toMatch(/^thk_/);
    expect(await page.getByText("you will not see it again").isVisible()).toBe(true);
    const row = page.getByRole("row").filter({ hasText: "e2e publisher" });
    await expect.poll(() => row.isVisible()).toBe(true);
    expect(await row.textContent()).toContain("write");
    await screenshot(page, "keys");
    await page.getByRole("button", { name: /hide the secret/ }).click();
    expect(await page.getByText(secret).count()).toBe(0);

    // The default topic's viewer goes live.
    await page.goto("/#/topics/events");
    await expect.poll(() => status(page)).toBe("Live");

    let publishCalls = 0;
    page.on("request", (request) => {
      if (request.method() === "POST" && request.url().includes("/publish")) publishCalls += 1;
    });

    // From the form…
    await publishInForm(page, '{"greeting": "hello from the form", "n": 1}');
    await expect.poll(() => page.getByTestId("publish-result").textContent()).toMatch(/partition 0 at offset \d+/);
    await expect.poll(() => messages(page).textContent()).toContain("hello from the form");
    expect(publishCalls).toBe(1);

    // …and from elsewhere, with the API key.
    await publishWithKey(secret, { via: "api-key" });
    await expect.poll(() => messages(page).textContent()).toContain('"via": "api-key"');
    const cursor = await page.getByTestId("last-cursor").textContent();
    expect(cursor).toBeTruthy();

    // Paused: nothing arrives; resumed: it arrives, from the cursor.
    await page.getByRole("button", { name: "Pause" }).click();
    await expect.poll(() => status(page)).toBe("Paused");
    await publishWithKey(secret, { while: "paused" });
    await new Promise((r) => setTimeout(r, 300));
    expect(await messages(page).textContent()).not.toContain("paused");
    await page.getByRole("button", { name: "Resume" }).click();
    await expect.poll(() => status(page)).toBe("Live");
    await expect.poll(() => messages(page).textContent()).toContain('"while": "paused"');
    expect(await page.getByTestId("stream-event").count()).toBe(3);
    expect(await page.getByTestId("last-cursor").textContent()).not.toBe(cursor);

    // Invalid JSON is caught before sending.
    await publishInForm(page, '{"broken": ');
    await expect.poll(() => page.getByText(/Not valid JSON/).isVisible()).toBe(true);
    expect(publishCalls).toBe(1);
    await page.getByLabel("Value (JSON)").fill('{"greeting": "hello again"}');
    await screenshot(page, "topic-detail");

    // The dashboard counts what went in and out.
    await page.getByRole("link", { name: "Dashboard" }).click();
    await expect.poll(() => page.getByTestId("meter-Messages in").textContent()).toMatch(/^3 of 10,000/);
    expect(await page.getByTestId("rate-limit").textContent()).toMatch(/requests left/);
    await expect.poll(() => page.getByRole("img", { name: /Messages per day/ }).count()).toBe(1);
    await screenshot(page, "dashboard");
    await page.setViewportSize({ width: 390, height: 844 });
    await screenshot(page, "dashboard-phone");
    await context.close();
  });

  it("creates, renames and deletes a topic and a project", async () => {
    const context = await newContext(browser);
    const page = await context.newPage();
    await signUpInUi(page);

    await page.getByRole("link", { name: "Topics" }).click();
    await expect.poll(() => page.getByRole("link", { name: "events" }).isVisible()).toBe(true);
    await page.getByLabel("Topic name").fill("bad name");
    await page.getByRole("button", { name: "Create topic" }).click();
    await expect.poll(() => page.getByText(/no spaces/).isVisible()).toBe(true);
    await page.getByLabel("Topic name").fill("orders-e2e");
    await page.getByLabel("Partitions").fill("3");
    await page.getByRole("button", { name: "Create topic" }).click();
    await expect.poll(() => page.getByRole("link", { name: "orders-e2e" }).isVisible()).toBe(true);

    await page.getByRole("button", { name: "Rename orders-e2e" }).click();
    await page.getByLabel("New name for orders-e2e").fill("orders-renamed");
    await page.getByRole("button", { name: "Save name" }).click();
    await expect.poll(() => page.getByRole("link", { name: "orders-renamed" }).isVisible()).toBe(true);
    expect(await page.getByRole("link", { name: "orders-e2e" }).count()).toBe(0);
    await screenshot(page, "topics");

    page.once("dialog", (dialog) => void dialog.accept());
    await page.getByRole("button", { name: "Delete orders-renamed" }).click();
    await expect.poll(() => page.getByRole("link", { name: "orders-renamed" }).count()).toBe(0);

    // Projects: create, rename, use; the default one cannot be deleted.
    await page.getByRole("link", { name: "Projects" }).click();
    await page.getByLabel("Project name").fill("Analytics");
    await page.getByRole("button", { name: "Create project" }).click();
    await expect.poll(() => page.getByRole("button", { name: "Rename Analytics" }).isVisible()).toBe(true);
    await page.getByRole("button", { name: "Rename Analytics" }).click();
    await page.getByLabel("New name for Analytics").fill("Analytics EU");
    await page.getByRole("button", { name: "Save", exact: true }).click();
    await page.getByRole("button", { name: "Use Analytics EU" }).click();
    await expect
      .poll(() => page.getByLabel("Current project").locator("option:checked").textContent())
      .toBe("Analytics EU");
    page.once("dialog", (dialog) => void dialog.accept());
    await page.getByRole("button", { name: "Delete default" }).click();
    await expect.poll(() => page.getByText("The default project cannot be deleted").isVisible()).toBe(true);
    await screenshot(page, "projects");
    await context.close();
  });
});
