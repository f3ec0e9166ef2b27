import { describe, expect, it } from "vitest";

import { localToIso } from "./position";
import { describeStart, pretty, startFrom, statusBadge } from "./stream";

describe("startFrom", () => {
  it("maps the form to the hook's starting point", () => {
    expect(startFrom({ mode: "latest", time: "", cursor: "" })).toEqual({ ok: true, start: { from: "latest" } });
    expect(startFrom({ mode: "earliest", time: "", cursor: "x" })).toEqual({ ok: true, start: { from: "earliest" } });
    expect(startFrom({ mode: "cursor", time: "", cursor: " 0:12,1:3 " })).toEqual({
      ok: true,
      start: { cursor: "0:12,1:3" },
    });
    const local = "2026-11-23T10:30";
    expect(startFrom({ mode: "time", time: local, cursor: "" })).toEqual({
      ok: true,
      start: { since: new Date(local).toISOString() },
    });
  });

  it("asks for what is missing", () => {
    expect(startFrom({ mode: "time", time: "", cursor: "" })).toEqual({
      ok: false,
      error: "Choose a date and time to start from.",
    });
    expect(startFrom({ mode: "time", time: "yesterday", cursor: "" })).toEqual({
      ok: false,
      error: "Enter a valid date and time.",
    });
    expect(startFrom({ mode: "cursor", time: "", cursor: "  " })).toMatchObject({ ok: false });
  });

  it("reads datetime-local values as local time", () => {
    expect(localToIso("2026-11-23T10:30:15")).toBe(new Date(2026, 10, 23, 10, 30, 15).toISOString());
    expect(localToIso("2026-11-23")).toBeNull();
  });
});

describe("the connection badge", () => {
  it("names every state", () => {
    expect(statusBadge("live", null)).toEqual({ text: "Live", tone: "success" });
    expect(statusBadge("connecting", null).text).toBe("Connecting…");
    expect(statusBadge("reconnecting", 4)).toEqual({ text: "Reconnecting in 4 s", tone: "warning" });
    expect(statusBadge("reconnecting", null).text).toBe("Reconnecting…");
    expect(statusBadge("paused", null).text).toBe("Paused");
    expect(statusBadge("stopped", null)).toEqual({ text: "Stopped", tone: "error" });
  });
});

it("describes the start and pretty-prints values", () => {
  expect(describeStart({ from: "latest" })).toBe("from new messages only");
  expect(describeStart({ from: "earliest" })).toBe("from the earliest message");
  expect(describeStart({ cursor: "0:3" })).toBe("after cursor 0:3");
  expect(pretty({ a: [1] })).toBe('{\n  "a": [\n    1\n  ]\n}');
  expect(pretty("text")).toBe('"text"');
  expect(pretty(null)).toBe("null");
});

