import { describe, expect, it } from "vitest";

import { deadLetterTopic, describeReset, leaseText, memberLeaseExpiry, resetBody, type GroupPartition } from "./groups";

const partition = (n: number, member: string | null, lease: string | null): GroupPartition => ({
  partition: n,
  member,
  lease_expires_at: lease,
  committed_offset: 0,
  end_offset: 0,
  lag: 0,
  paused_until: null,
});

describe("a group reset", () => {
  it("sends earliest and latest as they are", () => {
    expect(resetBody({ mode: "earliest", time: "x", cursor: "y" })).toEqual({ ok: true, body: { to: "earliest" } });
    expect(resetBody({ mode: "latest", time: "", cursor: "" })).toEqual({ ok: true, body: { to: "latest" } });
  });

  it("sends a local time as an instant, and refuses a missing or broken one", () => {
    expect(resetBody({ mode: "time", time: "2026-12-04T10:30", cursor: "" })).toEqual({
      ok: true,
      body: { to: "time", time: new Date("2026-12-04T10:30").toISOString() },
    });
    expect(resetBody({ mode: "time", time: "", cursor: "" })).toEqual({
      ok: false,
      error: "Choose a date and time to reset to.",
    });
    expect(resetBody({ mode: "time", time: "yesterday", cursor: "" })).toEqual({
      ok: false,
      error: "Enter a valid date and time.",
    });
  });

  it("sends a trimmed cursor, and refuses an empty or huge one", () => {
    expect(resetBody({ mode: "cursor", time: "", cursor: " 0:4,1:2 " })).toEqual({
      ok: true,
      body: { to: "cursor", cursor: "0:4,1:2" },
    });
    expect(resetBody({ mode: "cursor", time: "", cursor: "  " })).toMatchObject({ ok: false });
    expect(resetBody({ mode: "cursor", time: "", cursor: "0:1,".repeat(2000) })).toEqual({
      ok: false,
      error: "That cursor is too long.",
    });
  });

  it("is described in its confirmation", () => {
    expect(describeReset({ to: "earliest" })).toBe("to the earliest record");
    expect(describeReset({ to: "cursor", cursor: "0:4" })).toBe("to cursor 0:4");
    expect(describeReset({ to: "time", time: "2026-12-04T10:30:00Z" })).toBe(
      "to the first records at or after 4 Dec 2026, 10:30:00 UTC",
    );
  });
});

describe("leases", () => {
  const now = Date.parse("2026-12-04T10:20:00Z");

  it("read as the time and how far off it is", () => {
    expect(leaseText(null, now)).toBe("—");
    expect(leaseText("2026-12-04T10:20:12Z", now)).toBe("10:20:12 UTC (in 12 s)");
    expect(leaseText("2026-12-04T10:19:57Z", now)).toBe("10:19:57 UTC (expired 3 s ago)");
  });

  it("of a member run out with its earliest partition's", () => {
    const partitions = [
      partition(0, "a", "2026-12-04T10:20:30Z"),
      partition(1, "a", "2026-12-04T10:20:10Z"),
      partition(2, "b", "2026-12-04T10:20:01Z"),
      partition(3, null, null),
    ];
    expect(memberLeaseExpiry({ member: "a", partitions: [0, 1], last_seen_at: "" }, partitions)).toBe(
      "2026-12-04T10:20:10Z",
    );
    expect(memberLeaseExpiry({ member: "c", partitions: [], last_seen_at: "" }, partitions)).toBeNull();
  });

  it("dead letters go to the topic's .dlq", () => {
    expect(deadLetterTopic("orders")).toBe("orders.dlq");
  });
});
