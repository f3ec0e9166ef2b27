import { describe, expect, it } from "vitest";

import { formatBytes, formatCompact, formatDay, labelEvery, niceTicks } from "./scale";

describe("niceTicks", () => {
  it("starts at 0 and ends on a round value that covers the maximum", () => {
    expect(niceTicks(7)).toEqual([0, 2, 4, 6, 8]);
    expect(niceTicks(3)).toEqual([0, 1, 2, 3]);
    expect(niceTicks(10_000)).toEqual([0, 2500, 5000, 7500, 10_000]);
    expect(niceTicks(81)).toEqual([0, 25, 50, 75, 100]);
  });

  it("keeps whole steps for tiny maxima and copes with no data", () => {
    expect(niceTicks(1)).toEqual([0, 1]);
    expect(niceTicks(0)).toEqual([0, 1]);
    expect(niceTicks(Number.NaN)).toEqual([0, 1]);
  });

  it("never draws more than a handful of ticks", () => {
    for (const max of [1, 9, 11, 99, 101, 12_345, 104_857_600, 3_000_000_001]) {
      const ticks = niceTicks(max);
      expect(ticks.length).toBeLessThanOrEqual(6);
      expect(ticks.at(-1)).toBeGreaterThanOrEqual(max);
    }
  });
});

describe("formats", () => {
  it("formats bytes in binary units", () => {
    expect(formatBytes(0)).toBe("0 B");
    expect(formatBytes(81)).toBe("81 B");
    expect(formatBytes(1536)).toBe("1.5 KiB");
    expect(formatBytes(104_857_600)).toBe("100 MiB");
    expect(formatBytes(2 * 1024 ** 3)).toBe("2 GiB");
  });

  it("formats counts compactly and days as UTC dates", () => {
    expect(formatCompact(950)).toBe("950");
    expect(formatCompact(2500)).toBe("2.5K");
    expect(formatDay("2026-11-23")).toBe("Nov 23");
    expect(formatDay("not a date")).toBe("not a date");
  });

  it("thins out category labels that would overlap", () => {
    expect(labelEvery(14, 600)).toBe(2);
    expect(labelEvery(14, 1000)).toBe(1);
    expect(labelEvery(14, 250)).toBe(3);
    expect(labelEvery(0, 250)).toBe(1);
  });
});
