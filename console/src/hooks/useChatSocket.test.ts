import { act, renderHook } from "@testing-library/react";
import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";

import * as session from "../api/session";
import { FakeSocket } from "../pages/chat/testSocket";
import { chatSocketUrl, closeOutcome, stateLabel, useChatSocket } from "./useChatSocket";

const GROUP = "6f1c1c9e-3a55-4a39-9b1e-0d6a3c7f1a10";
const created = {
  event: "message_created",
  event_id: "e1",
  group_id: GROUP,
  id: 1,
  message_id: 1,
  user_id: "u1",
  author: "alice",
  message: "hello",
  created_at: "2026-01-01T10:00:00Z",
  edited_at: null,
};

function signIn() {
  session.save({
    access: "access-1",
    refresh: "refresh-1",
    expiresAt: Date.now() + 10 * 60_000,
    user: {
      id: "u1",
      email: "a@example.com",
      username: null,
      is_active: true,
      is_platform_admin: false,
      created_at: "2026-01-01T00:00:00Z",
    },
  });
}

/** Let the token lookup (a promise) settle. */
async function settle() {
  await act(async () => {
    await vi.advanceTimersByTimeAsync(0);
  });
}

function last(): FakeSocket {
  const socket = FakeSocket.all.at(-1);
  if (!socket) throw new Error("no socket");
  return socket;
}

beforeEach(() => {
  vi.useFakeTimers();
  FakeSocket.all = [];
  vi.stubGlobal("WebSocket", FakeSocket);
  vi.spyOn(Math, "random").mockReturnValue(1); // backoffDelay(0) = 500 ms, (1) = 1000 ms
  signIn();
});

afterEach(() => {
  vi.useRealTimers();
});

describe("pure parts", () => {
  it("builds ws: and wss: URLs from the page's location", () => {
    expect(chatSocketUrl(GROUP, { protocol: "http:", host: "localhost:8000" })).toBe(
      `ws://localhost:8000/api/v1/subscribe/${GROUP}`,
    );
    expect(chatSocketUrl(GROUP, { protocol: "https:", host: "chat.example.com" })).toBe(
      `wss://chat.example.com/api/v1/subscribe/${GROUP}`,
    );
  });

  it("knows which closes are final", () => {
    expect(closeOutcome(4003, "removed from the group")).toEqual({ final: true, reason: "you were removed from this group" });
    expect(closeOutcome(4004, "group not found").final).toBe(true);
    expect(closeOutcome(4001, "unauthenticated").final).toBe(true);
    expect(closeOutcome(4008, "slow_consumer").final).toBe(false);
    expect(closeOutcome(1006, "").final).toBe(false);
    expect(closeOutcome(1001, "shutdown").final).toBe(false);
    expect(closeOutcome(1013, "try again later").final).toBe(false);
  });

  it("labels the states", () => {
    expect(stateLabel({ kind: "connecting" })).toBe("connecting");
    expect(stateLabel({ kind: "live" })).toBe("live");
    expect(stateLabel({ kind: "reconnecting", seconds: 3 })).toBe("reconnecting in 3 s");
    expect(stateLabel({ kind: "closed", code: 4004, reason: "gone" })).toBe("closed: gone");
  });
});

describe("useChatSocket", () => {
  it("authenticates with the first frame, goes live and delivers message frames", async () => {
    const onFrame = vi.fn();
    const onSubscribed = vi.fn();
    const { result } = renderHook(() => useChatSocket(GROUP, { onFrame, onSubscribed }));
    expect(result.current.label).toBe("connecting");
    await settle();
    const socket = last();
    expect(socket.url).toBe(`ws://${window.location.host}/api/v1/subscribe/${GROUP}`);
    act(() => socket.open());
    expect(JSON.parse(socket.sent[0]!)).toEqual({ type: "auth", token: "access-1" });
    act(() => socket.frame({ type: "subscribed", group_id: GROUP }));
    expect(result.current.label).toBe("live");
    expect(onSubscribed).toHaveBeenCalledWith({ reconnected: false });
    act(() => socket.frame(created));
    act(() => socket.frame({ event: "message_deleted", id: 1, message_id: 1 }));
    act(() => socket.frame({ event: "member_added", user_id: "u2" }));
    expect(onFrame.mock.calls.map((c) => c[0].kind)).toEqual(["upsert", "delete"]);
  });

  it("reconnects with backoff after a drop and reports the reconnect", async () => {
    const onSubscribed = vi.fn();
    const { result } = renderHook(() => useChatSocket(GROUP, { onFrame: vi.fn(), onSubscribed }));
    await settle();
    act(() => last().open());
    act(() => last().frame({ type: "subscribed", group_id: GROUP }));
    act(() => last().drop(1006));
    expect(result.current.label).toBe("reconnecting in 1 s");
    expect(FakeSocket.all).toHaveLength(1);
    await act(async () => {
      await vi.advanceTimersByTimeAsync(500);
    });
    await settle();
    expect(FakeSocket.all).toHaveLength(2);
    act(() => last().open());
    act(() => last().frame({ type: "subscribed", group_id: GROUP }));
    expect(result.current.label).toBe("live");
    expect(onSubscribed).toHaveBeenLastCalledWith({ reconnected: true });
  });

  it("backs off further while the server stays away, and counts down", async () => {
    const { result } = renderHook(() => useChatSocket(GROUP, { onFrame: vi.fn() }));
    await settle();
    act(() => last().drop(1006)); // never opened
    await act(async () => {
      await vi.advanceTimersByTimeAsync(500);
    });
    await settle();
    act(() => last().drop(1006));
    await act(async () => {
      await vi.advanceTimersByTimeAsync(0);
    });
    // attempt 1: 1000 ms
    expect(result.current.label).toBe("reconnecting in 1 s");
    await act(async () => {
      await vi.advanceTimersByTimeAsync(999);
    });
    expect(FakeSocket.all).toHaveLength(2);
    await act(async () => {
      await vi.advanceTimersByTimeAsync(1);
    });
    await settle();
    expect(FakeSocket.all).toHaveLength(3);
  });

  it("does not reconnect after a close that means not allowed", async () => {
    const { result } = renderHook(() => useChatSocket(GROUP, { onFrame: vi.fn() }));
    await settle();
    act(() => last().open());
    act(() => last().frame({ type: "subscribed", group_id: GROUP }));
    act(() => last().drop(4003, "removed from the group"));
    expect(result.current.label).toBe("closed: you were removed from this group");
    expect(result.current.state).toMatchObject({ kind: "closed", code: 4003 });
    await act(async () => {
      await vi.advanceTimersByTimeAsync(60_000);
    });
    expect(FakeSocket.all).toHaveLength(1);
    // A manual retry is still possible.
    act(() => result.current.reconnect());
    await settle();
    expect(FakeSocket.all).toHaveLength(2);
  });

  it("retries when the server never says subscribed", async () => {
    renderHook(() => useChatSocket(GROUP, { onFrame: vi.fn() }));
    await settle();
    const socket = last();
    act(() => socket.open());
    await act(async () => {
      await vi.advanceTimersByTimeAsync(10_000);
    });
    expect(socket.closedWith).toBe(4000);
    act(() => socket.drop(4000, "no answer"));
    await act(async () => {
      await vi.advanceTimersByTimeAsync(500);
    });
    await settle();
    expect(FakeSocket.all).toHaveLength(2);
  });

  it("closes on unmount and does not come back", async () => {
    const { unmount } = renderHook(() => useChatSocket(GROUP, { onFrame: vi.fn() }));
    await settle();
    const socket = last();
    act(() => socket.open());
    unmount();
    expect(socket.closedWith).toBe(1000);
    socket.drop(1000);
    await vi.advanceTimersByTimeAsync(60_000);
    expect(FakeSocket.all).toHaveLength(1);
  });

  it("says so when nobody is signed in", async () => {
    session.save(null);
    const { result } = renderHook(() => useChatSocket(GROUP, { onFrame: vi.fn() }));
    await settle();
    expect(FakeSocket.all).toHaveLength(0);
    expect(result.current.label).toMatch(/^closed: /);
  });

  it("stays idle without a group, and a new group is a new socket", async () => {
    const { result, rerender } = renderHook(({ id }: { id: string | null }) => useChatSocket(id, { onFrame: vi.fn() }), {
      initialProps: { id: null as string | null },
    });
    expect(result.current.state.kind).toBe("idle");
    rerender({ id: GROUP });
    await settle();
    const first = last();
    rerender({ id: "other" });
    await settle();
    expect(first.closedWith).toBe(1000);
    expect(last().url).toMatch(/\/subscribe\/other$/);
  });
});
