// A fake API for page tests (a stand-in for the server, which the e2e suite runs for
// real): routes "METHOD /path-regex" to handlers, records every request, can set
// response headers, answer a raw body, and serve a live SSE body.
import { vi } from "vitest";

export interface Seen {
  method: string;
  path: string;
  query: URLSearchParams;
  headers: Headers;
  body: unknown;
}

export interface Answer {
  status?: number;
  body?: unknown;
  headers?: Record<string, string>;
  /** A body sent as is (e.g. JSON with integers beyond 2^53). */
  raw?: string;
  /** A ready Response (e.g. an SSE stream). */
  response?: Response;
  /** Called when the caller aborts the request (e.g. a stream closed by the page). */
  onAbort?: () => void;
}

export type Handler = (seen: Seen) => Answer | Promise<Answer>;

export function envelope(code: string, message: string, details: unknown = null) {
  return { detail: message, error: { code, message, details, request_id: "r1", timestamp: "t" } };
}

export function fakeApi(routes: Record<string, Handler>): Seen[] {
  const seen: Seen[] = [];
  vi.stubGlobal(
    "fetch",
    vi.fn(async (input: Request | string, init?: RequestInit) => {
      // Node's Request refuses jsdom's AbortSignal: keep the signal aside.
      const { signal, ...rest } = init ?? {};
      const request = typeof input === "string" ? new Request(new URL(input, "http://localhost"), rest) : input;
      const url = new URL(request.url);
      const text = request.method === "GET" ? "" : await request.text();
      const entry: Seen = {
        method: request.method,
        path: url.pathname,
        query: url.searchParams,
        headers: request.headers,
        body: text ? JSON.parse(text) : undefined,
      };
      seen.push(entry);
      const handler = Object.entries(routes).find(([key]) => {
        const [method, pattern] = key.split(" ");
        return method === request.method && new RegExp(`^${pattern}$`).test(url.pathname);
      })?.[1];
      if (!handler) {
        return new Response(JSON.stringify(envelope("NOT_FOUND", `no fake for ${request.method} ${url.pathname}`)), {
          status: 404,
          headers: { "Content-Type": "application/json" },
        });
      }
      const answer = await handler(entry);
      if (answer.onAbort) {
        const { onAbort } = answer;
        if (signal?.aborted) onAbort();
        else signal?.addEventListener("abort", onAbort);
      }
      if (answer.response) return answer.response;
      const status = answer.status ?? 200;
      if (status === 204) return new Response(null, { status });
      return new Response(answer.raw ?? JSON.stringify(answer.body ?? null), {
        status,
        headers: { "Content-Type": "application/json", ...answer.headers },
      });
    }),
  );
  return seen;
}

/** A live text/event-stream body the test writes frames into. */
export function sseStream() {
  let controller!: ReadableStreamDefaultController<Uint8Array>;
  const encoder = new TextEncoder();
  const body = new ReadableStream<Uint8Array>({
    start(c) {
      controller = c;
    },
  });
  return {
    response: new Response(body, { status: 200, headers: { "Content-Type": "text/event-stream" } }),
    send(text: string) {
      controller.enqueue(encoder.encode(text));
    },
    event(id: string, data: object) {
      controller.enqueue(encoder.encode(`id: ${id}\ndata: ${JSON.stringify(data)}\n\n`));
    },
    close() {
      try {
        controller.close();
      } catch {
        // already closed or failed
      }
    },
    /** End the stream as a dropped connection does. */
    fail() {
      try {
        controller.error(new DOMException("The operation was aborted.", "AbortError"));
      } catch {
        // already closed or failed
      }
    },
  };
}
