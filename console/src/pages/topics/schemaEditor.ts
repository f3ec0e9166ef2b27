// The schema editor's logic: reading the two JSON fields and wording a check's answer.
import type { components } from "../../api/schema";

export type SchemaOut = components["schemas"]["SchemaOut"];
export type SchemaCheck = components["schemas"]["SchemaCheckOut"];
export type JsonSchema = SchemaOut["schema"];

export const SCHEMA_TEMPLATE = `{
  "type": "object",
  "properties": {
    "user": { "type": "string", "minLength": 1 }
  },
  "required": ["user"]
}`;

export const SAMPLE_TEMPLATE = '{\n  "user": "ada"\n}';

type Parsed<T> = { ok: true; value: T } | { ok: false; error: string };

function parseJson(text: string, what: string): Parsed<unknown> {
  if (!text.trim()) return { ok: false, error: `Enter ${what}.` };
  try {
    return { ok: true, value: JSON.parse(text) as unknown };
  } catch (caught) {
    return { ok: false, error: `${what[0]?.toUpperCase()}${what.slice(1)} is not valid JSON: ${(caught as Error).message}` };
  }
}

/** A schema is a JSON object or true/false (draft 2020-12). */
export function parseSchema(text: string): Parsed<JsonSchema> {
  const parsed = parseJson(text, "a schema");
  if (!parsed.ok) return parsed;
  const value = parsed.value;
  if (typeof value === "boolean") return { ok: true, value };
  if (value === null || typeof value !== "object" || Array.isArray(value))
    return { ok: false, error: "A schema is a JSON object (or true / false)." };
  return { ok: true, value: value as Record<string, unknown> };
}

export function parseSample(text: string): Parsed<unknown> {
  return parseJson(text, "a sample message");
}

/** "at /user: "" is shorter than 1 character" for each failure. */
export function describeFailures(check: SchemaCheck): string[] {
  return check.failures.map((f) => `at ${f.pointer === "" ? "the value itself" : f.pointer}: ${f.reason}`);
}
