// The dashboard's logic: which meters to show and how, and the rate limit read from the
// response headers of the usage call (seed 003's X-RateLimit-* and the IETF draft's
// RateLimit-Policy / RateLimit, which name every window).
import type { components } from "../../api/schema";
import { formatBytes, formatCount } from "../../components/charts/scale";

export type Meter = components["schemas"]["Meter"];
export type UserUsage = components["schemas"]["UserUsageOut"];
export type DayUsage = components["schemas"]["DayUsageOut"];

export type MeterKey = "messages_in" | "messages_out" | "bytes_in" | "bytes_out";

export const METERS: { key: MeterKey; label: string; format: (n: number) => string }[] = [
  { key: "messages_in", label: "Messages in", format: formatCount },
  { key: "messages_out", label: "Messages out", format: formatCount },
  { key: "bytes_in", label: "Bytes in", format: formatBytes },
  { key: "bytes_out", label: "Bytes out", format: formatBytes },
];

export const HISTORY_DAYS = 14;

export type MeterTone = "ok" | "warning" | "full";

/** How a meter should look: full at 100 %, a warning from the server's 80 % flag. */
export function meterTone(meter: Meter): MeterTone {
  if (meter.limit !== null && meter.used >= meter.limit) return "full";
  if (meter.warning) return "warning";
  return "ok";
}

/** The bar's width in percent (0–100), from the server's percentage or used/limit. */
export function meterFill(meter: Meter): number {
  if (meter.limit === null) return 0;
  const pct = meter.percentage ?? (meter.limit ? (100 * meter.used) / meter.limit : 100);
  return Math.min(100, Math.max(0, pct));
}

/** "0 %", "< 0.1 %", "4.2 %", "85 %". */
export function formatPercent(pct: number): string {
  if (pct <= 0) return "0 %";
  if (pct < 0.1) return "< 0.1 %";
  return `${pct < 10 ? pct.toFixed(1) : Math.round(pct).toString()} %`;
}

/** "1,234 of 10,000 (12 %)" or "1,234 (no limit)". */
export function describeMeter(meter: Meter, format: (n: number) => string): string {
  if (meter.limit === null) return `${format(meter.used)} (no limit)`;
  // From the exact figures: the server rounds its percentage to two decimals.
  const pct = meter.limit > 0 ? (100 * meter.used) / meter.limit : (meter.percentage ?? 100);
  return `${format(meter.used)} of ${format(meter.limit)} (${formatPercent(pct)})`;
}

export interface RateWindow {
  name: string;
  quota: number;
  seconds: number;
  remaining: number | null;
  /** Seconds until quota comes back. */
  resetAfter: number | null;
}

export interface RateLimit {
  limit: number;
  remaining: number;
  /** When the most constraining window resets (X-RateLimit-Reset, epoch seconds). */
  resetAt: Date | null;
  windows: RateWindow[];
}

function int(value: string | null | undefined): number | null {
  if (value == null || !/^\s*\d+\s*$/.test(value)) return null;
  return Number(value);
}

/** `"minute";q=1000;w=60, "hour";q=50000;w=3600` → name → parameters. */
function parseList(header: string | null): Map<string, Record<string, string>> {
  const out = new Map<string, Record<string, string>>();
  if (!header) return out;
  for (const item of header.split(",")) {
    const [rawName, ...params] = item.split(";");
    const name = rawName?.trim().replace(/^"|"$/g, "");
    if (!name) continue;
    const values: Record<string, string> = {};
    for (const param of params) {
      const [key, value] = param.split("=");
      if (key && value !== undefined) values[key.trim()] = value.trim();
    }
    out.set(name, values);
  }
  return out;
}

/** The rate limit a response reports, or null when it carries none. */
export function parseRateLimit(headers: Headers): RateLimit | null {
  const limit = int(headers.get("X-RateLimit-Limit"));
  const remaining = int(headers.get("X-RateLimit-Remaining"));
  if (limit === null || remaining === null) return null;
  const reset = int(headers.get("X-RateLimit-Reset"));
  const policy = parseList(headers.get("RateLimit-Policy"));
  const state = parseList(headers.get("RateLimit"));
  const windows: RateWindow[] = [];
  for (const [name, params] of policy) {
    const quota = int(params.q);
    const seconds = int(params.w);
    if (quota === null || seconds === null) continue;
    const now = state.get(name);
    windows.push({ name, quota, seconds, remaining: int(now?.r), resetAfter: int(now?.t) });
  }
  return { limit, remaining, resetAt: reset === null ? null : new Date(reset * 1000), windows };
}

/** "per minute", "per hour", "per day", or "per 90 s". */
export function windowLabel(window: RateWindow): string {
  const named: Record<number, string> = { 60: "per minute", 3600: "per hour", 86400: "per day" };
  return named[window.seconds] ?? `per ${window.seconds} s`;
}

/** "in 35 s", "in 4 min", "in 2 h". */
export function inDuration(seconds: number): string {
  if (seconds < 90) return `in ${Math.max(0, Math.round(seconds))} s`;
  if (seconds < 90 * 60) return `in ${Math.round(seconds / 60)} min`;
  return `in ${Math.round(seconds / 3600)} h`;
}

/** The chart series of a usage history, oldest day first. */
export function historySeries(days: DayUsage[]) {
  return {
    categories: days.map((d) => d.date),
    messages: {
      in: days.map((d) => d.messages_in),
      out: days.map((d) => d.messages_out),
    },
    bytes: {
      in: days.map((d) => d.bytes_in),
      out: days.map((d) => d.bytes_out),
    },
  };
}
