// Pure helpers for the inline-SVG charts: a "nice" value axis and number formats.

/** Axis ticks from 0 to a round top (1, 2, 2.5 or 5 × 10^k steps) that covers `max`. */
export function niceTicks(max: number, count = 4): number[] {
  if (!Number.isFinite(max) || max <= 0) return [0, 1];
  const rough = max / count;
  const magnitude = 10 ** Math.floor(Math.log10(rough));
  const step = ([1, 2, 2.5, 5, 10].find((m) => m * magnitude >= rough) ?? 10) * magnitude;
  // Integers only: counts and bytes have no fractions.
  const whole = Math.max(1, Math.ceil(step));
  const ticks: number[] = [];
  for (let value = 0; ticks.length <= count + 1; value += whole) {
    ticks.push(value);
    if (value >= max) break;
  }
  return ticks;
}

const compact = new Intl.NumberFormat("en", { notation: "compact", maximumFractionDigits: 1 });
const whole = new Intl.NumberFormat("en");

/** 950, 1.2K, 3.4M — for axis labels. */
export function formatCompact(value: number): string {
  return compact.format(value);
}

/** 12,345 — for exact figures. */
export function formatCount(value: number): string {
  return whole.format(value);
}

const UNITS = ["B", "KiB", "MiB", "GiB", "TiB"];

/** 0 B, 512 B, 1.5 KiB, 100 MiB (binary units, as the quotas are set). */
export function formatBytes(value: number): string {
  let unit = 0;
  let scaled = value;
  while (Math.abs(scaled) >= 1024 && unit < UNITS.length - 1) {
    scaled /= 1024;
    unit += 1;
  }
  const digits = unit === 0 || scaled >= 100 || Number.isInteger(scaled) ? 0 : 1;
  return `${scaled.toFixed(digits)} ${UNITS[unit]}`;
}

/** "Nov 23" for an ISO date (YYYY-MM-DD), read as a UTC day. */
export function formatDay(date: string): string {
  const parsed = new Date(`${date}T00:00:00Z`);
  if (Number.isNaN(parsed.getTime())) return date;
  return parsed.toLocaleDateString("en", { month: "short", day: "numeric", timeZone: "UTC" });
}

/** Show every n-th category label so that labels of `labelWidth` px never overlap. */
export function labelEvery(categories: number, plotWidth: number, labelWidth = 44): number {
  if (categories <= 0 || plotWidth <= 0) return 1;
  return Math.max(1, Math.ceil((categories * labelWidth) / plotWidth));
}
