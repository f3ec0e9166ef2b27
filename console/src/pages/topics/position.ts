// A position in a topic as a form asks for it (earliest, latest, a time, a cursor): the live
// viewer starts there and a consumer group is reset to it. The form's values are read once,
// here; each use words its own messages.

export type PositionMode = "earliest" | "latest" | "time" | "cursor";

export interface PositionForm<M extends PositionMode = PositionMode> {
  mode: M;
  /** The value of a datetime-local input: "2026-11-23T21:09" (local time). */
  time: string;
  cursor: string;
}

export type Position = { from: "earliest" | "latest" } | { since: string } | { cursor: string };

/** What a use says when the form lacks a time or a cursor, and the longest cursor it takes. */
export interface PositionWords {
  noTime: string;
  noCursor: string;
  cursorMax: number;
}

/** A datetime-local value (the browser's local time) as an ISO-8601 instant. */
export function localToIso(value: string): string | null {
  if (!/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(:\d{2}(\.\d+)?)?$/.test(value)) return null;
  const date = new Date(value); // no zone: read as local time
  return Number.isNaN(date.getTime()) ? null : date.toISOString();
}

/** The position the form asks for, or why it cannot be used. */
export function readPosition(
  form: PositionForm,
  words: PositionWords,
): { ok: true; position: Position } | { ok: false; error: string } {
  switch (form.mode) {
    case "earliest":
    case "latest":
      return { ok: true, position: { from: form.mode } };
    case "time": {
      if (!form.time) return { ok: false, error: words.noTime };
      const since = localToIso(form.time);
      return since ? { ok: true, position: { since } } : { ok: false, error: "Enter a valid date and time." };
    }
    case "cursor": {
      const cursor = form.cursor.trim();
      if (!cursor) return { ok: false, error: words.noCursor };
      if (cursor.length > words.cursorMax) return { ok: false, error: "That cursor is too long." };
      return { ok: true, position: { cursor } };
    }
  }
}
