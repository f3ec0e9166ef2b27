// A fake API for page tests: routes "METHOD /path" to handlers, records every request.
import { vi } from "vitest";

export interface Seen {
  method: string;
  path: string;
  query: URLSearchParams;
  body: unknown;
}

type Handler = (seen: Seen) => { status?: number; body?: unknown; raw?: string };

export function json(status: number, body: unknown): Response {
  return new Response(body === undefined ? null : JSON.stringify(body), {
    status,
    headers: { "Content-Type": "application/json" },
  });
}

export function envelope(code: string, message: string, details: unknown = null) {
  return { detail: message, error: { code, message, details, request_id: "r1", timestamp: "t" } };
}

export function fakeApi(routes: Record<string, Handler>): Seen[] {
  const seen: Seen[] = [];
  vi.stubGlobal(
    "fetch",
    vi.fn(async (input: Request) => {
      const url = new URL(input.url);
      const text = await input.text();
      const entry: Seen = {
        method: input.method,
        path: url.pathname,
        query: url.searchParams,
        body: text ? JSON.parse(text) : undefined,
      };
      seen.push(entry);
      const handler =
        routes[`${input.method} ${url.pathname}`] ??
        Object.entries(routes).find(([key]) => {
          const [method, pattern] = key.split(" ");
          return method === input.method && new RegExp(`^${pattern}$`).test(url.pathname);
        })?.[1];
      if (!handler) return json(404, envelope("NOT_FOUND", `no fake for ${input.method} ${url.pathname}`));
      const answer = handler(entry);
      if (answer.raw !== undefined) {
        return new Response(answer.raw, { status: answer.status ?? 200, headers: { "Content-Type": "application/json" } });
      }
      return answer.status === 204 ? new Response(null, { status: 204 }) : json(answer.status ?? 200, answer.body);
    }),
  );
  return seen;
}
