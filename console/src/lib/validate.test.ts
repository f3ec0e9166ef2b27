import { describe, expect, it } from "vitest";

import { parseWhole } from "./validate";

describe("parseWhole", () => {
  it("parses optional whole numbers", () => {
    expect(parseWhole("", { min: 1, what: "x" })).toEqual({ ok: true, value: null });
    expect(parseWhole(" 7 ", { min: 1, max: 9, what: "x" })).toEqual({ ok: true, value: 7 });
    expect(parseWhole("10", { min: 1, max: 9, what: "x" })).toEqual({ ok: false, error: "Use at most 9." });
    expect(parseWhole("-1", { min: 0, what: "the partition" })).toEqual({
      ok: false,
      error: "Enter the partition as a whole number.",
    });
  });
});
