import { describe, expect, it } from "vitest";

import {
  applyFrame,
  canDelete,
  canEdit,
  checkGroupName,
  checkMessage,
  mergeResync,
  MESSAGE_MAX,
  parseFrame,
  upsert,
  type Message,
} from "./messages";

const G = "6f1c1c9e-3a55-4a39-9b1e-0d6a3c7f1a10";

function msg(id: number, text = `m${id}`, edited_at: string | null = null, user_id = "u1"): Message {
  return {
    id,
    group_id: G,
    user_id,
    author: "alice",
    message: text,
    created_at: "2026-01-01T10:00:00Z",
    edited_at,
  };
}

describe("parseFrame", () => {
  it("reads the subscribed frame", () => {
    expect(parseFrame(JSON.stringify({ type: "subscribed", group_id: G }))).toEqual({ kind: "subscribed", groupId: G });
  });

  it("reads created and edited messages as upserts", () => {
    const frame = {
      event: "message_created",
      event_id: "e1",
      group_id: G,
      id: 7,
      message_id: 7,
      user_id: "u1",
      author: "alice",
      message: "hi",
      created_at: "2026-01-01T10:00:00Z",
      edited_at: null,
      occurred_at: "2026-01-01T10:00:00Z",
    };
    expect(parseFrame(JSON.stringify(frame))).toEqual({
      kind: "upsert",
      event: "message_created",
      message: { id: 7, group_id: G, user_id: "u1", author: "alice", message: "hi", created_at: frame.created_at, edited_at: null },
    });
    const edited = parseFrame(JSON.stringify({ ...frame, event: "message_edited", edited_at: "2026-01-01T10:01:00Z" }));
    expect(edited).toMatchObject({ kind: "upsert", event: "message_edited", message: { edited_at: "2026-01-01T10:01:00Z" } });
  });

  it("reads deletions by id or message_id", () => {
    expect(parseFrame(JSON.stringify({ event: "message_deleted", id: 3, deleted_by: "bob" }))).toEqual({ kind: "delete", id: 3 });
    expect(parseFrame(JSON.stringify({ event: "message_deleted", message_id: 4 }))).toEqual({ kind: "delete", id: 4 });
  });

  it("ignores what it does not know", () => {
    expect(parseFrame("not json")).toBeNull();
    expect(parseFrame("[1,2]")).toBeNull();
    expect(parseFrame(JSON.stringify({ event: "member_added", id: 1 }))).toBeNull();
    expect(parseFrame(JSON.stringify({ event: "message_created", id: "x", message: "a", created_at: "t" }))).toBeNull();
    expect(parseFrame(JSON.stringify({ event: "message_created", id: 2 }))).toBeNull();
  });
});

describe("folding messages", () => {
  it("deduplicates by id and keeps ascending order", () => {
    const list = upsert([msg(2), msg(5)], msg(3), msg(5), msg(1));
    expect(list.map((m) => m.id)).toEqual([1, 2, 3, 5]);
  });

  it("keeps the newer version of an edited message", () => {
    const edited = msg(2, "changed", "2026-01-01T10:05:00Z");
    expect(upsert([msg(2)], edited)[0]!.message).toBe("changed");
    // A stale copy (e.g. from a history page fetched before the edit) does not win.
    expect(upsert([edited], msg(2))[0]!.message).toBe("changed");
  });

  it("applies live frames", () => {
    let list = applyFrame([], { kind: "upsert", event: "message_created", message: msg(1) });
    list = applyFrame(list, { kind: "upsert", event: "message_created", message: msg(1) });
    list = applyFrame(list, { kind: "upsert", event: "message_created", message: msg(2) });
    expect(list.map((m) => m.id)).toEqual([1, 2]);
    list = applyFrame(list, { kind: "delete", id: 1 });
    expect(list.map((m) => m.id)).toEqual([2]);
    expect(applyFrame(list, { kind: "delete", id: 99 })).toBe(list);
  });
});

describe("mergeResync", () => {
  it("takes everything when it reached the first message", () => {
    expect(mergeResync([msg(1), msg(2)], { fetched: [msg(3), msg(1)], reachedStart: true })).toEqual({
      messages: [msg(1), msg(3)],
      hasOlder: false,
    });
  });

  it("first load: older pages exist when the page was full", () => {
    expect(mergeResync([], { fetched: [msg(9), msg(8)], reachedStart: false })).toEqual({
      messages: [msg(8), msg(9)],
      hasOlder: true,
    });
  });

  it("is the truth for the range it covers and keeps older loaded messages", () => {
    const current = [msg(1), msg(2), msg(3, "old"), msg(4), msg(5)];
    // While offline: 4 was deleted, 3 edited, 6 and 7 sent.
    const fetched = [msg(7), msg(6), msg(5), msg(3, "new", "2026-01-01T11:00:00Z")];
    const { messages, hasOlder } = mergeResync(current, { fetched, reachedStart: false });
    expect(messages.map((m) => m.id)).toEqual([1, 2, 3, 5, 6, 7]);
    expect(messages.find((m) => m.id === 3)!.message).toBe("new");
    expect(hasOlder).toBeNull();
  });

  it("drops loaded messages when the fetch did not reach back to them (no hidden gap)", () => {
    const { messages, hasOlder } = mergeResync([msg(1), msg(2)], { fetched: [msg(300), msg(251)], reachedStart: false });
    expect(messages.map((m) => m.id)).toEqual([251, 300]);
    expect(hasOlder).toBe(true);
  });
});

describe("checks", () => {
  it("validates a message like the server", () => {
    expect(checkMessage("   ")).toBe("Enter a message.");
    expect(checkMessage("x".repeat(MESSAGE_MAX))).toBeUndefined();
    expect(checkMessage(`  ${"x".repeat(MESSAGE_MAX)}  `)).toBeUndefined();
    expect(checkMessage("x".repeat(MESSAGE_MAX + 1))).toMatch(/4,000 characters/);
    expect(checkMessage("a\u0000b")).toMatch(/NUL/);
    expect(checkMessage("line 1\nline 2")).toBeUndefined();
  });

  it("validates a group name", () => {
    expect(checkGroupName(" ")).toBe("Enter a group name.");
    expect(checkGroupName("x".repeat(101))).toMatch(/100/);
    expect(checkGroupName("a\tb")).toMatch(/control/);
    expect(checkGroupName("Team")).toBeUndefined();
  });

  it("lets only authors edit, and authors, moderators and admins delete", () => {
    const mine = msg(1, "a", null, "me");
    const theirs = msg(2, "b", null, "them");
    expect(canEdit(mine, "me")).toBe(true);
    expect(canEdit(theirs, "me")).toBe(false);
    expect(canEdit(mine, undefined)).toBe(false);
    expect(canDelete(mine, "me", "member")).toBe(true);
    expect(canDelete(theirs, "me", "member")).toBe(false);
    expect(canDelete(theirs, "me", "moderator")).toBe(true);
    expect(canDelete(theirs, "me", "admin")).toBe(true);
  });
});
