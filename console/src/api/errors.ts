// Every error the API sends is one envelope: {detail, error: {code, message, details,
// request_id, timestamp}}. ApiError carries it, with a message a person understands.
import type { components } from "./schema";

export type ErrorEnvelope = components["schemas"]["ErrorEnvelope"];

export interface FieldError {
  field: string;
  reason: string;
}

export class ApiError extends Error {
  readonly status: number;
  readonly code: string;
  readonly requestId: string | null;
  readonly fields: FieldError[];
  readonly retryAfter: number | null;

  constructor(
    message: string,
    options: {
      status: number;
      code: string;
      requestId?: string | null;
      fields?: FieldError[];
      retryAfter?: number | null;
    },
  ) {
    super(message);
    this.name = "ApiError";
    this.status = options.status;
    this.code = options.code;
    this.requestId = options.requestId ?? null;
    this.fields = options.fields ?? [];
    this.retryAfter = options.retryAfter ?? null;
  }

  /** The message for one form field, when the server named it. */
  forField(field: string): string | undefined {
    return this.fields.find((f) => f.field === field)?.reason;
  }
}

const FALLBACK: Record<number, string> = {
  400: "The request was not understood.",
  401: "Your session has ended. Please sign in again.",
  403: "You are not allowed to do that.",
  404: "That no longer exists.",
  409: "That conflicts with something that already exists.",
  413: "That is too large.",
  429: "Too many requests. Please wait a moment and try again.",
  500: "Something went wrong on the server. Please try again.",
  502: "The server is unreachable right now. Please try again shortly.",
  503: "The service is temporarily unavailable. Please try again shortly.",
};

function isEnvelope(body: unknown): body is ErrorEnvelope {
  return (
    typeof body === "object" &&
    body !== null &&
    "error" in body &&
    typeof (body as { error: unknown }).error === "object"
  );
}

function parseFields(details: unknown): FieldError[] {
  if (!Array.isArray(details)) return [];
  return details.flatMap((d) =>
    d && typeof d === "object" && "field" in d && "reason" in d
      ? [{ field: String(d.field), reason: String(d.reason) }]
      : [],
  );
}

/** The ApiError for a failed response and its (already parsed) body. */
export function toApiError(response: Response, body: unknown): ApiError {
  const retryHeader = response.headers.get("Retry-After");
  const retryAfter = retryHeader && /^\d+$/.test(retryHeader) ? Number(retryHeader) : null;
  if (isEnvelope(body)) {
    const { error } = body;
    let message = error.message || FALLBACK[response.status] || `Error ${response.status}`;
    if (response.status === 429 && retryAfter !== null) {
      message = `${message.replace(/\.?$/, ".")} Try again in ${retryAfter} s.`;
    }
    return new ApiError(message, {
      status: response.status,
      code: error.code,
      requestId: error.request_id,
      fields: parseFields(error.details),
      retryAfter,
    });
  }
  const generic = FALLBACK[response.status] ?? `The server answered ${response.status}.`;
  return new ApiError(generic, { status: response.status, code: "HTTP_ERROR", retryAfter });
}

/** A message for anything a call can throw: API errors, network failures, bugs. */
export function describe(error: unknown): string {
  if (error instanceof ApiError) return error.message;
  if (error instanceof TypeError) return "Cannot reach the server. Check your connection.";
  if (error instanceof Error) return error.message;
  return "Something went wrong.";
}
