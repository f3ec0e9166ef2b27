// How a topic's settings read.
import type { components } from "../../api/schema";
import { formatBytes } from "../../components/charts/scale";

export type Topic = components["schemas"]["TopicOut"];

/** "7 days", "36 h, 1 MiB", or "server default". */
export function describeRetention(topic: Pick<Topic, "retention_hours" | "retention_bytes">): string {
  const parts: string[] = [];
  const hours = topic.retention_hours;
  if (hours !== null) {
    parts.push(hours % 24 === 0 ? `${hours / 24} day${hours === 24 ? "" : "s"}` : `${hours} h`);
  }
  if (topic.retention_bytes !== null) parts.push(formatBytes(topic.retention_bytes));
  return parts.length ? parts.join(", ") : "server default";
}
