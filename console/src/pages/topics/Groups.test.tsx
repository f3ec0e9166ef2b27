import { render, screen, waitFor, within } from "@testing-library/react";
import userEvent from "@testing-library/user-event";
import { MemoryRouter, Route, Routes } from "react-router";
import { describe, expect, it, vi } from "vitest";

import { envelope, fakeApi } from "../../test/fakeApi";
import { ProjectProvider } from "../../hooks/useProject";
import TopicPage from "./TopicPage";
import { ConsumerGroups } from "./Groups";
import type { Group } from "./groups";

const soon = (seconds: number) => new Date(Date.now() + seconds * 1000).toISOString();

function billing(lag = 3): Group {
  return {
    name: "billing",
    topic: "orders",
    created_at: "2026-12-04T10:00:00Z",
    lag,
    lease_s: 30,
    max_attempts: 5,
    retry_delay_ms: 1000,
    members: [{ member: "worker-1", partitions: [0], last_seen_at: "2026-12-04T10:20:00Z" }],
    partitions: [
      {
        partition: 0,
        member: "worker-1",
        lease_expires_at: soon(25),
        committed_offset: 40,
        end_offset: 42,
        lag: lag - 1,
        paused_until: null,
      },
      {
        partition: 1,
        member: null,
        lease_expires_at: null,
        committed_offset: 16,
        end_offset: 17,
        lag: 1,
        paused_until: null,
      },
    ],
  };
}

function renderCard(pollMs = 60_000, projectId: string | null = "p1") {
  return render(
    <MemoryRouter>
      <ConsumerGroups topic="orders" projectId={projectId} pollMs={pollMs} />
    </MemoryRouter>,
  );
}

describe("the consumer groups card", () => {
  it("lists groups with lag, partitions and members, and says there are no dead letters", async () => {
    const seen = fakeApi({
      "GET /api/v1/topics/orders/groups": () => ({ body: { groups: [billing()] } }),
      "GET /api/v1/topics/orders.dlq": () => ({ status: 404, body: envelope("NOT_FOUND", "Topic not found") }),
    });
    renderCard();
    const group = await screen.findByRole("region", { name: "Consumer group billing" });
    expect(screen.getByRole("heading", { name: "Consumer groups (1)" })).toBeInTheDocument();
    expect(within(group).getByText("lag 3")).toBeInTheDocument();
    const rows = within(group).getAllByTestId("group-partition");
    expect(rows).toHaveLength(2);
    const cells = (row: HTMLElement | undefined) =>
      within(row as HTMLElement).getAllByRole("cell").map((cell) => cell.textContent);
    expect(cells(rows[0]).slice(0, 5)).toEqual(["0", "worker-1", "40", "42", "2"]);
    expect(cells(rows[0])[5]).toMatch(/^\d\d:\d\d:\d\d UTC \(in 2\d s\)$/);
    expect(cells(rows[1])).toEqual(["1", "—", "16", "17", "1", "—"]);
    const member = within(group).getByTestId("group-member");
    expect(member).toHaveTextContent("worker-1");
    expect(member).toHaveTextContent("4 Dec 2026, 10:20:00 UTC");
    expect(member).toHaveTextContent(/\(in 2\d s\)/);
    await waitFor(() => expect(screen.getByTestId("dead-letters")).toHaveTextContent("would go to orders.dlq"));
    expect(seen.find((s) => s.path.endsWith("/groups"))?.query.get("project_id")).toBe("p1");
    expect(seen.find((s) => s.path.endsWith(".dlq"))?.query.get("project_id")).toBe("p1");
  });

  it("links to the dead-letter topic when it exists", async () => {
    fakeApi({
      "GET /api/v1/topics/orders/groups": () => ({ body: { groups: [] } }),
      "GET /api/v1/topics/orders.dlq": () => ({ body: { name: "orders.dlq" } }),
    });
    renderCard(60_000, null);
    expect(await screen.findByText(/No consumer groups yet/)).toBeInTheDocument();
    const link = await screen.findByRole("link", { name: "the dead-letter topic orders.dlq" });
    expect(link).toHaveAttribute("href", "/topics/orders.dlq");
  });

  it("refreshes every few seconds", async () => {
    let lag = 3;
    const seen = fakeApi({
      "GET /api/v1/topics/orders/groups": () => ({ body: { groups: [billing(lag++)] } }),
      "GET /api/v1/topics/orders.dlq": () => ({ status: 404, body: envelope("NOT_FOUND", "Topic not found") }),
    });
    renderCard(50);
    expect(await screen.findByText("lag 3")).toBeInTheDocument();
    expect(await screen.findByText("lag 5")).toBeInTheDocument();
    expect(seen.filter((s) => s.path.endsWith("/groups")).length).toBeGreaterThanOrEqual(3);
  });

  it("resets to earliest, a time and a cursor after confirmation, checking the form first", async () => {
    const seen = fakeApi({
      "GET /api/v1/topics/orders/groups": () => ({ body: { groups: [billing()] } }),
      "GET /api/v1/topics/orders.dlq": () => ({ status: 404, body: envelope("NOT_FOUND", "Topic not found") }),
      "POST /api/v1/topics/orders/groups/billing/reset": () => ({ body: billing(0) }),
    });
    const confirm = vi.spyOn(window, "confirm").mockReturnValueOnce(false).mockReturnValue(true);
    const user = userEvent.setup();
    renderCard();
    const group = await screen.findByRole("region", { name: "Consumer group billing" });
    const resets = () => seen.filter((s) => s.path.endsWith("/reset"));

    await user.click(within(group).getByRole("button", { name: "Reset" }));
    expect(confirm).toHaveBeenCalledTimes(1);
    expect(confirm.mock.calls[0]?.[0]).toMatch(/Reset the group 'billing' to the earliest record/);
    expect(resets()).toHaveLength(0);

    await user.click(within(group).getByRole("button", { name: "Reset" }));
    await waitFor(() => expect(resets()).toHaveLength(1));
    expect(resets()[0]?.body).toEqual({ to: "earliest" });
    expect(resets()[0]?.query.get("project_id")).toBe("p1");
    expect(await within(group).findByText("Reset to the earliest record.")).toBeInTheDocument();

    await user.selectOptions(within(group).getByLabelText("Reset to"), "time");
    await user.click(within(group).getByRole("button", { name: "Reset" }));
    expect(await within(group).findByText("Choose a date and time to reset to.")).toBeInTheDocument();
    expect(resets()).toHaveLength(1);
    await user.type(within(group).getByLabelText("Reset time"), "2026-12-04T10:30");
    await user.click(within(group).getByRole("button", { name: "Reset" }));
    await waitFor(() => expect(resets()).toHaveLength(2));
    expect(resets()[1]?.body).toEqual({ to: "time", time: new Date("2026-12-04T10:30").toISOString() });

    await user.selectOptions(within(group).getByLabelText("Reset to"), "cursor");
    await user.click(within(group).getByRole("button", { name: "Reset" }));
    expect(await within(group).findByText("Enter a cursor, e.g. 0:42,1:17.")).toBeInTheDocument();
    await user.type(within(group).getByLabelText("Reset cursor"), "0:41,1:16{Enter}");
    await waitFor(() => expect(resets()).toHaveLength(3));
    expect(resets()[2]?.body).toEqual({ to: "cursor", cursor: "0:41,1:16" });
    confirm.mockRestore();
  });

  it("shows the server's refusal of a reset", async () => {
    fakeApi({
      "GET /api/v1/topics/orders/groups": () => ({ body: { groups: [billing()] } }),
      "GET /api/v1/topics/orders.dlq": () => ({ status: 404, body: envelope("NOT_FOUND", "Topic not found") }),
      "POST /api/v1/topics/orders/groups/billing/reset": () => ({
        status: 422,
        body: envelope("VALIDATION_ERROR", "The cursor names partition 7, which the topic lacks"),
      }),
    });
    const confirm = vi.spyOn(window, "confirm").mockReturnValue(true);
    const user = userEvent.setup();
    renderCard();
    const group = await screen.findByRole("region", { name: "Consumer group billing" });
    await user.selectOptions(within(group).getByLabelText("Reset to"), "cursor");
    await user.type(within(group).getByLabelText("Reset cursor"), "7:1{Enter}");
    expect(await within(group).findByText("The cursor names partition 7, which the topic lacks")).toBeInTheDocument();
    confirm.mockRestore();
  });

  it("deletes a group after confirmation and lists the groups again", async () => {
    let groups = [billing()];
    const seen = fakeApi({
      "GET /api/v1/topics/orders/groups": () => ({ body: { groups } }),
      "GET /api/v1/topics/orders.dlq": () => ({ status: 404, body: envelope("NOT_FOUND", "Topic not found") }),
      "DELETE /api/v1/topics/orders/groups/billing": () => {
        groups = [];
        return { status: 204 };
      },
    });
    const confirm = vi.spyOn(window, "confirm").mockReturnValueOnce(false).mockReturnValueOnce(true);
    const user = userEvent.setup();
    renderCard();
    const group = await screen.findByRole("region", { name: "Consumer group billing" });
    await user.click(within(group).getByRole("button", { name: "Delete group" }));
    expect(seen.some((s) => s.method === "DELETE")).toBe(false);
    await user.click(within(group).getByRole("button", { name: "Delete group" }));
    expect(confirm).toHaveBeenCalledTimes(2);
    expect(await screen.findByText(/No consumer groups yet/)).toBeInTheDocument();
    expect(screen.queryByRole("region", { name: "Consumer group billing" })).not.toBeInTheDocument();
    confirm.mockRestore();
  });

  it("shows why the groups cannot be listed", async () => {
    fakeApi({
      "GET /api/v1/topics/orders/groups": () => ({ status: 404, body: envelope("NOT_FOUND", "Topic 'orders' not found") }),
    });
    renderCard();
    expect(await screen.findByText("Topic 'orders' not found")).toBeInTheDocument();
  });

  it("is part of the topic's page", async () => {
    fakeApi({
      "GET /api/v1/topics/orders": () => ({
        body: {
          id: "t1",
          project_id: "p1",
          name: "orders",
          kind: "user",
          partitions: 2,
          retention_hours: null,
          retention_bytes: null,
          created_at: "2026-12-04T00:00:00Z",
        },
      }),
      "GET /api/v1/topics/orders/groups": () => ({ body: { groups: [billing()] } }),
      "GET /api/v1/topics/orders.dlq": () => ({ body: { name: "orders.dlq" } }),
    });
    render(
      <ProjectProvider>
        <MemoryRouter initialEntries={["/topics/orders"]}>
          <Routes>
            <Route path="/topics/:name" element={<TopicPage />} />
          </Routes>
        </MemoryRouter>
      </ProjectProvider>,
    );
    expect(await screen.findByRole("region", { name: "Consumer group billing" })).toBeInTheDocument();
    expect(await screen.findByRole("link", { name: "the dead-letter topic orders.dlq" })).toBeInTheDocument();
  });
});
