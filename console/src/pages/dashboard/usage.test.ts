import { describe, expect, it } from "vitest";

import { formatCount } from "../../components/charts/scale";
import {
  describeMeter,
  formatPercent,
  historySeries,
  inDuration,
  meterFill,
  meterTone,
  parseRateLimit,
  windowLabel,
} from "./usage";

const meter = (used: number, limit: number | null, warning = false) => ({
  used,
  limit,
  remaining: limit === null ? null : Math.max(0, limit - used),
  percentage: limit === null ? null : Math.round((10000 * used) / limit) / 100,
  warning,
});

describe("meters", () => {
  it("reads tone and fill from the server's figures", () => {
    expect(meterTone(meter(10, 100))).toBe("ok");
    expect(meterTone(meter(80, 100, true))).toBe("warning");
    expect(meterTone(meter(100, 100, true))).toBe("full");
    expect(meterTone(meter(5, null))).toBe("ok");
    expect(meterFill(meter(25, 100))).toBe(25);
    expect(meterFill(meter(150, 100, true))).toBe(100);
    expect(meterFill(meter(5, null))).toBe(0);
  });

  it("describes usage against the limit in words", () => {
    expect(describeMeter(meter(3, 10_000), formatCount)).toBe("3 of 10,000 (< 0.1 %)");
    expect(describeMeter(meter(850, 1000, true), formatCount)).toBe("850 of 1,000 (85 %)");
    expect(describeMeter(meter(42, 1000), formatCount)).toBe("42 of 1,000 (4.2 %)");
    expect(describeMeter(meter(0, 1000), formatCount)).toBe("0 of 1,000 (0 %)");
    expect(describeMeter(meter(1234, null), formatCount)).toBe("1,234 (no limit)");
    expect(formatPercent(100)).toBe("100 %");
  });
});

describe("parseRateLimit", () => {
  it("reads X-RateLimit-* and the windows of RateLimit-Policy / RateLimit", () => {
    const headers = new Headers({
      "X-RateLimit-Limit": "1000",
      "X-RateLimit-Remaining": "999",
      "X-RateLimit-Reset": "1795468201",
      "RateLimit-Policy": '"minute";q=1000;w=60, "hour";q=50000;w=3600, "day";q=1000000;w=86400',
      RateLimit: '"minute";r=999;t=35, "hour";r=49999;t=3035, "day";r=999999;t=10235',
    });
    const rate = parseRateLimit(headers);
    expect(rate).toEqual({
      limit: 1000,
      remaining: 999,
      resetAt: new Date(1795468201 * 1000),
      windows: [
        { name: "minute", quota: 1000, seconds: 60, remaining: 999, resetAfter: 35 },
        { name: "hour", quota: 50000, seconds: 3600, remaining: 49999, resetAfter: 3035 },
        { name: "day", quota: 1000000, seconds: 86400, remaining: 999999, resetAfter: 10235 },
      ],
    });
    expect(rate?.windows.map(windowLabel)).toEqual(["per minute", "per hour", "per day"]);
  });

  it("is null without the headers and tolerates a response with only X-RateLimit-*", () => {
    expect(parseRateLimit(new Headers())).toBeNull();
    expect(parseRateLimit(new Headers({ "X-RateLimit-Limit": "ten", "X-RateLimit-Remaining": "1" }))).toBeNull();
    expect(parseRateLimit(new Headers({ "X-RateLimit-Limit": "10", "X-RateLimit-Remaining": "4" }))).toEqual({
      limit: 10,
      remaining: 4,
      resetAt: null,
      windows: [],
    });
  });

  it("says when a window refills", () => {
    expect(inDuration(35)).toBe("in 35 s");
    expect(inDuration(3035)).toBe("in 51 min");
    expect(inDuration(10235)).toBe("in 3 h");
    expect(windowLabel({ name: "x", quota: 1, seconds: 90, remaining: null, resetAfter: null })).toBe("per 90 s");
  });
});

it("turns a history into chart series, oldest first", () => {
  const series = historySeries([
    { date: "2026-11-22", messages_in: 1, messages_out: 2, bytes_in: 30, bytes_out: 40 },
    { date: "2026-11-23", messages_in: 5, messages_out: 6, bytes_in: 70, bytes_out: 80 },
  ]);
  expect(series).toEqual({
    categories: ["2026-11-22", "2026-11-23"],
    messages: { in: [1, 5], out: [2, 6] },
    bytes: { in: [30, 70], out: [40, 80] },
  });
});
