// A tenant's limits as an edit form: which fields PATCH /api/admin/tenants/{id} accepts
// (TenantUpdate: rate_limits and quotas, see src/topichub/tenancy/admin.py), the checks
// the server makes (non-negative integers, 10^12 at most; 100,000 streams at most), and
// the body to send. A blank field means "the plan's default" (no override).
import { LIMITS } from "../../api/limits";
import type { components } from "../../api/schema";
import { formatBytes, formatCount } from "../../components/charts/scale";

export type Tenant = components["schemas"]["TenantOut"];
export type TenantUpdate = components["schemas"]["TenantUpdate"];
type RateLimitsIn = components["schemas"]["RateLimitsIn"];
type QuotasIn = components["schemas"]["QuotasIn"];

/** The server's bound for every rate limit and quota (`Limit` in tenancy/admin.py). */
export const LIMIT_MAX = LIMITS.RateLimitsIn.per_minute.maximum;
/** The server's bound for `max_streams_per_user`. */
export const STREAMS_MAX = LIMITS.QuotasIn.max_streams_per_user.maximum;
const TENANT_NAME_MAX = LIMITS.TenantUpdate.name.maxLength;
const PLAN = new RegExp(LIMITS.TenantUpdate.plan.pattern);

export type Group = "rate_limits" | "quotas";
export type Unit = "requests" | "messages" | "bytes" | "streams";

export interface LimitField {
  group: Group;
  key: keyof RateLimitsIn | keyof QuotasIn;
  label: string;
  unit: Unit;
  max: number;
}

export const RATE_FIELDS: LimitField[] = [
  { group: "rate_limits", key: "per_minute", label: "Requests per minute", unit: "requests", max: LIMIT_MAX },
  { group: "rate_limits", key: "per_hour", label: "Requests per hour", unit: "requests", max: LIMIT_MAX },
  { group: "rate_limits", key: "per_day", label: "Requests per day", unit: "requests", max: LIMIT_MAX },
];

export const QUOTA_FIELDS: LimitField[] = [
  { group: "quotas", key: "messages_per_day", label: "Messages per user per day", unit: "messages", max: LIMIT_MAX },
  { group: "quotas", key: "bytes_per_day", label: "Bytes per user per day", unit: "bytes", max: LIMIT_MAX },
  {
    group: "quotas",
    key: "project_messages_per_day",
    label: "Messages per project per day",
    unit: "messages",
    max: LIMIT_MAX,
  },
  { group: "quotas", key: "project_bytes_per_day", label: "Bytes per project per day", unit: "bytes", max: LIMIT_MAX },
  {
    group: "quotas",
    key: "tenant_messages_per_day",
    label: "Messages per tenant per day",
    unit: "messages",
    max: LIMIT_MAX,
  },
  { group: "quotas", key: "tenant_bytes_per_day", label: "Bytes per tenant per day", unit: "bytes", max: LIMIT_MAX },
  { group: "quotas", key: "max_streams_per_user", label: "Open streams per user", unit: "streams", max: STREAMS_MAX },
];

export const LIMIT_FIELDS: LimitField[] = [...RATE_FIELDS, ...QUOTA_FIELDS];

/** Form values: one text per field, keyed "group.key". */
export type LimitsForm = Record<string, string>;

export function fieldId(field: LimitField): string {
  return `${field.group}.${field.key}`;
}

function override(tenant: Tenant, field: LimitField): unknown {
  return tenant[field.group]?.[field.key];
}

/** The form for a tenant: its overrides, blank where the plan's default applies. */
export function formFromTenant(tenant: Tenant): LimitsForm {
  const form: LimitsForm = {};
  for (const field of LIMIT_FIELDS) {
    const value = override(tenant, field);
    form[fieldId(field)] = typeof value === "number" ? String(value) : "";
  }
  return form;
}

/** The limit in force now (override or plan default); null = unlimited. */
export function effectiveValue(tenant: Tenant, field: LimitField): number | null {
  if (field.key === "max_streams_per_user") return tenant.effective.max_streams_per_user;
  const values = field.group === "rate_limits" ? tenant.effective.rate_limits : tenant.effective.quotas;
  return values[field.key] ?? null;
}

/** Why a limit's text is not acceptable, or undefined when it is (blank = default). */
export function checkLimit(text: string, max: number): string | undefined {
  const value = text.trim().replace(/[_,\s]/g, "");
  if (!value) return undefined;
  if (!/^\d+$/.test(value)) return "Enter a whole number of 0 or more (or leave blank for the plan's default).";
  const number = Number(value);
  if (!Number.isSafeInteger(number) || number > max) return `Enter at most ${formatCount(max)}.`;
  return undefined;
}

function parse(text: string): number | undefined {
  const value = text.trim().replace(/[_,\s]/g, "");
  return value ? Number(value) : undefined;
}

function groupBody(form: LimitsForm, group: Group): Record<string, number> | null {
  const body: Record<string, number> = {};
  for (const field of LIMIT_FIELDS.filter((f) => f.group === group)) {
    const value = parse(form[fieldId(field)] ?? "");
    if (value !== undefined) body[field.key] = value;
  }
  return Object.keys(body).length ? body : null;
}

function sameGroup(a: LimitsForm, b: LimitsForm, group: Group): boolean {
  return JSON.stringify(groupBody(a, group)) === JSON.stringify(groupBody(b, group));
}

export type LimitsResult =
  | { ok: true; body: TenantUpdate; changed: boolean }
  | { ok: false; errors: Record<string, string> };

/**
 * The PATCH body for an edited form, or the reasons it cannot be sent. A group that
 * changed is sent whole (the server replaces a group's overrides); a group left alone is
 * not sent; a group with every field blank is sent as null (back to the plan's defaults).
 */
export function buildLimitsUpdate(form: LimitsForm, initial: LimitsForm): LimitsResult {
  const errors: Record<string, string> = {};
  for (const field of LIMIT_FIELDS) {
    const error = checkLimit(form[fieldId(field)] ?? "", field.max);
    if (error) errors[fieldId(field)] = error;
  }
  if (Object.keys(errors).length) return { ok: false, errors };
  const body: TenantUpdate = {};
  if (!sameGroup(form, initial, "rate_limits")) body.rate_limits = groupBody(form, "rate_limits") as RateLimitsIn | null;
  if (!sameGroup(form, initial, "quotas")) body.quotas = groupBody(form, "quotas") as QuotasIn | null;
  return { ok: true, body, changed: Object.keys(body).length > 0 };
}

/** A limit for people: "unlimited", "1,000 requests", "100 MiB". */
export function formatLimit(value: number | null | undefined, unit: Unit): string {
  if (value === null || value === undefined) return "unlimited";
  if (unit === "bytes") return formatBytes(value);
  return `${formatCount(value)} ${unit}`;
}

/** What a bytes field's text means, as a hint ("= 100 MiB"), when it is a valid number. */
export function bytesHint(text: string): string | undefined {
  const value = parse(text);
  if (value === undefined || checkLimit(text, LIMIT_MAX)) return undefined;
  return `= ${formatBytes(value)}`;
}

/** Tenant name and plan, checked as the server does. */
export function checkTenantName(name: string): string | undefined {
  const value = name.trim();
  if (!value) return "Enter a name.";
  if (value.length > TENANT_NAME_MAX) return `Use at most ${TENANT_NAME_MAX} characters.`;
  return undefined;
}

export function checkPlan(plan: string): string | undefined {
  if (!PLAN.test(plan)) return "Use 1 to 32 lowercase letters, digits, '_' or '-'.";
  return undefined;
}
