import { render, screen, waitFor, within } from "@testing-library/react";
import userEvent from "@testing-library/user-event";
import { MemoryRouter } from "react-router";
import { describe, expect, it, vi } from "vitest";

import { ProjectProvider } from "../../hooks/useProject";
import TopicsPage from "./TopicsPage";
import { envelope, fakeApi } from "../../test/fakeApi";

const topic = (name: string, extra: object = {}) => ({
  id: `id-${name}`,
  project_id: "p2",
  name,
  kind: "user",
  partitions: 1,
  retention_hours: null,
  retention_bytes: null,
  created_at: "2026-11-23T00:00:00Z",
  ...extra,
});

function renderPage() {
  localStorage.setItem("topichub.project", "p2");
  return render(
    <ProjectProvider>
      <MemoryRouter>
        <TopicsPage />
      </MemoryRouter>
    </ProjectProvider>,
  );
}

describe("the topics page", () => {
  it("lists, creates, renames and deletes topics of the current project", async () => {
    let topics = [topic("events"), topic("todos", { kind: "app", retention_hours: 168 })];
    const seen = fakeApi({
      "GET /api/v1/projects": () => ({
        body: [{ id: "p2", tenant_id: "t", name: "Analytics", description: null, is_default: false, created_at: "", updated_at: "" }],
      }),
      "GET /api/v1/topics": () => ({ body: { topics } }),
      "POST /api/v1/topics": ({ body }) => {
        const b = body as { name: string; partitions: number };
        if (topics.some((t) => t.name === b.name)) return { status: 409, body: envelope("CONFLICT", `Topic '${b.name}' already exists`) };
        topics = [...topics, topic(b.name, { partitions: b.partitions })];
        return { status: 201, body: topics.at(-1) };
      },
      "PATCH /api/v1/topics/orders": ({ body }) => {
        topics = topics.map((t) => (t.name === "orders" ? { ...t, name: (body as { name: string }).name } : t));
        return { body: topics.find((t) => t.name === (body as { name: string }).name) };
      },
      "DELETE /api/v1/topics/orders-v2": () => {
        topics = topics.filter((t) => t.name !== "orders-v2");
        return { status: 204 };
      },
    });
    const user = userEvent.setup();
    renderPage();

    const table = await screen.findByRole("table", { name: "Topics" });
    expect(within(table).getByRole("link", { name: "events" })).toHaveAttribute("href", "/topics/events");
    const todos = within(table).getByRole("row", { name: /todos/ });
    expect(todos).toHaveTextContent("built-in app");
    expect(todos).toHaveTextContent("7 days");
    expect(within(todos).queryByRole("button", { name: /Rename/ })).not.toBeInTheDocument();
    expect(await screen.findByText("Analytics")).toBeInTheDocument();
    expect(seen.find((s) => s.path === "/api/v1/topics")?.query.get("project_id")).toBe("p2");

    // Validation mirrors the server: nothing is sent.
    await user.type(screen.getByLabelText("Topic name"), "chat");
    await user.click(screen.getByRole("button", { name: "Create topic" }));
    expect(await screen.findByText("'chat' is reserved for the built-in apps.")).toBeInTheDocument();
    await user.clear(screen.getByLabelText("Topic name"));
    await user.type(screen.getByLabelText("Topic name"), "events");
    await user.click(screen.getByRole("button", { name: "Create topic" }));
    expect(await screen.findByText("Topic 'events' already exists")).toBeInTheDocument();

    await user.clear(screen.getByLabelText("Topic name"));
    await user.type(screen.getByLabelText("Topic name"), "orders");
    await user.clear(screen.getByLabelText("Partitions"));
    await user.type(screen.getByLabelText("Partitions"), "4{Enter}");
    expect(await within(table).findByRole("link", { name: "orders" })).toBeInTheDocument();
    const posts = seen.filter((s) => s.method === "POST");
    expect(posts).toHaveLength(2);
    expect(posts[1]?.body).toEqual({ name: "orders", partitions: 4 });
    expect(posts[1]?.query.get("project_id")).toBe("p2");

    await user.click(screen.getByRole("button", { name: "Rename orders" }));
    const rename = screen.getByLabelText("New name for orders");
    await user.clear(rename);
    await user.type(rename, "bad name{Enter}");
    expect(await screen.findByText(/no spaces/)).toBeInTheDocument();
    await user.clear(rename);
    await user.type(rename, "orders-v2{Enter}");
    expect(await within(table).findByRole("link", { name: "orders-v2" })).toBeInTheDocument();
    expect(seen.find((s) => s.method === "PATCH")?.body).toEqual({ name: "orders-v2" });

    const confirm = vi.spyOn(window, "confirm").mockReturnValueOnce(false).mockReturnValueOnce(true);
    await user.click(screen.getByRole("button", { name: "Delete orders-v2" }));
    expect(seen.some((s) => s.method === "DELETE")).toBe(false);
    await user.click(screen.getByRole("button", { name: "Delete orders-v2" }));
    await waitFor(() => expect(within(table).queryByRole("link", { name: "orders-v2" })).not.toBeInTheDocument());
    expect(confirm).toHaveBeenCalledTimes(2);
  });

  it("shows each topic's statistics", async () => {
    const seen = fakeApi({
      "GET /api/v1/projects": () => ({ body: [] }),
      "GET /api/v1/topics": () => ({
        body: {
          topics: [
            topic("events", { schema_version: 3 }),
            topic("quiet"),
            topic("listed", {
              stats: {
                messages_retained: 7,
                bytes_retained: 70,
                last_message_at: null,
                messages_last_minute: 4,
                bytes_last_minute: 40,
              },
            }),
          ],
        },
      }),
      "GET /api/v1/topics/events/stats": () => ({
        body: {
          topic: "events",
          partitions: [{ partition: 0, earliest_offset: 0, next_offset: 1234, messages: 1234 }],
          messages_retained: 1234,
          bytes_retained: 100,
          last_message_at: "2026-11-23T10:00:00Z",
          messages_last_minute: 2,
          messages_last_hour: 56,
          open_streams: 0,
        },
      }),
      "GET /api/v1/topics/quiet/stats": () => ({ status: 500, body: envelope("INTERNAL", "boom") }),
    });
    renderPage();
    await waitFor(() => expect(screen.getByTestId("messages-events")).toHaveTextContent("1,234"));
    const row = screen.getByTestId("messages-events").closest("tr");
    expect(row).toHaveTextContent("schema v3");
    await waitFor(() => expect(screen.getByTestId("messages-quiet")).toHaveTextContent("?"));
    // Figures the list carries are shown without asking the topic's stats.
    const listed = screen.getByTestId("messages-listed").closest("tr");
    expect(listed).toHaveTextContent("7");
    expect(listed).toHaveTextContent("never");
    expect(seen.some((s) => s.path === "/api/v1/topics/listed/stats")).toBe(false);
  });
});
