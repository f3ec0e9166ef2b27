import { describe, expect, it } from "vitest";

import { buildMessage } from "./publish";

const form = (patch: Partial<Parameters<typeof buildMessage>[0]> = {}) => ({
  value: '{"a": 1}',
  key: "",
  headers: [],
  partition: "",
  ...patch,
});

describe("buildMessage", () => {
  it("sends only what was filled in", () => {
    expect(buildMessage(form())).toEqual({ ok: true, message: { value: { a: 1 } } });
    expect(
      buildMessage(
        form({
          value: '"just a string"',
          key: "user-1",
          headers: [
            { id: 1, name: "trace", value: "abc" },
            { id: 2, name: "", value: "" },
          ],
          partition: "2",
        }),
        3,
      ),
    ).toEqual({
      ok: true,
      message: { value: "just a string", key: "user-1", headers: { trace: "abc" }, partition: 2 },
    });
  });

  it("accepts any JSON value, including null, false and 0", () => {
    for (const [text, value] of [
      ["null", null],
      ["false", false],
      ["0", 0],
      ["[1, 2]", [1, 2]],
    ] as const) {
      expect(buildMessage(form({ value: text }))).toEqual({ ok: true, message: { value } });
    }
  });

  it("refuses invalid JSON and says why", () => {
    const result = buildMessage(form({ value: '{"a": ' }));
    expect(result.ok).toBe(false);
    if (!result.ok) expect(result.errors.value).toMatch(/^Not valid JSON/);
    const empty = buildMessage(form({ value: "  " }));
    if (!empty.ok) expect(empty.errors.value).toMatch(/Enter a JSON value/);
  });

  it("checks headers, key and partition like the server", () => {
    const result = buildMessage(
      form({
        key: "k".repeat(1025),
        headers: [
          { id: 1, name: "", value: "orphan" },
          { id: 2, name: "x", value: "1" },
          { id: 3, name: "x", value: "2" },
          { id: 4, name: "big", value: "v".repeat(4097) },
        ],
        partition: "3",
      }),
      3,
    );
    expect(result).toEqual({
      ok: false,
      errors: {
        key: "Use at most 1024 characters.",
        headers: {
          1: "Enter a header name (or remove the row).",
          3: "'x' is already set above.",
          4: "Use at most 4096 characters for a value.",
        },
        partition: "This topic has 3 partitions: use 0 to 2.",
      },
    });
    expect(buildMessage(form({ partition: "-1" }))).toEqual({
      ok: false,
      errors: { partition: "Enter the partition as a whole number." },
    });
  });
});
