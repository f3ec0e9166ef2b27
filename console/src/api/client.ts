// The typed API client: openapi-fetch over the generated schema, with the session's
// access token on every request and one silent refresh-and-retry on a 401.
import createClient from "openapi-fetch";

import { toApiError } from "./errors";
import type { paths } from "./schema";
import * as session from "./session";

const NO_AUTH = ["/api/v1/auth/login", "/api/v1/auth/signup", "/api/v1/auth/refresh"];

function needsAuth(request: Request): boolean {
  const path = new URL(request.url, window.location.origin).pathname;
  return !NO_AUTH.includes(path);
}

export async function authedFetch(request: Request): Promise<Response> {
  if (!needsAuth(request) || request.headers.has("Authorization")) return fetch(request);
  const retry = request.clone();
  const token = await session.accessToken();
  if (token) request.headers.set("Authorization", `Bearer ${token}`);
  const response = await fetch(request);
  const current = session.load();
  if (response.status !== 401 || !current) return response;
  const renewed = await session.refresh(current);
  if (!renewed) {
    session.save(null);
    return response;
  }
  retry.headers.set("Authorization", `Bearer ${renewed.access}`);
  return fetch(retry);
}

export const api = createClient<paths>({
  baseUrl: typeof window === "undefined" ? "" : window.location.origin,
  fetch: authedFetch,
});

/** The data of a call, or throw its ApiError: `const todos = await unwrap(api.GET(...))`. */
export async function unwrap<T>(
  call: Promise<{ data?: T; error?: unknown; response: Response }>,
): Promise<T> {
  const { data, error, response } = await call;
  if (!response.ok) throw toApiError(response, error);
  return data as T;
}
