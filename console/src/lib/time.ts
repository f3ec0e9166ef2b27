// One way to show time in the console: UTC, labelled, the same format on every page.
// Quotas, usage days and retention are UTC on the server, so a local time beside a label
// saying UTC (as before) was wrong by the viewer's offset.

const DATE_TIME = new Intl.DateTimeFormat("en-GB", {
  timeZone: "UTC",
  year: "numeric",
  month: "short",
  day: "numeric",
  hour: "2-digit",
  minute: "2-digit",
  second: "2-digit",
  hourCycle: "h23",
});
const DATE = new Intl.DateTimeFormat("en-GB", {
  timeZone: "UTC",
  year: "numeric",
  month: "short",
  day: "numeric",
});
const TIME = new Intl.DateTimeFormat("en-GB", {
  timeZone: "UTC",
  hour: "2-digit",
  minute: "2-digit",
  second: "2-digit",
  hourCycle: "h23",
});

function parse(value: string | number | Date): Date | null {
  const date = value instanceof Date ? value : new Date(value);
  return Number.isNaN(date.getTime()) ? null : date;
}

/** "4 Dec 2026, 20:51:03 UTC"; text that is not a time is shown as it is. */
export function formatDateTime(value: string | number | Date): string {
  const date = parse(value);
  return date ? `${DATE_TIME.format(date)} UTC` : String(value);
}

/** "4 Dec 2026" (the UTC day). */
export function formatDate(value: string | number | Date): string {
  const date = parse(value);
  return date ? DATE.format(date) : String(value);
}

/** "20:51:03 UTC". */
export function formatTime(value: string | number | Date): string {
  const date = parse(value);
  return date ? `${TIME.format(date)} UTC` : String(value);
}
