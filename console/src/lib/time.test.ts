import { describe, expect, it } from "vitest";

import { formatDate, formatDateTime, formatTime } from "./time";

describe("console times", () => {
  const instant = "2026-12-04T23:51:03.250Z";

  it("are UTC and say so, whatever the viewer's zone", () => {
    expect(formatDateTime(instant)).toBe("4 Dec 2026, 23:51:03 UTC");
    expect(formatTime(instant)).toBe("23:51:03 UTC");
    expect(formatDate(instant)).toBe("4 Dec 2026");
    expect(formatDate("2026-12-05T00:30:00+02:00")).toBe("4 Dec 2026");
  });

  it("show text that is not a time as it is", () => {
    expect(formatDateTime("soon")).toBe("soon");
  });
});
