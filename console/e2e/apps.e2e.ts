import type { Browser, Page } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";

import { launch, newContext, screenshot, signUpInUi } from "./browser";

async function open(page: Page, path: string, heading: string): Promise<void> {
  await page.goto(`/#${path}`);
  await expect.poll(() => page.getByRole("heading", { name: heading, exact: true }).isVisible()).toBe(true);
}

describe("the app pages: todos, event log, math, recommender", () => {
  let browser: Browser;
  beforeAll(async () => {
    browser = await launch();
  });
  afterAll(async () => {
    await browser?.close();
  });

  it("creates a todo in the UI and finds its event in the event log", async () => {
    const context = await newContext(browser);
    const page = await context.newPage();
    await signUpInUi(page);
    await page.getByRole("link", { name: "Todos" }).click();
    await expect.poll(() => page.getByRole("heading", { name: "Todos", exact: true }).isVisible()).toBe(true);
    await expect.poll(() => page.getByText("No todos yet.").isVisible()).toBe(true);

    // Validated before sending.
    await page.getByRole("button", { name: "Add todo" }).click();
    await expect.poll(() => page.getByText("Enter a title.").isVisible()).toBe(true);

    const title = `Water the plants ${Date.now().toString(36)}`;
    await page.getByLabel("Title", { exact: true }).fill(title);
    await page.getByLabel("Description", { exact: true }).fill("The ones on the balcony too.");
    await page.getByRole("button", { name: "Add todo" }).click();
    const list = page.getByRole("list", { name: "Todos" });
    await expect.poll(() => list.getByText(title).isVisible()).toBe(true);

    const done = page.getByRole("checkbox", { name: `Done: ${title}` });
    await done.click(); // controlled: it changes once the server has answered
    await expect.poll(() => done.isChecked()).toBe(true);
    await page.getByLabel("Show").selectOption("done");
    await expect.poll(() => list.getByText(title).isVisible()).toBe(true);
    await page.getByLabel("Show").selectOption("all");
    await expect.poll(() => list.getByText(title).isVisible()).toBe(true);
    await screenshot(page, "todos");

    // The audit consumer stores events asynchronously: refresh until it is there.
    await page.getByRole("link", { name: "Event log" }).click();
    await expect.poll(() => page.getByRole("heading", { name: "Event log" }).isVisible()).toBe(true);
    const created = page.getByText(`Todo “${title}” created`);
    await expect
      .poll(
        async () => {
          if (await created.isVisible()) return true;
          await page.getByRole("button", { name: "Refresh" }).click();
          return false;
        },
        { timeout: 15_000, interval: 500 },
      )
      .toBe(true);
    await page.getByLabel("Topic").selectOption("todos");
    await expect.poll(() => created.isVisible()).toBe(true);
    const row = page.getByTestId("event-row").filter({ hasText: `Todo “${title}” created` });
    await row.getByText("Payload").click();
    await expect.poll(() => row.getByText(`"created_by"`).isVisible()).toBe(true);
    await page.getByLabel(/Auto-refresh/).check();
    await screenshot(page, "events");
    await context.close();
  });

  it("calculates, keeps a history and shows the server's error for division by zero", async () => {
    const context = await newContext(browser);
    const page = await context.newPage();
    await signUpInUi(page);
    await open(page, "/math", "Math");
    await expect.poll(() => page.getByText("No calculations yet.").isVisible()).toBe(true);

    await page.getByLabel("Operation").selectOption("add");
    await page.getByLabel("a", { exact: true }).fill("2");
    await page.getByLabel("b", { exact: true }).fill("3");
    await page.getByRole("button", { name: "Calculate" }).click();
    await expect.poll(() => page.getByTestId("math-result").textContent()).toBe("5");
    const history = page.getByRole("list", { name: "Calculation history" });
    await expect.poll(() => history.getByText("2 + 3 = 5").isVisible()).toBe(true);

    await page.getByLabel("Operation").selectOption("divide");
    await page.getByLabel("a", { exact: true }).fill("1");
    await page.getByLabel("b", { exact: true }).fill("0");
    await page.getByRole("button", { name: "Calculate" }).click();
    await expect.poll(() => page.getByRole("alert").first().textContent()).toMatch(/division by zero/i);

    // Checked before sending: n must be a whole number.
    await page.getByLabel("Operation").selectOption("fibonacci");
    await page.getByLabel("n", { exact: true }).fill("2.5");
    await page.getByRole("button", { name: "Calculate" }).click();
    await expect.poll(() => page.getByText("Enter a whole number (no decimals).").isVisible()).toBe(true);
    await page.getByLabel("n", { exact: true }).fill("80");
    await page.keyboard.press("Enter");
    // F(80) is above 2^53 and odd: JSON.parse would round it; it is shown exactly.
    await expect.poll(() => page.getByTestId("math-result").textContent()).toBe("23416728348467685");
    await expect.poll(() => history.getByText("F(80) = 23416728348467685").isVisible()).toBe(true);
    await screenshot(page, "math");

    page.once("dialog", (dialog) => void dialog.accept());
    await history.getByRole("button", { name: "Delete 2 + 3 = 5" }).click();
    await expect.poll(() => history.getByText("2 + 3 = 5").count()).toBe(0);
    await context.close();
  });

  it("uploads sample items, records an interaction and gets recommendations", async () => {
    const context = await newContext(browser);
    const page = await context.newPage();
    await signUpInUi(page);
    await open(page, "/recommender", "Recommender");

    await page.getByRole("button", { name: "Load sample items" }).click();
    await page.getByRole("button", { name: "Upload items" }).click();
    await expect.poll(() => page.getByText(/Uploaded 8 items/).isVisible()).toBe(true);

    await page.getByLabel("User id", { exact: true }).fill("alice");
    await page.getByLabel("Item id").fill("book-dune");
    await page.getByLabel("Interaction").selectOption("purchase");
    await page.getByRole("button", { name: "Record interaction" }).click();
    await expect.poll(() => page.getByText("Recorded: alice purchase book-dune.").isVisible()).toBe(true);

    await page.getByLabel("For user id").fill("alice");
    await page.getByLabel("How many").fill("5");
    await page.getByRole("button", { name: "Get recommendations" }).click();
    const results = page.getByRole("list", { name: "Recommendations" });
    await expect.poll(() => results.getByRole("listitem").count()).toBeGreaterThan(0);
    // A purchased item is never recommended back.
    expect(await results.getByText("book-dune", { exact: false }).count()).toBe(0);
    await screenshot(page, "recommender");
    await context.close();
  });

  it("is readable on a phone", async () => {
    const context = await newContext(browser, { phone: true });
    const page = await context.newPage();
    await signUpInUi(page);
    await open(page, "/todos", "Todos");
    await page.getByLabel("Title", { exact: true }).fill("Read on a small screen");
    await page.getByLabel("Title", { exact: true }).press("Enter");
    await expect.poll(() => page.getByRole("list", { name: "Todos" }).getByText("Read on a small screen").isVisible()).toBe(true);
    const width = await page.evaluate(() => document.documentElement.scrollWidth);
    expect(width).toBeLessThanOrEqual(390);
    await screenshot(page, "todos-phone");
    await context.close();
  });
});
