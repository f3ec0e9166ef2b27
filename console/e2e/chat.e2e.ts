import type { Browser, Page } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";

import { launch, newContext, screenshot, signInInUi, signUpByApi, signUpInUi } from "./browser";

/** The conversation's connection state (role="status"). */
function connection(page: Page) {
  return page.getByTestId("chat-connection");
}

/** One message of the open conversation, by its text. */
function message(page: Page, text: string) {
  return page.getByRole("log").getByRole("listitem").filter({ hasText: text });
}

describe("group chat between two browsers", () => {
  let browser: Browser;
  beforeAll(async () => {
    browser = await launch();
  });
  afterAll(async () => {
    await browser?.close();
  });

  it("creates a group, invites a member who accepts, and chats live: send, reply, edit, delete", async () => {
    const contextA = await newContext(browser);
    const contextB = await newContext(browser);
    const a = await contextA.newPage();
    const b = await contextB.newPage();
    await signUpInUi(a);
    const bob = await signUpByApi();
    await signInInUi(b, bob.email);

    // A creates a group (validated first) and adds B.
    await a.goto("/#/chat");
    await expect.poll(() => a.getByRole("heading", { name: "Chat", exact: true }).isVisible()).toBe(true);
    await a.getByRole("button", { name: "Create group" }).click();
    await expect.poll(() => a.getByText("Enter a group name.").isVisible()).toBe(true);
    const name = `Team ${Date.now().toString(36)}`;
    await a.getByLabel("Group name").fill(name);
    await a.getByRole("button", { name: "Create group" }).click();
    await expect.poll(() => a.url()).toMatch(/#\/chat\/[0-9a-f-]{36}$/);
    await expect.poll(() => connection(a).textContent()).toBe("live");

    // B is of another tenant: A's add is an invitation (202), pending until B accepts.
    await a.getByLabel("Member email").fill(bob.email);
    await a.getByLabel("Role").selectOption("member");
    await a.getByRole("button", { name: "Add member" }).click();
    await expect.poll(() => a.getByText(`${bob.email} was invited as member`).isVisible()).toBe(true);
    await expect
      .poll(() => a.getByRole("list", { name: "Pending invitations" }).getByText(bob.email).isVisible())
      .toBe(true);

    // B sees the invitation on the chat page and accepts: the group opens.
    await b.goto("/#/chat");
    await b.getByRole("button", { name: `Accept invitation to ${name}` }).click();
    await expect.poll(() => b.url()).toMatch(/#\/chat\/[0-9a-f-]{36}$/);
    await expect.poll(() => connection(b).textContent()).toBe("live");
    await expect
      .poll(() => b.getByRole("navigation", { name: "Chat groups" }).getByRole("link", { name }).isVisible())
      .toBe(true);
    expect(await b.getByRole("list", { name: "Invitations" }).count()).toBe(0);

    // A sees B among the members; adding B again: the server's 409 is shown.
    await a.reload();
    await expect.poll(() => connection(a).textContent()).toBe("live");
    await expect.poll(() => a.getByRole("list", { name: "Members" }).getByText(bob.email).isVisible()).toBe(true);
    await a.getByLabel("Member email").fill(bob.email);
    await a.getByRole("button", { name: "Add member" }).click();
    await expect.poll(() => a.getByText("Already a member of this group").isVisible()).toBe(true);

    // B is a plain member: no add form.
    expect(await b.getByLabel("Member email").count()).toBe(0);

    // A sends (Enter) → B sees it live, without a reload.
    const hello = "Hello from A";
    await a.getByRole("textbox", { name: "Message" }).fill(hello);
    await a.getByRole("textbox", { name: "Message" }).press("Enter");
    await expect.poll(() => message(b, hello).isVisible()).toBe(true);
    // B cannot edit or delete A's message.
    expect(await message(b, hello).getByRole("button", { name: "Edit" }).count()).toBe(0);
    expect(await message(b, hello).getByRole("button", { name: "Delete" }).count()).toBe(0);

    // B replies → A sees it live.
    const reply = "Hi A, B here";
    await b.getByRole("textbox", { name: "Message" }).fill(reply);
    await b.getByRole("button", { name: "Send" }).click();
    await expect.poll(() => message(a, reply).isVisible()).toBe(true);

    // A edits its message → B sees the edit.
    const edited = "Hello from A (edited text)";
    await message(a, hello).getByRole("button", { name: "Edit" }).click();
    await a.getByRole("textbox", { name: "Edit message" }).fill(edited);
    await a.getByRole("button", { name: "Save" }).click();
    await expect.poll(() => message(b, edited).isVisible()).toBe(true);
    expect(await message(b, edited).getByText("(edited)").isVisible()).toBe(true);

    await screenshot(a, "chat");
    await a.setViewportSize({ width: 390, height: 844 });
    await screenshot(a, "chat-phone");
    await a.setViewportSize({ width: 1280, height: 860 });

    // A deletes it (after confirming) → it disappears for B.
    a.once("dialog", (dialog) => void dialog.accept());
    await message(a, edited).getByRole("button", { name: "Delete" }).click();
    await expect.poll(() => message(a, edited).count()).toBe(0);
    await expect.poll(() => message(b, edited).count()).toBe(0);
    expect(await message(b, reply).isVisible()).toBe(true);

    await contextA.close();
    await contextB.close();
  });
});
