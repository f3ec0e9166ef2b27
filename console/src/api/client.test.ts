import { describe, expect, it, vi } from "vitest";

import { api, unwrap } from "./client";
import { ApiError } from "./errors";
import * as session from "./session";

const user = {
  id: "u1",
  email: "a@example.com",
  username: null,
  is_active: true,
  is_platform_admin: false,
  created_at: "2026-11-23T00:00:00Z",
};

function tokens(access: string, refresh: string) {
  return {
    token: access,
    access_token: access,
    token_type: "bearer",
    refresh_token: refresh,
    expires_in: 900,
    user,
  };
}

function json(status: number, body: unknown, headers: Record<string, string> = {}) {
  return new Response(JSON.stringify(body), {
    status,
    headers: { "Content-Type": "application/json", ...headers },
  });
}

const envelope = (code: string, message: string) => ({
  detail: message,
  error: { code, message, details: null, request_id: "r1", timestamp: "t" },
});

describe("authedFetch", () => {
  it("sends the access token, refreshes once on a 401 and retries", async () => {
    session.save(session.fromTokens(tokens("old-access", "refresh-1")));
    const seen: string[] = [];
    vi.stubGlobal(
      "fetch",
      vi.fn(async (input: Request | string, init?: RequestInit) => {
        const request = input instanceof Request ? input : new Request(new URL(input, "http://x"), init);
        const path = new URL(request.url).pathname;
        seen.push(`${path} ${request.headers.get("Authorization") ?? ""}`);
        if (path === "/api/v1/auth/refresh") return json(200, tokens("new-access", "refresh-2"));
        return request.headers.get("Authorization") === "Bearer new-access"
          ? json(200, [])
          : json(401, envelope("UNAUTHORIZED", "Token expired"));
      }),
    );
    await expect(unwrap(api.GET("/api/v1/todos"))).resolves.toEqual([]);
    expect(seen).toEqual([
      "/api/v1/todos Bearer old-access",
      "/api/v1/auth/refresh ",
      "/api/v1/todos Bearer new-access",
    ]);
    expect(session.load()?.refresh).toBe("refresh-2");
  });

  it("signs out when the refresh token is refused", async () => {
    session.save(session.fromTokens(tokens("old-access", "stolen")));
    vi.stubGlobal(
      "fetch",
      vi.fn(async () => json(401, envelope("UNAUTHORIZED", "Invalid refresh token"))),
    );
    const failure = await unwrap(api.GET("/api/v1/todos")).catch((e: unknown) => e);
    expect(failure).toBeInstanceOf(ApiError);
    expect(session.load()).toBeNull();
  });
});

describe("unwrap", () => {
  it("turns the error envelope into a readable ApiError with field errors and Retry-After", async () => {
    vi.stubGlobal(
      "fetch",
      vi.fn(async () =>
        json(
          429,
          {
            ...envelope("RATE_LIMIT_EXCEEDED", "Rate limit exceeded"),
          },
          { "Retry-After": "7" },
        ),
      ),
    );
    const failure = (await unwrap(api.GET("/api/v1/todos")).catch((e: unknown) => e)) as ApiError;
    expect(failure.status).toBe(429);
    expect(failure.message).toBe("Rate limit exceeded. Try again in 7 s.");
    expect(failure.retryAfter).toBe(7);
  });

  it("maps validation details to fields", async () => {
    const body = envelope("VALIDATION_ERROR", "Password must be at least 8 characters long");
    body.error.details = [{ field: "password", reason: "too short" }] as never;
    vi.stubGlobal("fetch", vi.fn(async () => json(422, body)));
    const failure = (await unwrap(
      api.POST("/api/v1/auth/signup", { body: { email: "a@example.com", password: "x" } }),
    ).catch((e: unknown) => e)) as ApiError;
    expect(failure.forField("password")).toBe("too short");
    expect(failure.message).toBe("Password must be at least 8 characters long");
  });
});
