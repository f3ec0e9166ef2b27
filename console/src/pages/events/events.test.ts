import { describe, expect, it } from "vitest";

import { summarize } from "./events";

describe("event summaries", () => {
  it("summarizes the app events", () => {
    expect(summarize({ type: "todo_created", payload: { title: "Buy milk" } })).toBe("Todo “Buy milk” created");
    expect(summarize({ type: "todo_updated", payload: { title: "Buy milk", changes: ["completed"] } })).toBe(
      "Todo “Buy milk” updated (completed)",
    );
    expect(summarize({ type: "math_operation", payload: { operation: "add", result: 5 } })).toBe("add → “5”");
    expect(
      summarize({ type: "interaction_tracked", payload: { user_id: "u1", interaction_type: "like", item_id: "i1" } }),
    ).toBe("u1 like i1");
    expect(summarize({ type: "message_created", payload: { message: "hi" } })).toBe("“hi”");
    expect(summarize({ type: "group_created", payload: { name: "team" } })).toBe("“team”");
    expect(summarize({ type: "something_else", payload: {} })).toBe("");
  });

  it("shortens long values", () => {
    expect(summarize({ type: "todo_deleted", payload: { title: "x".repeat(100) } })).toBe(
      `Todo “${"x".repeat(60)}…” deleted`,
    );
  });
});
