import { render, screen, waitFor, within } from "@testing-library/react";
import userEvent from "@testing-library/user-event";
import { describe, expect, it, vi } from "vitest";

import { ProjectPicker } from "../../components/ProjectPicker";
import { ProjectProvider } from "../../hooks/useProject";
import ProjectsPage from "./ProjectsPage";
import { envelope, fakeApi } from "../../test/fakeApi";

const project = (id: string, name: string, is_default = false) => ({
  id,
  tenant_id: "t1",
  name,
  description: null as string | null,
  is_default,
  created_at: "2026-11-01T00:00:00Z",
  updated_at: "2026-11-01T00:00:00Z",
});

describe("the projects page", () => {
  it("creates, renames, uses and deletes projects; the picker follows", async () => {
    let projects = [project("p1", "default", true)];
    const seen = fakeApi({
      "GET /api/v1/projects": () => ({ body: projects }),
      "POST /api/v1/projects": ({ body }) => {
        const b = body as { name: string; description: string | null };
        projects = [...projects, { ...project("p2", b.name), description: b.description }];
        return { status: 201, body: projects.at(-1) };
      },
      "PATCH /api/v1/projects/p2": ({ body }) => {
        projects = projects.map((p) => (p.id === "p2" ? { ...p, ...(body as object) } : p));
        return { body: projects.find((p) => p.id === "p2") };
      },
      "DELETE /api/v1/projects/p1": () => ({ status: 409, body: envelope("CONFLICT", "The default project cannot be deleted") }),
      "DELETE /api/v1/projects/p2": () => {
        projects = projects.filter((p) => p.id !== "p2");
        return { status: 204 };
      },
    });
    const user = userEvent.setup();
    render(
      <ProjectProvider>
        <ProjectPicker />
        <ProjectsPage />
      </ProjectProvider>,
    );
    const table = await screen.findByRole("table", { name: "Projects" });
    expect(within(table).getByRole("row", { name: /default/ })).toHaveTextContent("in use");

    await user.click(screen.getByRole("button", { name: "Create project" }));
    expect(await screen.findByText("Enter a project name.")).toBeInTheDocument();
    await user.type(screen.getByLabelText("Project name"), "  Analytics ");
    await user.type(screen.getByLabelText("Description (optional)"), "Clickstream{Enter}");
    expect(await within(table).findByText("Analytics")).toBeInTheDocument();
    expect(seen.find((s) => s.method === "POST")?.body).toEqual({ name: "Analytics", description: "Clickstream" });
    // The header's picker reloaded.
    await waitFor(() =>
      expect(within(screen.getByLabelText("Current project")).getByRole("option", { name: "Analytics" })).toBeInTheDocument(),
    );

    await user.click(screen.getByRole("button", { name: "Rename Analytics" }));
    const name = screen.getByLabelText("New name for Analytics");
    await user.clear(name);
    await user.type(name, "Analytics EU{Enter}");
    expect(await within(table).findByText("Analytics EU")).toBeInTheDocument();
    expect(seen.find((s) => s.method === "PATCH")?.body).toEqual({ name: "Analytics EU", description: "Clickstream" });
    await waitFor(() =>
      expect(within(screen.getByLabelText("Current project")).getByRole("option", { name: "Analytics EU" })).toBeInTheDocument(),
    );

    await user.click(screen.getByRole("button", { name: "Use Analytics EU" }));
    expect(screen.getByLabelText("Current project")).toHaveValue("p2");
    expect(localStorage.getItem("topichub.project")).toBe("p2");
    expect(within(table).getByRole("row", { name: /Analytics EU/ })).toHaveTextContent("in use");

    vi.spyOn(window, "confirm").mockReturnValue(true);
    await user.click(screen.getByRole("button", { name: "Delete default" }));
    expect(await screen.findByText("The default project cannot be deleted")).toBeInTheDocument();

    await user.click(screen.getByRole("button", { name: "Delete Analytics EU" }));
    await waitFor(() => expect(within(table).queryByText("Analytics EU")).not.toBeInTheDocument());
    // The deleted project was in use: back to the default one.
    expect(screen.getByLabelText("Current project")).toHaveValue("");
    expect(localStorage.getItem("topichub.project")).toBeNull();
  });
});
