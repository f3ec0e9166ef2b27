import { act, render, screen, waitFor, within } from "@testing-library/react";
import userEvent from "@testing-library/user-event";
import { beforeEach, describe, expect, it, vi } from "vitest";

import * as session from "../../api/session";
import { Conversation } from "./Conversation";
import type { GroupDetail, Message } from "./messages";
import { FakeSocket } from "./testSocket";

const G = "6f1c1c9e-3a55-4a39-9b1e-0d6a3c7f1a10";
const ME = "11111111-1111-4111-8111-111111111111";
const THEM = "22222222-2222-4222-8222-222222222222";

const group: GroupDetail = {
  id: G,
  name: "Team",
  role: "member",
  created_at: "2026-01-01T00:00:00Z",
  members: [],
};

function msg(id: number, text: string, user_id: string, author: string): Message {
  return { id, group_id: G, user_id, author, message: text, created_at: "2026-01-01T10:00:00Z", edited_at: null };
}

function json(status: number, body: unknown) {
  return new Response(JSON.stringify(body), { status, headers: { "Content-Type": "application/json" } });
}

let history: Message[];
let sent: unknown[];
let nextId: number;

beforeEach(() => {
  FakeSocket.all = [];
  vi.stubGlobal("WebSocket", FakeSocket);
  session.save({
    access: "tok",
    refresh: "ref",
    expiresAt: Date.now() + 600_000,
    user: { id: ME, email: "me@example.com", username: null, is_active: true, is_platform_admin: false, created_at: "t" },
  });
  history = [msg(2, "hi from them", THEM, "them"), msg(1, "my first", ME, "me@example.com")];
  sent = [];
  nextId = 10;
  vi.stubGlobal(
    "fetch",
    vi.fn(async (request: Request) => {
      const url = new URL(request.url);
      if (request.method === "GET" && url.pathname === `/api/v1/messages/${G}`) return json(200, history);
      if (request.method === "POST" && url.pathname === "/api/v1/send-message/") {
        const body = (await request.json()) as { message: string };
        sent.push(body);
        return json(201, msg(nextId++, body.message, ME, "me@example.com"));
      }
      return json(404, { detail: "nope", error: { code: "NOT_FOUND", message: "nope", details: null, request_id: "r", timestamp: "t" } });
    }),
  );
});

async function goLive() {
  await waitFor(() => expect(FakeSocket.all).toHaveLength(1));
  const socket = FakeSocket.all[0]!;
  act(() => socket.open());
  act(() => socket.frame({ type: "subscribed", group_id: G }));
  await waitFor(() => expect(screen.getByRole("status")).toHaveTextContent("Connection: live"));
  return socket;
}

describe("Conversation", () => {
  it("shows history, edit only on my messages, and live messages", async () => {
    render(<Conversation group={group} me={ME} onAccessLost={() => {}} />);
    const socket = await goLive();
    const log = screen.getByRole("log", { name: "Messages in Team" });
    const mine = within(log).getByText("my first").closest("li")!;
    const theirs = within(log).getByText("hi from them").closest("li")!;
    expect(within(mine).getByRole("button", { name: "Edit" })).toBeInTheDocument();
    expect(within(mine).getByRole("button", { name: "Delete" })).toBeInTheDocument();
    expect(within(theirs).queryByRole("button", { name: "Edit" })).toBeNull();
    expect(within(theirs).queryByRole("button", { name: "Delete" })).toBeNull();

    act(() =>
      socket.frame({ event: "message_created", event_id: "e", ...msg(3, "live one", THEM, "them"), message_id: 3 }),
    );
    expect(await within(log).findByText("live one")).toBeInTheDocument();
    act(() => socket.frame({ event: "message_deleted", id: 2, message_id: 2 }));
    await waitFor(() => expect(within(log).queryByText("hi from them")).toBeNull());
  });

  it("sends on Enter, not on Shift+Enter, validates, and shows a message once", async () => {
    const user = userEvent.setup();
    render(<Conversation group={group} me={ME} onAccessLost={() => {}} />);
    const socket = await goLive();
    const box = screen.getByRole("textbox", { name: "Message" });
    await user.click(box);
    await user.keyboard("{Enter}");
    expect(await screen.findByText("Enter a message.")).toBeInTheDocument();
    expect(sent).toHaveLength(0);

    await user.type(box, "line one{Shift>}{Enter}{/Shift}line two");
    expect(sent).toHaveLength(0);
    expect(box).toHaveValue("line one\nline two");
    await user.keyboard("{Enter}");
    await waitFor(() => expect(sent).toEqual([{ group_id: G, message: "line one\nline two" }]));
    await waitFor(() => expect(box).toHaveValue(""));
    // The same message arriving live is not shown twice.
    act(() => socket.frame({ event: "message_created", event_id: "e", ...msg(10, "line one\nline two", ME, "me"), message_id: 10 }));
    const log = screen.getByRole("log");
    expect(within(log).getAllByText(/line one/)).toHaveLength(1);
  });

  it("re-fetches history after a reconnect: what changed meanwhile shows", async () => {
    vi.spyOn(Math, "random").mockReturnValue(0);
    render(<Conversation group={group} me={ME} onAccessLost={() => {}} />);
    const socket = await goLive();
    const log = screen.getByRole("log");
    await within(log).findByText("hi from them");
    act(() => socket.drop(1006));
    expect(screen.getByRole("status")).toHaveTextContent(/reconnecting in \d+ s/);
    // While away: message 2 deleted, 4 sent.
    history = [msg(4, "sent while away", THEM, "them"), msg(1, "my first", ME, "me@example.com")];
    await waitFor(() => expect(FakeSocket.all).toHaveLength(2), { timeout: 2000 });
    const again = FakeSocket.all[1]!;
    act(() => again.open());
    act(() => again.frame({ type: "subscribed", group_id: G }));
    expect(await within(log).findByText("sent while away")).toBeInTheDocument();
    expect(within(log).queryByText("hi from them")).toBeNull();
  });

  it("reports a lost membership", async () => {
    const lost = vi.fn();
    render(<Conversation group={group} me={ME} onAccessLost={lost} />);
    const socket = await goLive();
    act(() => socket.drop(4003, "removed from the group"));
    expect(screen.getByRole("status")).toHaveTextContent("closed: you were removed from this group");
    await waitFor(() => expect(lost).toHaveBeenCalled());
  });
});
