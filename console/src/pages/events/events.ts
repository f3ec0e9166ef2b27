// The app topics and event types the services publish (todos, logs, chat, interactions),
// and a one-line summary of an event for the log.
import type { components } from "../../api/schema";

export type AppEvent = components["schemas"]["EventOut"];

export const TOPICS: { topic: string; types: string[] }[] = [
  { topic: "todos", types: ["todo_created", "todo_updated", "todo_deleted"] },
  { topic: "logs", types: ["math_operation"] },
  {
    topic: "chat",
    types: [
      "group_created",
      "member_added",
      "member_removed",
      "message_created",
      "message_edited",
      "message_deleted",
    ],
  },
  { topic: "interactions", types: ["interaction_tracked"] },
];

export const POLL_MS = 3000;
export const PAGE_SIZE = 25;

function text(value: unknown): string {
  if (typeof value === "string") return value;
  if (typeof value === "number" || typeof value === "boolean") return String(value);
  return JSON.stringify(value) ?? "";
}

function quoted(value: unknown, max = 60): string {
  const body = text(value);
  return `“${body.length > max ? `${body.slice(0, max)}…` : body}”`;
}

/** A readable one-line summary of an event's payload (empty when nothing useful). */
export function summarize(event: Pick<AppEvent, "type" | "payload">): string {
  const p = event.payload;
  switch (event.type) {
    case "todo_created":
      return `Todo ${quoted(p.title)} created`;
    case "todo_updated": {
      const changes = Array.isArray(p.changes) ? ` (${p.changes.map(text).join(", ")})` : "";
      return `Todo ${quoted(p.title)} updated${changes}`;
    }
    case "todo_deleted":
      return `Todo ${quoted(p.title)} deleted`;
    case "math_operation":
      return `${text(p.operation)} → ${quoted(p.result, 30)}`;
    case "interaction_tracked":
      return `${text(p.user_id)} ${text(p.interaction_type)} ${text(p.item_id)}`;
    case "member_added":
      return `Member added as ${text(p.role)}`;
    case "member_removed":
      return "Member removed";
    default:
      if ("name" in p) return quoted(p.name);
      if ("message" in p) return quoted(p.message);
      return "";
  }
}

