// The topic form's checks, so that a person sees the problem before anything is sent.
// Patterns, lengths and ranges come from the server's models through the generated
// src/api/limits.ts (`make console-api`); what no model declares (reserved names, the
// plan's partitions) is named here with where it comes from.
import { LIMITS } from "../../api/limits";
import { parseWhole } from "../../lib/validate";

/** The server's TOPIC_NAME_PATTERN. */
export const TOPIC_NAME = new RegExp(LIMITS.TopicCreate.name.pattern);
/** The pattern's `{0,99}` after the first character. */
export const TOPIC_NAME_MAX = Number(/\{0,(\d+)\}\$$/.exec(LIMITS.TopicCreate.name.pattern)?.[1] ?? 99) + 1;
/** Names the built-in apps own (topics/service.py RESERVED_TOPICS). */
export const RESERVED_TOPICS = ["todos", "chat", "logs", "interactions"] as const;
/** The most any plan allows (settings); the tenant's plan may allow fewer (32 by default). */
export const MAX_PARTITIONS = 1024;
export const RETENTION_HOURS_MAX = LIMITS.TopicCreate.retention_hours.maximum;
export const RETENTION_BYTES_MIN = LIMITS.TopicCreate.retention_bytes.minimum;

export const PARTITIONS_MIN = LIMITS.TopicCreate.partitions.minimum;

export const TOPIC_NAME_HINT = `Letters, digits, '.', '_' and '-', starting with a letter or digit; up to ${TOPIC_NAME_MAX} characters.`;

export function checkTopicName(value: string): string | undefined {
  if (!value) return "Enter a topic name.";
  if (value.length > TOPIC_NAME_MAX) return `Use at most ${TOPIC_NAME_MAX} characters.`;
  if (!/^[A-Za-z0-9]/.test(value)) return "Start with a letter or a digit.";
  if (!TOPIC_NAME.test(value)) return "Use letters, digits, '.', '_' and '-' only (no spaces).";
  if ((RESERVED_TOPICS as readonly string[]).includes(value))
    return `'${value}' is reserved for the built-in apps.`;
  return undefined;
}

export interface TopicForm {
  name: string;
  partitions: string;
  retentionHours: string;
  retentionBytes: string;
}

export type TopicFormErrors = Partial<Record<keyof TopicForm, string>>;

export interface TopicCreateBody {
  name: string;
  partitions: number;
  retention_hours?: number;
  retention_bytes?: number;
}

/** The body to POST, or the problems of each field. */
export function topicBody(form: TopicForm): { ok: true; body: TopicCreateBody } | { ok: false; errors: TopicFormErrors } {
  const errors: TopicFormErrors = {};
  const name = form.name.trim();
  errors.name = checkTopicName(name);
  const partitions = parseWhole(form.partitions || "1", { min: PARTITIONS_MIN, max: MAX_PARTITIONS, what: "the partitions" });
  const hours = parseWhole(form.retentionHours, { min: 1, max: RETENTION_HOURS_MAX, what: "the hours" });
  const bytes = parseWhole(form.retentionBytes, { min: RETENTION_BYTES_MIN, what: "the bytes" });
  if (!partitions.ok) errors.partitions = partitions.error;
  if (!hours.ok) errors.retentionHours = hours.error;
  if (!bytes.ok) errors.retentionBytes = bytes.error;
  if (errors.name || !partitions.ok || !hours.ok || !bytes.ok) {
    return { ok: false, errors: Object.fromEntries(Object.entries(errors).filter(([, v]) => v)) };
  }
  const body: TopicCreateBody = { name, partitions: partitions.value ?? 1 };
  if (hours.value !== null) body.retention_hours = hours.value;
  if (bytes.value !== null) body.retention_bytes = bytes.value;
  return { ok: true, body };
}
