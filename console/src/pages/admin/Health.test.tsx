import { render, screen, waitFor, within } from "@testing-library/react";
import { describe, expect, it } from "vitest";

import { envelope, fakeApi } from "../../test/fakeApi";
import { describeLog, HealthPage, type Health } from "./Health";

const health = (patch: Partial<Health> = {}): Health => ({
  status: "ok",
  checked_at: "2026-11-23T10:00:00Z",
  version: "1.2.3",
  database: { status: "ok", latency_ms: 1.5, error: null, dialect: "postgresql" },
  log: {
    status: "ok",
    latency_ms: 3,
    error: null,
    engine: "kafka",
    topics: 4,
    partitions: 6,
    brokers: [{ node_id: 1, host: "kafka-1", port: 9092 }],
    cluster_topics: 7,
    cluster_partitions: 60,
  },
  redis: { status: "down", latency_ms: null, error: "Redis does not answer PING" },
  processes: [
    { process_id: "web-1:7", open_streams: 2, this_process: true },
    { process_id: "web-2:9", open_streams: 5, this_process: false },
  ],
  processes_error: null,
  rates: {
    scope: "this process",
    since: "2026-11-23T09:58:00Z",
    minutes: [
      { minute: "2026-11-23T09:59:00Z", requests: 120, messages_in: 40, messages_out: 80 },
      { minute: "2026-11-23T10:00:00Z", requests: 30, messages_in: 10, messages_out: 20 },
    ],
    requests: 150,
    messages_in: 50,
    messages_out: 100,
  },
  ...patch,
});

describe("the admin health page", () => {
  it("shows each component, the processes and the last hour", async () => {
    fakeApi({ "GET /api/v1/admin/health": () => ({ body: health({ status: "degraded" }) }) });
    render(<HealthPage />);
    const database = await screen.findByRole("region", { name: "Database" });
    expect(database).toHaveTextContent("OK");
    expect(database).toHaveTextContent("postgresql");
    const log = screen.getByRole("region", { name: "Log engine" });
    expect(log).toHaveTextContent("Kafka: 1 broker (kafka-1:9092)");
    expect(log).toHaveTextContent("cluster: 7 topics, 60 partitions");
    const redis = screen.getByRole("region", { name: "Redis" });
    expect(redis).toHaveTextContent("Down");
    expect(redis).toHaveTextContent("Redis does not answer PING");
    expect(screen.getByText("Degraded")).toBeInTheDocument();
    const processes = screen.getByRole("table", { name: "Processes" });
    expect(within(processes).getAllByRole("row")).toHaveLength(3);
    expect(within(processes).getByText("this process")).toBeInTheDocument();
    expect(screen.getByTestId("rate-totals")).toHaveTextContent("150 requests · 50 messages in · 100 messages out");
  });

  it("says so when the answer cannot be had", async () => {
    fakeApi({ "GET /api/v1/admin/health": () => ({ status: 403, body: envelope("FORBIDDEN", "Platform admins only") }) });
    render(<HealthPage />);
    await waitFor(() => expect(screen.getByRole("alert")).toHaveTextContent("Platform admins only"));
  });

  it("describes the embedded log", () => {
    expect(describeLog({ ...health().log, engine: "embedded", brokers: null, cluster_topics: null, cluster_partitions: null })).toEqual([
      "embedded log (in the database)",
      "topichub: 4 topics, 6 partitions",
    ]);
  });
});
