import { render, screen, waitFor, within } from "@testing-library/react";
import userEvent from "@testing-library/user-event";
import { MemoryRouter } from "react-router";
import { describe, expect, it, vi } from "vitest";

import TodosPage from "./TodosPage";
import { fakeApi } from "../../test/fakeApi";

const todo = (id: number, title: string, completed = false) => ({
  id,
  title,
  description: null,
  completed,
  created_at: "2026-01-01T00:00:00Z",
  updated_at: `2026-01-01T00:00:0${id}Z`,
});

function renderTodos() {
  return render(
    <MemoryRouter>
      <TodosPage />
    </MemoryRouter>,
  );
}

describe("the todos page", () => {
  it("creates, toggles, filters and deletes", async () => {
    let todos = [todo(1, "Existing")];
    const seen = fakeApi({
      "GET /api/v1/todos": ({ query }) => {
        const completed = query.get("completed");
        return { body: todos.filter((t) => completed === null || String(t.completed) === completed) };
      },
      "POST /api/v1/todos": ({ body }) => {
        const created = { ...todo(2, (body as { title: string }).title) };
        todos = [...todos, created];
        return { status: 201, body: created };
      },
      "PATCH /api/v1/todos/\\d+": ({ path, body }) => {
        const id = Number(path.split("/").pop());
        todos = todos.map((t) => (t.id === id ? { ...t, ...(body as object), updated_at: "2026-01-02T00:00:00Z" } : t));
        return { body: todos.find((t) => t.id === id) };
      },
      "DELETE /api/v1/todos/\\d+": ({ path }) => {
        todos = todos.filter((t) => t.id !== Number(path.split("/").pop()));
        return { status: 204 };
      },
    });
    const user = userEvent.setup();
    renderTodos();
    expect(await screen.findByText("Existing")).toBeInTheDocument();

    await user.click(screen.getByRole("button", { name: "Add todo" }));
    expect(await screen.findByText("Enter a title.")).toBeInTheDocument();
    expect(seen.some((s) => s.method === "POST")).toBe(false);

    await user.type(screen.getByLabelText("Title", { exact: true }), "  Buy milk {Enter}");
    expect(await screen.findByText("Buy milk")).toBeInTheDocument();
    expect(seen.find((s) => s.method === "POST")?.body).toEqual({ title: "Buy milk", description: null, completed: false });

    await user.click(screen.getByRole("checkbox", { name: "Done: Buy milk" }));
    await waitFor(() => expect(screen.getByRole("checkbox", { name: "Done: Buy milk" })).toBeChecked());
    expect(seen.find((s) => s.method === "PATCH")?.body).toEqual({ completed: true });

    await user.selectOptions(screen.getByLabelText("Show"), "open");
    await waitFor(() => expect(screen.queryByText("Buy milk")).not.toBeInTheDocument());
    expect(seen.at(-1)?.query.get("completed")).toBe("false");
    await user.selectOptions(screen.getByLabelText("Show"), "all");
    await screen.findByText("Buy milk");

    const confirm = vi.spyOn(window, "confirm").mockReturnValueOnce(false).mockReturnValueOnce(true);
    await user.click(screen.getByRole("button", { name: "Delete Existing" }));
    expect(seen.some((s) => s.method === "DELETE")).toBe(false);
    await user.click(screen.getByRole("button", { name: "Delete Existing" }));
    await waitFor(() => expect(screen.queryByText("Existing")).not.toBeInTheDocument());
    expect(confirm).toHaveBeenCalledTimes(2);
  });

  it("edits a todo inline", async () => {
    let todos = [todo(1, "Old title")];
    const seen = fakeApi({
      "GET /api/v1/todos": () => ({ body: todos }),
      "PATCH /api/v1/todos/1": ({ body }) => {
        todos = [{ ...todos[0]!, ...(body as object), updated_at: "2026-01-03T00:00:00Z" }];
        return { body: todos[0] };
      },
    });
    const user = userEvent.setup();
    renderTodos();
    await user.click(await screen.findByRole("button", { name: "Edit Old title" }));
    const list = screen.getByRole("list", { name: "Todos" });
    await user.clear(within(list).getByLabelText("Edit title"));
    await user.type(within(list).getByLabelText("Edit description"), "details");
    await user.click(within(list).getByRole("button", { name: "Save" }));
    expect(await within(list).findByText("Enter a title.")).toBeInTheDocument();
    await user.type(within(list).getByLabelText("Edit title"), "New title");
    await user.click(within(list).getByRole("button", { name: "Save" }));
    expect(await screen.findByText("New title")).toBeInTheDocument();
    expect(seen.find((s) => s.method === "PATCH")?.body).toEqual({ title: "New title", description: "details" });
  });

  it("pages through todos", async () => {
    const all = Array.from({ length: 25 }, (_, i) => todo(i + 1, `Todo ${i + 1}`));
    fakeApi({
      "GET /api/v1/todos": ({ query }) => {
        const offset = Number(query.get("offset"));
        return { body: all.slice(offset, offset + Number(query.get("limit"))) };
      },
    });
    const user = userEvent.setup();
    renderTodos();
    expect(await screen.findByText("Todo 20")).toBeInTheDocument();
    expect(screen.queryByText("Todo 21")).not.toBeInTheDocument();
    await user.click(screen.getByRole("button", { name: "Next" }));
    expect(await screen.findByText("Todo 25")).toBeInTheDocument();
    expect(screen.getByRole("button", { name: "Next" })).toBeDisabled();
  });
});
