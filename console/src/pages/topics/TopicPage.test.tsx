import { act, render, screen, waitFor, within } from "@testing-library/react";
import userEvent from "@testing-library/user-event";
import { MemoryRouter, Route, Routes } from "react-router";
import { describe, expect, it, vi } from "vitest";

import { ProjectProvider } from "../../hooks/useProject";
import TopicPage from "./TopicPage";
import { envelope, fakeApi, sseStream, type Seen } from "../../test/fakeApi";

const topic = {
  id: "t1",
  project_id: "p1",
  name: "events",
  kind: "user",
  partitions: 2,
  retention_hours: null,
  retention_bytes: null,
  created_at: "2026-11-23T00:00:00Z",
};

function renderPage(projectId?: string) {
  if (projectId) localStorage.setItem("topichub.project", projectId);
  return render(
    <ProjectProvider>
      <MemoryRouter initialEntries={["/topics/events"]}>
        <Routes>
          <Route path="/topics/:name" element={<TopicPage />} />
        </Routes>
      </MemoryRouter>
    </ProjectProvider>,
  );
}

const event = (offset: number, value: unknown, key: string | null = null) => ({
  value,
  key,
  headers: key ? { source: "test" } : {},
  partition: 0,
  offset,
  timestamp: "2026-11-23T10:00:00Z",
});

/** Every stream the page opens, in order. */
function streams() {
  const opened: { seen: Seen; stream: ReturnType<typeof sseStream>; aborted: boolean }[] = [];
  const handler = (seen: Seen) => {
    const stream = sseStream();
    const entry = { seen, stream, aborted: false };
    opened.push(entry);
    stream.send(": connected\n\n");
    return {
      response: stream.response,
      onAbort: () => {
        entry.aborted = true;
        stream.fail();
      },
    };
  };
  return { opened, handler };
}

const status = () => screen.getByTestId("stream-status");

describe("the topic page", () => {
  it("streams live, newest first, and pauses and resumes from the cursor", async () => {
    const live = streams();
    fakeApi({
      "GET /api/v1/topics/events": () => ({ body: topic }),
      "GET /api/v1/topics/events/stream": live.handler,
    });
    const user = userEvent.setup();
    renderPage("p1");

    await waitFor(() => expect(status()).toHaveTextContent("Live"));
    expect(live.opened).toHaveLength(1);
    expect(live.opened[0]?.seen.query.get("from")).toBe("latest");
    expect(live.opened[0]?.seen.query.get("project_id")).toBe("p1");

    act(() => {
      live.opened[0]?.stream.event("0:1", event(0, { first: true }));
      live.opened[0]?.stream.event("0:2", event(1, { second: true }, "k1"));
    });
    const list = await screen.findByRole("list", { name: "Messages" });
    await waitFor(() => expect(within(list).getAllByTestId("stream-event")).toHaveLength(2));
    const [newest, oldest] = within(list).getAllByTestId("stream-event");
    expect(newest).toHaveTextContent('offset 1partition 0key k1');
    expect(newest).toHaveTextContent('"second": true');
    expect(newest).toHaveTextContent("source: test");
    expect(oldest).toHaveTextContent("key none");
    expect(screen.getByTestId("last-cursor")).toHaveTextContent("0:2");

    await user.click(screen.getByRole("button", { name: "Pause" }));
    expect(status()).toHaveTextContent("Paused");
    expect(live.opened[0]?.aborted).toBe(true);

    await user.click(screen.getByRole("button", { name: "Resume" }));
    await waitFor(() => expect(status()).toHaveTextContent("Live"));
    expect(live.opened).toHaveLength(2);
    expect(live.opened[1]?.seen.query.get("cursor")).toBe("0:2");
    act(() => live.opened[1]?.stream.event("0:3", event(2, { while: "paused" })));
    await waitFor(() => expect(screen.getAllByTestId("stream-event")).toHaveLength(3));
    expect(screen.getAllByTestId("stream-event")[0]).toHaveTextContent('"while": "paused"');

    await user.click(screen.getByRole("button", { name: "Clear" }));
    expect(screen.queryAllByTestId("stream-event")).toHaveLength(0);
    expect(screen.getByText(/Waiting for messages/)).toBeInTheDocument();
  });

  it("paused before any message, resumes from the moment of the pause", async () => {
    const live = streams();
    fakeApi({
      "GET /api/v1/topics/events": () => ({ body: topic }),
      "GET /api/v1/topics/events/stream": live.handler,
    });
    const user = userEvent.setup();
    renderPage();
    await waitFor(() => expect(status()).toHaveTextContent("Live"));
    const before = Date.now();
    await user.click(screen.getByRole("button", { name: "Pause" }));
    expect(status()).toHaveTextContent("Paused");
    await user.click(screen.getByRole("button", { name: "Resume" }));
    await waitFor(() => expect(live.opened).toHaveLength(2));
    const since = live.opened[1]?.seen.query.get("since");
    expect(since).toBeTruthy();
    expect(Math.abs(new Date(since ?? "").getTime() - (before - 1000))).toBeLessThan(1000);
    expect(live.opened[1]?.seen.query.has("from")).toBe(false);
  });

  it("restarts from the earliest message, a time or a cursor, validating the choice", async () => {
    const live = streams();
    fakeApi({
      "GET /api/v1/topics/events": () => ({ body: topic }),
      "GET /api/v1/topics/events/stream": live.handler,
    });
    const user = userEvent.setup();
    renderPage();
    await waitFor(() => expect(status()).toHaveTextContent("Live"));
    expect(live.opened[0]?.seen.query.has("project_id")).toBe(false);

    await user.selectOptions(screen.getByLabelText("Start from"), "earliest");
    await user.click(screen.getByRole("button", { name: "Restart stream" }));
    await waitFor(() => expect(live.opened).toHaveLength(2));
    expect(live.opened[0]?.aborted).toBe(true);
    expect(live.opened[1]?.seen.query.get("from")).toBe("earliest");

    await user.selectOptions(screen.getByLabelText("Start from"), "cursor");
    await user.click(screen.getByRole("button", { name: "Restart stream" }));
    expect(await screen.findByText(/Enter a cursor/)).toBeInTheDocument();
    expect(live.opened).toHaveLength(2);
    await user.type(screen.getByLabelText("Cursor"), "0:7{Enter}");
    await waitFor(() => expect(live.opened).toHaveLength(3));
    expect(live.opened[2]?.seen.query.get("cursor")).toBe("0:7");

    await user.selectOptions(screen.getByLabelText("Start from"), "time");
    await user.type(screen.getByLabelText("Start time"), "2026-11-23T10:30");
    await user.click(screen.getByRole("button", { name: "Restart stream" }));
    await waitFor(() => expect(live.opened).toHaveLength(4));
    expect(live.opened[3]?.seen.query.get("since")).toBe(new Date("2026-11-23T10:30").toISOString());
    // Only the newest stream is open.
    expect(live.opened.filter((s) => !s.aborted)).toHaveLength(1);
  });

  it("closes its stream when it goes away", async () => {
    const live = streams();
    fakeApi({
      "GET /api/v1/topics/events": () => ({ body: topic }),
      "GET /api/v1/topics/events/stream": live.handler,
    });
    const { unmount } = renderPage();
    await waitFor(() => expect(status()).toHaveTextContent("Live"));
    unmount();
    expect(live.opened.every((s) => s.aborted)).toBe(true);
  });

  it("validates the JSON before publishing and shows where the message went", async () => {
    const live = streams();
    const seen = fakeApi({
      "GET /api/v1/topics/events": () => ({ body: topic }),
      "GET /api/v1/topics/events/stream": live.handler,
      "POST /api/v1/topics/events/publish": () => ({
        body: {
          topic: "events",
          count: 1,
          messages: [{ index: 0, partition: 1, offset: 41, timestamp: "2026-11-23T10:00:00Z" }],
        },
      }),
    });
    const user = userEvent.setup();
    renderPage();
    const value = await screen.findByLabelText("Value (JSON)");

    await user.clear(value);
    await user.type(value, '{{"broken": ');
    await user.click(screen.getByRole("button", { name: "Publish" }));
    expect(await screen.findByText(/^Not valid JSON/)).toBeInTheDocument();
    expect(seen.some((s) => s.method === "POST")).toBe(false);

    await user.clear(value);
    await user.type(value, '{{"ok": true}');
    await user.type(screen.getByLabelText("Key (optional)"), "user-1");
    await user.type(screen.getByLabelText("Partition (optional)"), "5");
    await user.click(screen.getByRole("button", { name: "Add header" }));
    await user.type(screen.getByLabelText("Header 1 name"), "trace");
    await user.type(screen.getByLabelText("Header 1 value"), "abc");
    await user.click(screen.getByRole("button", { name: "Publish" }));
    expect(await screen.findByText("This topic has 2 partitions: use 0 to 1.")).toBeInTheDocument();
    expect(seen.some((s) => s.method === "POST")).toBe(false);

    await user.clear(screen.getByLabelText("Partition (optional)"));
    await user.type(screen.getByLabelText("Partition (optional)"), "1");
    await user.click(screen.getByRole("button", { name: "Publish" }));
    expect(await screen.findByTestId("publish-result")).toHaveTextContent("Published to partition 1 at offset 41");
    expect(seen.find((s) => s.method === "POST")?.body).toEqual({
      messages: [{ value: { ok: true }, key: "user-1", headers: { trace: "abc" }, partition: 1 }],
    });
  });

  it("shows the server's refusal of a publish", async () => {
    const live = streams();
    fakeApi({
      "GET /api/v1/topics/events": () => ({ body: topic }),
      "GET /api/v1/topics/events/stream": live.handler,
      "POST /api/v1/topics/events/publish": () => ({
        status: 429,
        body: envelope("QUOTA_EXCEEDED", "Daily message quota exceeded (10000 messages in)"),
      }),
    });
    const user = userEvent.setup();
    renderPage();
    await user.click(await screen.findByRole("button", { name: "Publish" }));
    expect(await screen.findByText("Daily message quota exceeded (10000 messages in)")).toBeInTheDocument();
  });

  it("says when the topic does not exist and opens no stream", async () => {
    const seen = fakeApi({
      "GET /api/v1/topics/events": () => ({ status: 404, body: envelope("NOT_FOUND", "Topic 'events' not found") }),
    });
    renderPage();
    expect(await screen.findByText("Topic 'events' not found")).toBeInTheDocument();
    expect(seen.some((s) => s.path.endsWith("/stream"))).toBe(false);
  });

  it("shows a reconnect countdown when the stream is refused for now", async () => {
    fakeApi({
      "GET /api/v1/topics/events": () => ({ body: topic }),
      "GET /api/v1/topics/events/stream": () => ({
        status: 429,
        headers: { "Retry-After": "5" },
        body: envelope("RATE_LIMIT_EXCEEDED", "Maximum 2 active stream connections allowed per user"),
      }),
    });
    renderPage();
    await waitFor(() => expect(status()).toHaveTextContent(/Reconnecting in \d s/));
    expect(screen.getByText(/Maximum 2 active stream connections/)).toBeInTheDocument();
    expect(screen.getByText(/TOPICHUB_MAX_STREAMS_PER_USER/)).toBeInTheDocument();
  });

  it("gives its stream slot back while the tab is hidden and resumes from the cursor", async () => {
    const live = streams();
    fakeApi({
      "GET /api/v1/topics/events": () => ({ body: topic }),
      "GET /api/v1/topics/events/stream": live.handler,
    });
    let visibility: DocumentVisibilityState = "visible";
    const spy = vi.spyOn(document, "visibilityState", "get").mockImplementation(() => visibility);
    const setVisibility = (next: DocumentVisibilityState) => {
      visibility = next;
      act(() => {
        document.dispatchEvent(new Event("visibilitychange"));
      });
    };
    try {
      renderPage();
      await waitFor(() => expect(status()).toHaveTextContent("Live"));
      act(() => live.opened[0]?.stream.event("0:1", event(0, { before: "hidden" })));
      await waitFor(() => expect(screen.getAllByTestId("stream-event")).toHaveLength(1));

      setVisibility("hidden");
      await waitFor(() => expect(status()).toHaveTextContent("Paused"));
      expect(live.opened[0]?.aborted).toBe(true);
      expect(screen.getByText(/stream slot is free/)).toBeInTheDocument();

      setVisibility("visible");
      await waitFor(() => expect(status()).toHaveTextContent("Live"));
      expect(live.opened).toHaveLength(2);
      expect(live.opened[1]?.seen.query.get("cursor")).toBe("0:1");
      expect(screen.queryByText(/stream slot is free/)).not.toBeInTheDocument();
    } finally {
      spy.mockRestore();
    }
  });

  it("browses newest first, filters by key, copies as JSON and streams from a message", async () => {
    const live = streams();
    const stored = [0, 1, 2].map((offset) => ({
      partition: offset === 2 ? 1 : 0,
      offset,
      timestamp: `2026-11-23T10:00:0${offset}.000Z`,
      key: offset === 1 ? "k1" : null,
      headers: offset === 1 ? { source: "test" } : {},
      value: { n: offset },
      size: 9,
      tombstone: false,
    }));
    const statsBody = {
      topic: "events",
      partitions: [
        { partition: 0, earliest_offset: 0, next_offset: 2, messages: 2 },
        { partition: 1, earliest_offset: 0, next_offset: 3, messages: 3 },
      ],
      messages_retained: 5,
      bytes_retained: 45,
      last_message_at: "2026-11-23T10:00:02Z",
      messages_last_minute: 1,
      messages_last_hour: 5,
      messages_out_last_minute: 2,
      messages_out_last_hour: 12,
      bytes_last_minute: 9,
      bytes_last_hour: 45,
      bytes_out_last_minute: 18,
      bytes_out_last_hour: 108,
      open_streams: 1,
    };
    const seen = fakeApi({
      "GET /api/v1/topics/events": () => ({ body: topic }),
      "GET /api/v1/topics/events/stream": live.handler,
      "GET /api/v1/topics/events/stats": () => ({ body: statsBody }),
      "GET /api/v1/topics/events/messages": ({ query }) => {
        if (query.get("limit") === "1") return { body: { messages: [{ ...stored[2], offset: 2 }], next: null } };
        const key = query.get("key");
        const matching = stored.filter((m) => key === null || m.key === key).reverse();
        return { body: { messages: matching, next: key ? null : "0:0,1:2" } };
      },
    });
    const user = userEvent.setup();
    renderPage();
    await waitFor(() => expect(status()).toHaveTextContent("Live"));
    expect(await screen.findByText("Messages retained")).toBeInTheDocument();
    expect(screen.getAllByText("45 B")).toHaveLength(2); // retained, and in over the last hour
    expect(screen.getByText("Delivered, last hour").nextSibling).toHaveTextContent("12");

    await user.click(screen.getByRole("button", { name: "Show messages" }));
    const list = await screen.findByRole("list", { name: "Browse results" });
    expect(within(list).getAllByTestId("browsed-message")).toHaveLength(3);
    const first = seen.find((s) => s.path.endsWith("/messages"));
    expect(first?.query.get("order")).toBe("desc");
    expect(screen.getByRole("button", { name: "Load older" })).toBeInTheDocument();

    await user.type(screen.getByLabelText("Key filter"), "k1");
    await user.click(screen.getByRole("button", { name: "Show messages" }));
    await waitFor(() => expect(within(list).getAllByTestId("browsed-message")).toHaveLength(1));
    const only = within(list).getByTestId("browsed-message");
    expect(only).toHaveTextContent("source: test");
    expect(only).toHaveTextContent("9 B");
    await user.click(within(only).getByRole("button", { name: "Copy as JSON" }));
    // user-event's clipboard stands in for the browser's.
    expect(JSON.parse(await navigator.clipboard.readText())).toMatchObject({ offset: 1, key: "k1" });

    await user.click(within(only).getByRole("button", { name: "Stream from partition 0 offset 1" }));
    await waitFor(() => expect(live.opened).toHaveLength(2));
    // Partition 0 at the message itself; partition 1 at its first message from that time.
    expect(live.opened[1]?.seen.query.get("cursor")).toBe("0:1,1:2");
  });

  it("refuses an offset without its partition before sending", async () => {
    const live = streams();
    const seen = fakeApi({
      "GET /api/v1/topics/events": () => ({ body: topic }),
      "GET /api/v1/topics/events/stream": live.handler,
    });
    const user = userEvent.setup();
    renderPage();
    await waitFor(() => expect(status()).toHaveTextContent("Live"));
    await user.selectOptions(screen.getByLabelText("Browse from"), "offset");
    await user.type(screen.getByLabelText("Offset"), "3");
    await user.click(screen.getByRole("button", { name: "Show messages" }));
    expect(await screen.findByText("An offset belongs to one partition: choose it.")).toBeInTheDocument();
    expect(seen.some((s) => s.path.endsWith("/messages"))).toBe(false);
  });
});
