import { act, fireEvent, render, screen, waitFor } from "@testing-library/react";
import { afterEach, describe, expect, it, vi } from "vitest";

import EventsPage from "./EventsPage";
import { fakeApi } from "../../test/fakeApi";

const event = (id: string, type: string, topic: string, payload: Record<string, unknown>) => ({
  event_id: id,
  type,
  topic,
  key: "1",
  project_id: null,
  actor_id: null,
  payload,
  occurred_at: "2026-01-01T00:00:00Z",
  stored_at: "2026-01-01T00:00:01Z",
});

afterEach(() => {
  vi.useRealTimers();
});

describe("the event log", () => {
  it("lists events with payloads, filters by topic and type, and polls while auto-refresh is on", async () => {
    vi.useFakeTimers({ shouldAdvanceTime: true });
    let items = [event("e1", "todo_created", "todos", { title: "Buy milk", event: "todo_created" })];
    const seen = fakeApi({
      "GET /api/v1/events": () => ({ body: { items, limit: 25, offset: 0, has_more: false } }),
    });
    render(<EventsPage />);
    expect(await screen.findByText("Todo “Buy milk” created")).toBeInTheDocument();
    expect(screen.getByText(/"event": "todo_created"/)).toBeInTheDocument();

    fireEvent.change(screen.getByLabelText("Topic"), { target: { value: "logs" } });
    await waitFor(() => expect(seen.at(-1)?.query.get("topic")).toBe("logs"));
    expect(screen.getByLabelText("Type")).toHaveTextContent("math_operation");
    expect(screen.getByLabelText("Type")).not.toHaveTextContent("todo_created");
    fireEvent.change(screen.getByLabelText("Type"), { target: { value: "math_operation" } });
    await waitFor(() => expect(seen.at(-1)?.query.get("type")).toBe("math_operation"));
    fireEvent.change(screen.getByLabelText("Topic"), { target: { value: "" } });
    await waitFor(() => expect(seen.at(-1)?.query.has("topic")).toBe(false));
    expect(seen.at(-1)?.query.has("type")).toBe(false);

    const before = seen.length;
    await act(() => vi.advanceTimersByTimeAsync(7000));
    expect(seen.length).toBe(before);

    fireEvent.click(screen.getByLabelText(/Auto-refresh/));
    items = [event("e2", "math_operation", "logs", { operation: "add", result: 5 }), ...items];
    await act(() => vi.advanceTimersByTimeAsync(3100));
    expect(await screen.findByText("add → “5”")).toBeInTheDocument();
    await act(() => vi.advanceTimersByTimeAsync(3000));
    expect(seen.length).toBe(before + 2);

    fireEvent.click(screen.getByLabelText(/Auto-refresh/));
    await act(() => vi.advanceTimersByTimeAsync(9000));
    expect(seen.length).toBe(before + 2);
  });
});
