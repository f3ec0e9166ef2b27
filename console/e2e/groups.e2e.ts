// A topic's consumer groups in the console (issue 18): a group made and used over the API
// shows its lag, partitions and member on the topic's page; reset to the latest and the
// earliest record moves its lag, the dead-letter topic is one click away, delete forgets it.
import type { Browser } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";

import { baseUrl, launch, newContext, screenshot, signInInUi, signUpByApi } from "./browser";

async function call(method: string, path: string, token: string, body?: unknown): Promise<Response> {
  return fetch(`${baseUrl()}${path}`, {
    method,
    headers: { Authorization: `Bearer ${token}`, "Content-Type": "application/json" },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
}

describe("a topic's consumer groups", () => {
  let browser: Browser;
  beforeAll(async () => {
    browser = await launch();
  });
  afterAll(async () => {
    await browser?.close();
  });

  it("shows a group's lag and member, resets it, links to its dead letters and deletes it", async () => {
    const account = await signUpByApi();
    expect((await call("POST", "/api/v1/topics", account.token, { name: "orders", partitions: 1 })).status).toBe(201);
    const published = await call("POST", "/api/v1/topics/orders/publish", account.token, {
      messages: [{ value: { n: 1 } }, { value: { n: 2 } }, { value: { n: 3 } }],
    });
    expect(published.status).toBe(200);
    const groups = "/api/v1/topics/orders/groups/billing";
    expect((await call("PUT", groups, account.token, { max_attempts: 1, retry_delay_ms: 0 })).status).toBe(201);
    // One record polled and nacked: with max_attempts 1 it goes to orders.dlq at once.
    const polled = await call("POST", `${groups}/poll`, account.token, { member: "worker-1", max: 1 });
    expect(polled.status).toBe(200);
    const batch = (await polled.json()) as { records: { cursor: string }[] };
    const nacked = await call("POST", `${groups}/nack`, account.token, {
      cursor: batch.records[0]?.cursor,
      member: "worker-1",
      reason: "e2e",
    });
    expect(nacked.status).toBe(200);

    const context = await newContext(browser);
    const page = await context.newPage();
    page.on("dialog", (dialog) => void dialog.accept());
    try {
      await signInInUi(page, account.email);
      await page.goto("/#/topics/orders");
      const group = page.getByRole("region", { name: "Consumer group billing" });
      await expect.poll(() => group.isVisible()).toBe(true);
      await expect.poll(() => group.getByTestId("group-member").textContent()).toContain("worker-1");
      await expect.poll(() => group.getByTestId("group-partition").count()).toBe(1);
      await screenshot(page, "topic-consumer-groups");

      await group.getByLabel("Reset to").selectOption("latest");
      await group.getByRole("button", { name: "Reset" }).click();
      await expect.poll(() => group.getByText("lag 0").isVisible()).toBe(true);

      await group.getByLabel("Reset to").selectOption("earliest");
      await group.getByRole("button", { name: "Reset" }).click();
      await expect.poll(() => group.getByText("lag 3").isVisible()).toBe(true);

      const dlq = page.getByRole("link", { name: "the dead-letter topic orders.dlq" });
      await expect.poll(() => dlq.isVisible(), { timeout: 15_000 }).toBe(true);
      await dlq.click();
      await expect.poll(() => page.getByRole("heading", { name: "Topic orders.dlq" }).isVisible()).toBe(true);

      await page.goBack();
      await expect.poll(() => group.isVisible()).toBe(true);
      await group.getByRole("button", { name: "Delete group" }).click();
      await expect.poll(() => page.getByText(/No consumer groups yet/).isVisible()).toBe(true);
      expect((await call("GET", groups, account.token)).status).toBe(404);
    } finally {
      await context.close();
    }
  });
});
