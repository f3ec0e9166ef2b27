import { describe, expect, it } from "vitest";

import { checkTopicName, TOPIC_NAME, topicBody } from "./rules";

describe("topic names (the server's TOPIC_NAME_PATTERN and reserved names)", () => {
  it("accepts what the server accepts", () => {
    for (const name of ["events", "orders.v2", "a", "A_b-c.d", "9lives", "x".repeat(100)]) {
      expect(checkTopicName(name), name).toBeUndefined();
      expect(TOPIC_NAME.test(name)).toBe(true);
    }
  });

  it("refuses what the server refuses, saying why", () => {
    expect(checkTopicName("")).toBe("Enter a topic name.");
    expect(checkTopicName("x".repeat(101))).toBe("Use at most 100 characters.");
    expect(checkTopicName("-dash")).toBe("Start with a letter or a digit.");
    expect(checkTopicName(".dot")).toBe("Start with a letter or a digit.");
    expect(checkTopicName("has space")).toMatch(/no spaces/);
    expect(checkTopicName("ünïcode")).toBe("Start with a letter or a digit.");
    expect(checkTopicName("a/b")).toMatch(/only/);
    expect(checkTopicName("todos")).toBe("'todos' is reserved for the built-in apps.");
    expect(checkTopicName("chat")).toMatch(/reserved/);
  });
});

describe("topicBody", () => {
  it("builds the body, leaving out blank optional fields", () => {
    expect(topicBody({ name: " orders ", partitions: "3", retentionHours: "", retentionBytes: "" })).toEqual({
      ok: true,
      body: { name: "orders", partitions: 3 },
    });
    expect(topicBody({ name: "o", partitions: "", retentionHours: "48", retentionBytes: "2048" })).toEqual({
      ok: true,
      body: { name: "o", partitions: 1, retention_hours: 48, retention_bytes: 2048 },
    });
  });

  it("reports every field's problem at once", () => {
    expect(topicBody({ name: "bad name", partitions: "0", retentionHours: "1.5", retentionBytes: "10" })).toEqual({
      ok: false,
      errors: {
        name: "Use letters, digits, '.', '_' and '-' only (no spaces).",
        partitions: "Use at least 1.",
        retentionHours: "Enter the hours as a whole number.",
        retentionBytes: "Use at least 1024.",
      },
    });
  });
});
