// The live viewer's logic: where a stream starts, and how its state reads.
import { PARAMETER_LIMITS } from "../../api/limits";
import type { StreamStart, StreamStatus } from "../../hooks/useEventStream";
import { formatDateTime } from "../../lib/time";
import { readPosition, type PositionForm, type PositionMode } from "./position";

export type StartMode = PositionMode;
export type StartForm = PositionForm;

/** The longest cursor GET …/stream takes (its `cursor` parameter). */
export const STREAM_CURSOR_MAX = PARAMETER_LIMITS["GET /api/v1/topics/{name}/stream"].cursor.maxLength;

/** The starting point the form asks for, or why it cannot be used. */
export function startFrom(form: StartForm): { ok: true; start: StreamStart } | { ok: false; error: string } {
  const read = readPosition(form, {
    noTime: "Choose a date and time to start from.",
    noCursor: "Enter a cursor (the id of an event) to resume after.",
    cursorMax: STREAM_CURSOR_MAX,
  });
  return read.ok ? { ok: true, start: read.position } : read;
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
