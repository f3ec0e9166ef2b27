import { render, screen, within } from "@testing-library/react";
import { describe, expect, it } from "vitest";

import DashboardPage from "./DashboardPage";
import { fakeApi } from "../../test/fakeApi";

const meter = (used: number, limit: number | null) => ({
  used,
  limit,
  remaining: limit === null ? null : limit - used,
  percentage: limit === null ? null : (100 * used) / limit,
  warning: limit !== null && used >= 0.8 * limit,
});

const usage = {
  date: "2026-11-23",
  tenant_id: "t1",
  messages_in: meter(8500, 10_000),
  messages_out: meter(12, 10_000),
  bytes_in: meter(2048, 104_857_600),
  bytes_out: meter(0, 104_857_600),
  warnings: ["85% of today's messages in quota used (8500 of 10000)"],
  api: {
    api_calls: 42,
    errors: 1,
    client_errors: 9,
    streams: 2,
    recommendations_served: 3,
    items_indexed: 7,
    average_latency_ms: 12.5,
  },
};

describe("the dashboard", () => {
  it("shows today's meters, warnings, rate limits, charts and usage per project", async () => {
    const seen = fakeApi({
      "GET /api/v1/usage": () => ({
        body: usage,
        headers: {
          "X-RateLimit-Limit": "1000",
          "X-RateLimit-Remaining": "958",
          "X-RateLimit-Reset": "1795468201",
          "RateLimit-Policy": '"minute";q=1000;w=60, "day";q=1000000;w=86400',
          RateLimit: '"minute";r=958;t=35, "day";r=999000;t=10235',
        },
      }),
      "GET /api/v1/usage/history": () => ({
        body: {
          days: [
            { date: "2026-11-22", messages_in: 100, messages_out: 40, bytes_in: 5000, bytes_out: 2000 },
            { date: "2026-11-23", messages_in: 8500, messages_out: 12, bytes_in: 2048, bytes_out: 0 },
          ],
          limits: { messages_in: 10_000, messages_out: 10_000, bytes_in: 104_857_600, bytes_out: 104_857_600 },
        },
      }),
      "GET /api/v1/usage/projects": () => ({
        body: {
          date: "2026-11-23",
          projects: [
            {
              ...usage,
              project_id: "p1",
              name: "default",
              messages_in: meter(8500, null),
              messages_out: meter(12, null),
              bytes_in: meter(2048, null),
              bytes_out: meter(0, null),
              warnings: [],
            },
          ],
        },
      }),
    });
    render(<DashboardPage />);

    expect(await screen.findByRole("heading", { name: "Dashboard" })).toBeInTheDocument();
    const warning = await screen.findByText(/85% of today's messages in quota used/);
    expect(warning.closest("[role=alert]")).not.toBeNull();

    const messagesIn = screen.getByRole("meter", { name: "Messages in" });
    expect(messagesIn).toHaveAttribute("aria-valuenow", "8500");
    expect(messagesIn).toHaveAttribute("aria-valuemax", "10000");
    expect(messagesIn).toHaveAttribute("aria-valuetext", "8,500 of 10,000 (85 %)");
    expect(screen.getByRole("meter", { name: "Bytes in" })).toHaveAttribute("aria-valuetext", "2 KiB of 100 MiB (< 0.1 %)");

    expect(screen.getByTestId("rate-limit")).toHaveTextContent("958 of 1,000 requests left");
    const windows = screen.getByRole("table", { name: "Rate limit windows" });
    expect(within(windows).getByText("per minute")).toBeInTheDocument();
    expect(within(windows).getByText("999,000")).toBeInTheDocument();
    expect(screen.getByText("API calls").nextSibling).toHaveTextContent("42");
    expect(screen.getByText("Refused (4xx)").nextSibling).toHaveTextContent("9");
    expect(screen.getByText("Server errors (5xx)").nextSibling).toHaveTextContent("1");
    expect(screen.getByText("Streams opened").nextSibling).toHaveTextContent("2");

    expect(await screen.findByRole("img", { name: /Messages per day, in and out/ })).toBeInTheDocument();
    expect(screen.getByRole("img", { name: /Bytes per day, in and out/ })).toBeInTheDocument();
    const data = screen.getByRole("table", { name: "Messages per day, in and out" });
    expect(within(data).getByRole("row", { name: /Nov 23/ })).toHaveTextContent("8,50012");
    expect(seen.find((s) => s.path === "/api/v1/usage/history")?.query.get("days")).toBe("14");

    const perProject = await screen.findByRole("table", { name: "Today's usage per project" });
    expect(within(perProject).getByRole("row", { name: /default/ })).toHaveTextContent("8,500");
  });

  it("explains a failure in words", async () => {
    fakeApi({
      "GET /api/v1/usage": () => ({
        status: 503,
        body: { detail: "x", error: { code: "UNAVAILABLE", message: "The database is down.", details: null, request_id: "r", timestamp: "t" } },
      }),
      "GET /api/v1/usage/history": () => ({ body: { days: [], limits: {} } }),
      "GET /api/v1/usage/projects": () => ({ body: { date: "2026-11-23", projects: [] } }),
    });
    render(<DashboardPage />);
    expect(await screen.findByText("The database is down.")).toBeInTheDocument();
    expect(await screen.findByText("No projects yet.")).toBeInTheDocument();
  });
});
