// The live viewer's logic: where a stream starts, and how its state reads.
import type { StreamStart, StreamStatus } from "../../hooks/useEventStream";
import { formatDateTime } from "../../lib/time";

export type StartMode = "latest" | "earliest" | "time" | "cursor";

export interface StartForm {
  mode: StartMode;
  /** The value of a datetime-local input: "2026-11-23T21:09" (local time). */
  time: string;
  cursor: string;
}

/** A datetime-local value (the browser's local time) as an ISO-8601 instant. */
export function localToIso(value: string): string | null {
  if (!/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(:\d{2}(\.\d+)?)?$/.test(value)) return null;
  const date = new Date(value); // no zone: read as local time
  return Number.isNaN(date.getTime()) ? null : date.toISOString();
}

/** The starting point the form asks for, or why it cannot be used. */
export function startFrom(form: StartForm): { ok: true; start: StreamStart } | { ok: false; error: string } {
  switch (form.mode) {
    case "latest":
      return { ok: true, start: { from: "latest" } };
    case "earliest":
      return { ok: true, start: { from: "earliest" } };
    case "time": {
      if (!form.time) return { ok: false, error: "Choose a date and time to start from." };
      const since = localToIso(form.time);
      return since ? { ok: true, start: { since } } : { ok: false, error: "Enter a valid date and time." };
    }
    case "cursor": {
      const cursor = form.cursor.trim();
      if (!cursor) return { ok: false, error: "Enter a cursor (the id of an event) to resume after." };
      if (cursor.length > 4096) return { ok: false, error: "That cursor is too long." };
      return { ok: true, start: { cursor } };
    }
  }
}

/** Words for the start of a stream: "the latest message", "a time", …. */
export function describeStart(start: StreamStart): string {
  if ("cursor" in start) return `after cursor ${start.cursor}`;
  if ("since" in start) return `from ${formatDateTime(start.since)}`;
  return start.from === "earliest" ? "from the earliest message" : "from new messages only";
}

export type Tone = "success" | "info" | "warning" | "error";

/** The connection badge: its words and its colour. */
export function statusBadge(status: StreamStatus, retryIn: number | null): { text: string; tone: Tone } {
  switch (status) {
    case "live":
      return { text: "Live", tone: "success" };
    case "connecting":
      return { text: "Connecting…", tone: "info" };
    case "reconnecting":
      return retryIn !== null && retryIn > 0
        ? { text: `Reconnecting in ${retryIn} s`, tone: "warning" }
        : { text: "Reconnecting…", tone: "warning" };
    case "paused":
      return { text: "Paused", tone: "info" };
    case "stopped":
      return { text: "Stopped", tone: "error" };
  }
}

/** A JSON value pretty-printed for display. */
export function pretty(value: unknown): string {
  if (value === undefined) return "undefined";
  return typeof value === "string" ? JSON.stringify(value) : JSON.stringify(value, null, 2);
}
