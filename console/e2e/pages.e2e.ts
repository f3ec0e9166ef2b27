// Every page, at phone size, as a platform admin (who sees them all): it renders its
// heading, every control has an accessible name, nothing overflows sideways, and the
// page can be reached and used from the keyboard alone.
import type { Browser, Page } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";

import { launch, newContext, screenshot, signInInUi } from "./browser";
import { ADMIN } from "./env";

const PAGES: [route: string, heading: string][] = [
  ["/", "Dashboard"],
  ["/projects", "Projects"],
  ["/topics", "Topics"],
  ["/topics/events", "Topic events"],
  ["/keys", "API keys"],
  ["/todos", "Todos"],
  ["/chat", "Chat"],
  ["/math", "Math"],
  ["/recommender", "Recommender"],
  ["/events", "Event log"],
  ["/account", "Account"],
  ["/admin", "Admin"],
];

/** Visible controls a screen reader could not name: no label, aria-label or text. */
function unnamedControls(page: Page): Promise<string[]> {
  return page.evaluate(() => {
    const named = (el: Element): boolean => {
      if (el.getAttribute("aria-label")?.trim()) return true;
      const labelledBy = el.getAttribute("aria-labelledby");
      if (labelledBy && document.getElementById(labelledBy)?.textContent?.trim()) return true;
      if ("labels" in el && (el as HTMLInputElement).labels?.length) return true;
      if (el.closest("label")?.textContent?.trim()) return true;
      if (el.getAttribute("title")?.trim()) return true;
      if (el.tagName === "BUTTON" || el.tagName === "A") return Boolean(el.textContent?.trim());
      return false;
    };
    return [...document.querySelectorAll("input:not([type=hidden]), select, textarea, button, a[href]")]
      .filter((el) => el.checkVisibility() && !named(el))
      .map((el) => el.outerHTML.slice(0, 120));
  });
}

function overflowsSideways(page: Page): Promise<boolean> {
  return page.evaluate(() => document.documentElement.scrollWidth > window.innerWidth + 1);
}

describe("every page", () => {
  let browser: Browser;
  beforeAll(async () => {
    browser = await launch();
  });
  afterAll(async () => {
    await browser?.close();
  });

  it("is labelled, fits a phone and works from the keyboard", async () => {
    const context = await newContext(browser, { phone: true });
    const page = await context.newPage();
    await signInInUi(page, ADMIN.email, ADMIN.password);
    for (const [route, heading] of PAGES) {
      await page.goto(`/#${route}`);
      await expect
        .poll(() => page.getByRole("heading", { name: heading, exact: true }).isVisible(), {
          message: `${route} shows "${heading}"`,
        })
        .toBe(true);
      await page.waitForLoadState("networkidle").catch(() => undefined);
      expect(await unnamedControls(page), `unnamed controls on ${route}`).toEqual([]);
      expect(await overflowsSideways(page), `${route} overflows a 390 px screen`).toBe(false);
      const name = route === "/" ? "dashboard" : route.slice(1).replaceAll("/", "-");
      await screenshot(page, `phone-${name}`);
    }

    // The menu opens from the keyboard on a phone and leads to another page.
    await page.goto("/#/");
    const menu = page.getByRole("button", { name: "Open menu" });
    await menu.focus();
    await page.keyboard.press("Enter");
    const todos = page.getByRole("navigation", { name: "Main" }).getByRole("link", { name: "Todos" });
    await todos.focus();
    await page.keyboard.press("Enter");
    await expect.poll(() => page.getByRole("heading", { name: "Todos", exact: true }).isVisible()).toBe(true);

    // A form is filled and sent from the keyboard alone: Tab between fields, Enter submits.
    await page.getByLabel("Title").focus();
    await page.keyboard.type("Typed, never clicked");
    await page.keyboard.press("Enter");
    await expect.poll(() => page.getByText("Typed, never clicked").first().isVisible()).toBe(true);
    await context.close();
  });
});
