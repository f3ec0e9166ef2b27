import { describe, expect, it } from "vitest";

import { browseQuery, cursorFrom, EMPTY_BROWSE, formatRate, throughput, type TopicStats } from "./browse";

const stats = (...next: number[]): TopicStats => ({
  topic: "t",
  partitions: next.map((n, partition) => ({ partition, earliest_offset: 0, next_offset: n, messages: n })),
  messages_retained: 0,
  bytes_retained: 0,
  last_message_at: null,
  messages_last_minute: 0,
  messages_last_hour: 0,
  messages_out_last_minute: 0,
  messages_out_last_hour: 0,
  bytes_last_minute: 0,
  bytes_last_hour: 0,
  bytes_out_last_minute: 0,
  bytes_out_last_hour: 0,
  open_streams: 0,
});

describe("the browse form", () => {
  it("reads newest first by default, oldest first from a point", () => {
    expect(browseQuery(EMPTY_BROWSE, 2)).toEqual({ ok: true, query: { order: "desc", limit: 20 } });
    expect(browseQuery({ ...EMPTY_BROWSE, from: "oldest", key: "k1" }, 2)).toEqual({
      ok: true,
      query: { order: "asc", limit: 20, key: "k1" },
    });
    expect(browseQuery({ ...EMPTY_BROWSE, from: "offset", partition: "1", offset: " 7 " }, 2)).toEqual({
      ok: true,
      query: { order: "asc", limit: 20, partition: 1, offset: 7 },
    });
    const timed = browseQuery({ ...EMPTY_BROWSE, from: "time", time: "2026-11-23T10:00" }, 1);
    expect(timed.ok && timed.query.since).toBe(new Date("2026-11-23T10:00").toISOString());
  });

  it("says what is wrong before sending", () => {
    expect(browseQuery({ ...EMPTY_BROWSE, from: "offset", offset: "x" }, 2)).toEqual({
      ok: false,
      errors: {
        partition: "An offset belongs to one partition: choose it.",
        offset: "Enter an offset: a whole number of 0 or more.",
      },
    });
    expect(browseQuery({ ...EMPTY_BROWSE, partition: "3" }, 2)).toEqual({
      ok: false,
      errors: { partition: "Choose a partition from 0 to 1." },
    });
    expect(browseQuery({ ...EMPTY_BROWSE, from: "time" }, 1)).toEqual({
      ok: false,
      errors: { time: "Choose a date and time to start from." },
    });
    expect(browseQuery({ ...EMPTY_BROWSE, key: "k".repeat(1025) }, 1).ok).toBe(false);
  });
});

describe("stream from here", () => {
  it("starts at the message, and every other partition at its time or its end", () => {
    expect(cursorFrom({ partition: 0, offset: 5 }, 1, {}, {})).toBe("0:5");
    expect(cursorFrom({ partition: 1, offset: 5 }, 3, { 0: 9, 2: undefined }, { 0: 12, 1: 8, 2: 4 })).toBe(
      "0:9,1:5,2:4",
    );
  });
});

describe("throughput", () => {
  it("is messages written per second between two samples", () => {
    expect(throughput({ at: 0, stats: stats(10, 5) }, { at: 5000, stats: stats(20, 10) })).toBe(3);
    expect(throughput({ at: 0, stats: stats(10) }, { at: 5000, stats: stats(2) })).toBeNull();
    expect(throughput({ at: 5000, stats: stats(1) }, { at: 5000, stats: stats(2) })).toBeNull();
    expect(formatRate(0)).toBe("0 messages/s");
    expect(formatRate(0.25)).toBe("0.25 messages/s");
    expect(formatRate(12.4)).toBe("12 messages/s");
  });
});
