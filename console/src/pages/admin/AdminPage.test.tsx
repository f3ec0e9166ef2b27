import { render, screen, waitFor, within } from "@testing-library/react";
import userEvent from "@testing-library/user-event";
import { MemoryRouter, Route, Routes } from "react-router";
import { afterEach, describe, expect, it, vi } from "vitest";

import { AuthProvider } from "../../auth/AuthProvider";
import AdminPage from "./AdminPage";
import { envelope, fakeApi } from "../../test/fakeApi";
import { readUsage } from "./TenantDetail";
import { readStreams } from "./Streams";
import { signedIn, tenant, userOut } from "../../test/fixtures";
import type { Tenant } from "./limits";

function renderAdmin(path = "/admin") {
  signedIn();
  return render(
    <AuthProvider>
      <MemoryRouter initialEntries={[path]}>
        <Routes>
          <Route path="/admin" element={<AdminPage />} />
        </Routes>
      </MemoryRouter>
    </AuthProvider>,
  );
}

afterEach(() => {
  vi.unstubAllGlobals();
  vi.restoreAllMocks();
});

describe("the admin page", () => {
  it("lists tenants, opens one and saves a changed rate limit", async () => {
    let acme: Tenant = tenant({ name: "acme@example.com" });
    const other = tenant({ id: "22222222-0000-0000-0000-000000000000", name: "other" });
    const seen = fakeApi({
      "GET /api/admin/tenants": () => ({ body: { total: 2, tenants: [acme, other] } }),
      [`GET /api/admin/tenants/${acme.id}`]: () => ({ body: acme }),
      [`GET /api/admin/tenants/${acme.id}/usage`]: () => ({
        body: {
          tenant_id: acme.id,
          date: "2026-01-02",
          projects: { "p1111111-x": { messages_in: 3, bytes_in: 2048, messages_out: 1, bytes_out: 10 } },
        },
      }),
      [`PATCH /api/admin/tenants/${acme.id}`]: ({ body }) => {
        const patch = body as Partial<Tenant>;
        acme = {
          ...acme,
          ...patch,
          effective: {
            ...acme.effective,
            rate_limits: { ...acme.effective.rate_limits, ...(patch.rate_limits as object) },
          },
          updated_at: "2026-01-03T00:00:00Z",
        };
        return { body: acme };
      },
    });
    const user = userEvent.setup();
    renderAdmin();

    expect(screen.getByRole("heading", { name: "Admin" })).toBeInTheDocument();
    expect(screen.getByRole("tab", { name: "Tenants" })).toHaveAttribute("aria-selected", "true");
    await user.type(await screen.findByLabelText("Filter tenants"), "acme");
    expect(screen.queryByText("other")).not.toBeInTheDocument();
    await user.click(screen.getByRole("button", { name: "Manage acme@example.com" }));

    expect(await screen.findByRole("heading", { name: "Tenant acme@example.com" })).toBeInTheDocument();
    expect(await screen.findByText("2 KiB")).toBeInTheDocument();

    const perMinute = screen.getByLabelText("Requests per minute");
    await user.type(perMinute, "-5");
    await user.click(screen.getByRole("button", { name: "Save changes" }));
    expect(await screen.findByText(/whole number of 0 or more/)).toBeInTheDocument();
    expect(seen.some((s) => s.method === "PATCH")).toBe(false);

    await user.clear(perMinute);
    await user.type(perMinute, "60");
    await user.click(screen.getByRole("button", { name: "Save changes" }));
    expect(await screen.findByText(/Saved\./)).toBeInTheDocument();
    expect(seen.find((s) => s.method === "PATCH")?.body).toEqual({ rate_limits: { per_minute: 60 } });
    expect(screen.getByLabelText("Requests per minute")).toHaveValue("60");

    // Saving again without edits sends nothing.
    await user.click(screen.getByRole("button", { name: "Save changes" }));
    expect(await screen.findByText("Nothing changed.")).toBeInTheDocument();
    expect(seen.filter((s) => s.method === "PATCH")).toHaveLength(1);
  });

  it("shows the server's field error when it refuses a limit", async () => {
    const acme = tenant();
    fakeApi({
      [`GET /api/admin/tenants/${acme.id}`]: () => ({ body: acme }),
      [`GET /api/admin/tenants/${acme.id}/usage`]: () => ({ body: { projects: {} } }),
      [`PATCH /api/admin/tenants/${acme.id}`]: () => ({
        status: 422,
        body: envelope("VALIDATION_ERROR", "Invalid", [{ field: "quotas.messages_per_day", reason: "too big" }]),
      }),
    });
    const user = userEvent.setup();
    renderAdmin(`/admin?tab=tenants&tenant=${acme.id}`);
    await user.type(await screen.findByLabelText("Messages per user per day"), "5");
    await user.click(screen.getByRole("button", { name: "Save changes" }));
    expect(await screen.findByText("too big")).toBeInTheDocument();
    expect(screen.getByText("This tenant has no projects.")).toBeInTheDocument();
  });

  it("deactivates a tenant only after a confirm, and never the admin's own", async () => {
    let acme = tenant();
    const seen = fakeApi({
      [`GET /api/admin/tenants/${acme.id}`]: () => ({ body: acme }),
      [`GET /api/admin/tenants/${acme.id}/usage`]: () => ({ body: { projects: {} } }),
      [`PATCH /api/admin/tenants/${acme.id}`]: ({ body }) => {
        acme = { ...acme, ...(body as object) };
        return { body: acme };
      },
    });
    const confirm = vi.spyOn(window, "confirm").mockReturnValueOnce(false).mockReturnValueOnce(true);
    const user = userEvent.setup();
    renderAdmin(`/admin?tab=tenants&tenant=${acme.id}`);
    await user.click(await screen.findByRole("button", { name: "Deactivate tenant" }));
    expect(confirm).toHaveBeenCalledTimes(1);
    expect(seen.some((s) => s.method === "PATCH")).toBe(false);
    await user.click(screen.getByRole("button", { name: "Deactivate tenant" }));
    await screen.findByRole("button", { name: "Activate tenant" });
    expect(seen.find((s) => s.method === "PATCH")?.body).toEqual({ is_active: false });
  });

  it("refuses to deactivate or delete the tenant the admin acts in", async () => {
    const own = tenant({ id: userOut().tenant_id });
    fakeApi({
      [`GET /api/admin/tenants/${own.id}`]: () => ({ body: own }),
      [`GET /api/admin/tenants/${own.id}/usage`]: () => ({ body: { projects: {} } }),
    });
    renderAdmin(`/admin?tab=tenants&tenant=${own.id}`);
    expect(await screen.findByRole("button", { name: "Deactivate tenant" })).toBeDisabled();
    expect(screen.queryByRole("button", { name: "Delete tenant" })).not.toBeInTheDocument();
  });

  it("creates a tenant after checking the form", async () => {
    const created = tenant({ id: "33333333-0000-0000-0000-000000000000", name: "New co" });
    const seen = fakeApi({
      "GET /api/admin/tenants": () => ({ body: { total: 0, tenants: [] } }),
      "POST /api/admin/tenants": () => ({ status: 201, body: created }),
      [`GET /api/admin/tenants/${created.id}`]: () => ({ body: created }),
      [`GET /api/admin/tenants/${created.id}/usage`]: () => ({ body: { projects: {} } }),
    });
    const user = userEvent.setup();
    renderAdmin();
    expect(await screen.findByText("No tenants yet.")).toBeInTheDocument();
    await user.clear(screen.getByLabelText("Plan"));
    await user.type(screen.getByLabelText("Plan"), "Gold");
    await user.click(screen.getByRole("button", { name: "Create tenant" }));
    expect(await screen.findByText("Enter a name.")).toBeInTheDocument();
    expect(screen.getByText(/lowercase/)).toBeInTheDocument();
    expect(seen.some((s) => s.method === "POST")).toBe(false);
    await user.type(screen.getByLabelText("Tenant name"), "New co");
    await user.clear(screen.getByLabelText("Plan"));
    await user.type(screen.getByLabelText("Plan"), "gold{Enter}");
    expect(await screen.findByRole("heading", { name: "Tenant New co" })).toBeInTheDocument();
    expect(seen.find((s) => s.method === "POST")?.body).toEqual({ name: "New co", plan: "gold", owner_email: null });
  });

  it("lists users and deactivates one after a confirm", async () => {
    let bob = userOut({ id: "bbbbbbbb-0000-0000-0000-000000000002", email: "bob@example.com", is_platform_admin: false });
    const seen = fakeApi({
      "GET /api/admin/users": () => ({ body: { total: 2, users: [userOut(), bob] } }),
      [`POST /api/admin/users/${bob.id}/deactivate`]: () => {
        bob = { ...bob, is_active: false };
        return { body: bob };
      },
    });
    vi.spyOn(window, "confirm").mockReturnValue(true);
    const user = userEvent.setup();
    renderAdmin("/admin?tab=users");
    const table = await screen.findByRole("table", { name: "Users" });
    // The admin cannot deactivate themselves here.
    expect(within(table).queryByRole("button", { name: "Deactivate admin@example.com" })).not.toBeInTheDocument();
    await user.click(within(table).getByRole("button", { name: "Deactivate bob@example.com" }));
    expect(await screen.findByText("bob@example.com is deactivated.")).toBeInTheDocument();
    await waitFor(() => expect(within(table).getByText("Deactivated")).toBeInTheDocument());
    expect(seen.some((s) => s.path.endsWith("/deactivate"))).toBe(true);
  });

  it("shows active streams and switches tabs with the arrow keys", async () => {
    fakeApi({
      "GET /api/v1/admin/active-streams": () => ({
        body: {
          count: 1,
          streams: [{ slot_id: "s1", user_id: "u1", tenant_id: "t1", topic: "events", transport: "sse", process_id: "host:1", started_at: "2026-01-01T00:00:00Z" }],
          this_process: [],
        },
      }),
      "GET /api/admin/users": () => ({ body: { total: 0, users: [] } }),
    });
    const user = userEvent.setup();
    renderAdmin("/admin?tab=streams");
    expect(await screen.findByText("events")).toBeInTheDocument();
    expect(screen.getByText("Active streams (1)")).toBeInTheDocument();
    screen.getByRole("tab", { name: "Active streams" }).focus();
    await user.keyboard("{ArrowLeft}");
    expect(screen.getByRole("tab", { name: "Users" })).toHaveAttribute("aria-selected", "true");
    expect(await screen.findByText("No users yet.")).toBeInTheDocument();
  });

  it("shows the reason when the stream registry is down", async () => {
    fakeApi({
      "GET /api/v1/admin/active-streams": () => ({
        status: 503,
        body: envelope("UNAVAILABLE", "The shared stream registry (Redis) is unreachable"),
      }),
    });
    renderAdmin("/admin?tab=streams");
    expect(await screen.findByText("The shared stream registry (Redis) is unreachable")).toBeInTheDocument();
  });
});

describe("reading the loosely typed admin answers", () => {
  it("reads usage and streams defensively", () => {
    expect(readUsage({})).toEqual({ date: "", projects: [] });
    expect(readUsage({ date: "d", projects: { p: { messages_in: 1 } } }).projects).toEqual([
      ["p", { messages_in: 1, bytes_in: 0, messages_out: 0, bytes_out: 0 }],
    ]);
    expect(readStreams({})).toEqual({ count: 0, streams: [] });
    expect(readStreams({ streams: [{ topic: "t" }] }).streams[0]).toMatchObject({ id: "0", topic: "t", userId: null });
  });
});
