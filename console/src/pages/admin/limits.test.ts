import { describe, expect, it } from "vitest";

import {
  buildLimitsUpdate,
  bytesHint,
  checkLimit,
  checkPlan,
  checkTenantName,
  effectiveValue,
  formatLimit,
  formFromTenant,
  LIMIT_FIELDS,
  LIMIT_MAX,
  QUOTA_FIELDS,
  RATE_FIELDS,
  STREAMS_MAX,
} from "./limits";
import { formatBytes } from "../../components/charts/scale";
import { tenant } from "../../test/fixtures";

const streams = QUOTA_FIELDS.find((f) => f.key === "max_streams_per_user")!;
const perMinute = RATE_FIELDS.find((f) => f.key === "per_minute")!;
const bytes = QUOTA_FIELDS.find((f) => f.key === "bytes_per_day")!;

describe("checkLimit", () => {
  it("accepts blank (plan default), zero and whole numbers up to the bound", () => {
    expect(checkLimit("", LIMIT_MAX)).toBeUndefined();
    expect(checkLimit("   ", LIMIT_MAX)).toBeUndefined();
    expect(checkLimit("0", LIMIT_MAX)).toBeUndefined();
    expect(checkLimit("1,000", LIMIT_MAX)).toBeUndefined();
    expect(checkLimit("1_000_000", LIMIT_MAX)).toBeUndefined();
    expect(checkLimit(String(LIMIT_MAX), LIMIT_MAX)).toBeUndefined();
    expect(checkLimit(String(STREAMS_MAX), STREAMS_MAX)).toBeUndefined();
  });

  it("refuses negatives, fractions, words and numbers over the bound", () => {
    for (const bad of ["-1", "1.5", "1e3", "ten", "0x10", "+5"]) {
      expect(checkLimit(bad, LIMIT_MAX)).toMatch(/whole number/);
    }
    expect(checkLimit(String(LIMIT_MAX + 1), LIMIT_MAX)).toBe("Enter at most 1,000,000,000,000.");
    expect(checkLimit("100001", STREAMS_MAX)).toBe("Enter at most 100,000.");
    expect(checkLimit("99999999999999999999", LIMIT_MAX)).toMatch(/at most/);
  });
});

describe("the limits form", () => {
  it("starts from the tenant's overrides, blank where the plan applies", () => {
    const form = formFromTenant(tenant({ rate_limits: { per_minute: 5 }, quotas: { max_streams_per_user: 4 } }));
    expect(form["rate_limits.per_minute"]).toBe("5");
    expect(form["rate_limits.per_hour"]).toBe("");
    expect(form["quotas.max_streams_per_user"]).toBe("4");
    expect(Object.keys(form)).toHaveLength(LIMIT_FIELDS.length);
  });

  it("reads the limits in force", () => {
    const t = tenant();
    expect(effectiveValue(t, perMinute)).toBe(1000);
    expect(effectiveValue(t, streams)).toBe(2);
    expect(effectiveValue(t, QUOTA_FIELDS.find((f) => f.key === "tenant_bytes_per_day")!)).toBeNull();
  });

  it("sends only the group that changed, whole", () => {
    const t = tenant({ rate_limits: { per_hour: 900 }, quotas: { messages_per_day: 50 } });
    const initial = formFromTenant(t);
    const result = buildLimitsUpdate({ ...initial, "rate_limits.per_minute": " 60 " }, initial);
    expect(result).toEqual({ ok: true, changed: true, body: { rate_limits: { per_minute: 60, per_hour: 900 } } });
  });

  it("sends null for a group cleared back to the plan's defaults", () => {
    const initial = formFromTenant(tenant({ quotas: { messages_per_day: 50 } }));
    const result = buildLimitsUpdate({ ...initial, "quotas.messages_per_day": "" }, initial);
    expect(result).toEqual({ ok: true, changed: true, body: { quotas: null } });
  });

  it("reports no change, and every invalid field", () => {
    const initial = formFromTenant(tenant());
    expect(buildLimitsUpdate(initial, initial)).toEqual({ ok: true, changed: false, body: {} });
    const result = buildLimitsUpdate(
      { ...initial, "rate_limits.per_day": "-3", "quotas.max_streams_per_user": "200000" },
      initial,
    );
    expect(result.ok).toBe(false);
    if (!result.ok) expect(Object.keys(result.errors).sort()).toEqual(["quotas.max_streams_per_user", "rate_limits.per_day"]);
  });

  it("treats 1,000 and 1000 as the same value", () => {
    const initial = formFromTenant(tenant({ rate_limits: { per_minute: 1000 } }));
    expect(buildLimitsUpdate({ ...initial, "rate_limits.per_minute": "1,000" }, initial)).toMatchObject({
      changed: false,
    });
  });
});

describe("formatting and names", () => {
  it("formats limits for people", () => {
    expect(formatLimit(null, "messages")).toBe("unlimited");
    expect(formatLimit(10000, "messages")).toBe("10,000 messages");
    expect(formatLimit(104857600, "bytes")).toBe("100 MiB");
    expect(formatBytes(1536)).toBe("1.5 KiB");
    expect(formatBytes(0)).toBe("0 B");
    expect(bytesHint("1048576")).toBe("= 1 MiB");
    expect(bytesHint("abc")).toBeUndefined();
    expect(bytes.unit).toBe("bytes");
  });

  it("checks tenant names and plans as the server does", () => {
    expect(checkTenantName("  ")).toBe("Enter a name.");
    expect(checkTenantName("x".repeat(201))).toMatch(/200/);
    expect(checkTenantName("Acme Inc.")).toBeUndefined();
    expect(checkPlan("pro-2")).toBeUndefined();
    expect(checkPlan("Pro")).toMatch(/lowercase/);
    expect(checkPlan("")).toMatch(/lowercase/);
  });
});
