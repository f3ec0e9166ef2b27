// The publish form's logic: one message built from the form, checked the way the server
// checks it (topics/schemas.py MessageIn), before anything is sent.
import { parseJson, parseWhole } from "../../lib/validate";
import { LIMITS } from "../../api/limits";

export const KEY_MAX = LIMITS.MessageIn.key.maxLength;
export const HEADER_NAME_MAX = LIMITS.MessageIn.headers.propertyNames.maxLength;
export const HEADER_VALUE_MAX = LIMITS.MessageIn.headers.additionalProperties.maxLength;
export const HEADERS_MAX = LIMITS.MessageIn.headers.maxProperties;

export interface HeaderRow {
  id: number;
  name: string;
  value: string;
}

export interface PublishForm {
  value: string;
  key: string;
  headers: HeaderRow[];
  partition: string;
}

export interface PublishErrors {
  value?: string;
  key?: string;
  partition?: string;
  /** Per header row id. */
  headers?: Record<number, string>;
}

export interface MessageBody {
  value: unknown;
  key?: string;
  headers?: Record<string, string>;
  partition?: number;
}

/** The message to publish, or why not. `partitions` is the topic's partition count. */
export function buildMessage(
  form: PublishForm,
  partitions?: number,
): { ok: true; message: MessageBody } | { ok: false; errors: PublishErrors } {
  const errors: PublishErrors = {};
  const parsed = parseJson(form.value);
  if (!parsed.ok) errors.value = parsed.error;
  if (form.key.length > KEY_MAX) errors.key = `Use at most ${KEY_MAX} characters.`;

  const headerErrors: Record<number, string> = {};
  const headers: Record<string, string> = {};
  const rows = form.headers.filter((row) => row.name !== "" || row.value !== "");
  for (const row of rows) {
    if (!row.name) headerErrors[row.id] = "Enter a header name (or remove the row).";
    else if (row.name.length > HEADER_NAME_MAX) headerErrors[row.id] = `Use at most ${HEADER_NAME_MAX} characters for a name.`;
    else if (row.value.length > HEADER_VALUE_MAX) headerErrors[row.id] = `Use at most ${HEADER_VALUE_MAX} characters for a value.`;
    else if (row.name in headers) headerErrors[row.id] = `'${row.name}' is already set above.`;
    else headers[row.name] = row.value;
  }
  if (rows.length > HEADERS_MAX) {
    const last = rows[rows.length - 1];
    if (last) headerErrors[last.id] = `Use at most ${HEADERS_MAX} headers.`;
  }
  if (Object.keys(headerErrors).length) errors.headers = headerErrors;

  const partition = parseWhole(form.partition, {
    min: 0,
    ...(partitions ? { max: partitions - 1 } : {}),
    what: "the partition",
  });
  if (!partition.ok) {
    errors.partition =
      partitions && /at most/.test(partition.error)
        ? `This topic has ${partitions} partition${partitions === 1 ? "" : "s"}: use 0 to ${partitions - 1}.`
        : partition.error;
  }

  if (!parsed.ok || Object.keys(errors).length) return { ok: false, errors };
  const message: MessageBody = { value: parsed.value };
  if (form.key) message.key = form.key;
  if (Object.keys(headers).length) message.headers = headers;
  if (partition.ok && partition.value !== null) message.partition = partition.value;
  return { ok: true, message };
}
