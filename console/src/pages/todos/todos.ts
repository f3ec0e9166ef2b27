// The todo rules the server applies (src/topichub/todos/schemas.py, through the generated
// src/api/limits.ts), checked before sending.
import { LIMITS } from "../../api/limits";

export const TITLE_MAX = LIMITS.TodoIn.title.maxLength;
export const DESCRIPTION_MAX = LIMITS.TodoIn.description.maxLength;
export const PAGE_SIZE = 20;

export type TodoFilter = "all" | "open" | "done";

/** The `completed` query parameter for a filter (undefined: every todo). */
export function completedParam(filter: TodoFilter): boolean | undefined {
  if (filter === "open") return false;
  if (filter === "done") return true;
  return undefined;
}

// Control characters other than tab and newline (the server refuses them in a title).
const TITLE_CONTROL = /[\x00-\x08\x0b-\x1f]/;

export function checkTitle(value: string): string | undefined {
  const title = value.trim();
  if (!title) return "Enter a title.";
  if (title.length > TITLE_MAX) return `Use at most ${TITLE_MAX} characters (now ${title.length}).`;
  if (TITLE_CONTROL.test(title)) return "Remove the control characters from the title.";
  return undefined;
}

export function checkDescription(value: string): string | undefined {
  if (value.length > DESCRIPTION_MAX) {
    return `Use at most ${DESCRIPTION_MAX} characters (now ${value.length}).`;
  }
  if (value.includes("\x00")) return "Remove the NUL characters from the description.";
  return undefined;
}

/** The body fields of a todo form: a trimmed title, and null for an empty description. */
export function todoFields(title: string, description: string): {
  title: string;
  description: string | null;
} {
  return { title: title.trim(), description: description.trim() ? description : null };
}
