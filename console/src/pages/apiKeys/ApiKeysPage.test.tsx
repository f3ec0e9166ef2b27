import { render, screen, waitFor, within } from "@testing-library/react";
import userEvent from "@testing-library/user-event";
import { describe, expect, it, vi } from "vitest";

import { ProjectProvider } from "../../hooks/useProject";
import ApiKeysPage from "./ApiKeysPage";
import { fakeApi } from "../../test/fakeApi";

const project = (id: string, name: string, is_default = false) => ({
  id,
  tenant_id: "t1",
  name,
  description: null,
  is_default,
  created_at: "2026-11-01T00:00:00Z",
  updated_at: "2026-11-01T00:00:00Z",
});

const key = (id: string, name: string, extra: object = {}): Record<string, unknown> => ({
  id,
  name,
  prefix: `thk_${id}`,
  project_id: "p1",
  tenant_id: "t1",
  permissions: ["read", "write"],
  created_at: "2026-11-20T10:00:00Z",
  last_used_at: null,
  expires_at: null,
  revoked_at: null,
  is_active: true,
  ...extra,
});

function renderPage() {
  return render(
    <ProjectProvider>
      <ApiKeysPage />
    </ProjectProvider>,
  );
}

describe("the API keys page", () => {
  it("creates a key, shows its secret once, lists and revokes keys", async () => {
    let keys = [key("k1", "old key", { last_used_at: "2026-11-22T09:00:00Z", permissions: ["read"] })];
    const seen = fakeApi({
      "GET /api/v1/projects": () => ({ body: [project("p1", "default", true), project("p2", "Analytics")] }),
      "GET /api/v1/api-keys": () => ({ body: keys }),
      "POST /api/v1/api-keys": ({ body }) => {
        const created = key("k2", (body as { name: string }).name, { ...(body as object), project_id: "p2" });
        keys = [...keys, created];
        return { status: 201, body: { ...created, key: "thk_k2_SECRET", secret: "thk_k2_SECRET" } };
      },
      "DELETE /api/v1/api-keys/k1": () => {
        keys = keys.map((k) => (k.id === "k1" ? { ...k, revoked_at: "2026-11-23T00:00:00Z", is_active: false } : k));
        return { status: 204 };
      },
    });
    const user = userEvent.setup();
    renderPage();

    const table = await screen.findByRole("table", { name: "API keys" });
    const old = within(table).getByRole("row", { name: /old key/ });
    expect(old).toHaveTextContent("read");
    expect(old).toHaveTextContent("default");
    expect(old).toHaveTextContent("22 Nov 2026, 09:00:00 UTC");

    await user.click(screen.getByRole("button", { name: "Create key" }));
    expect(await screen.findByText("Enter a name for the key.")).toBeInTheDocument();
    expect(seen.some((s) => s.method === "POST")).toBe(false);

    await user.type(screen.getByLabelText("Key name"), "publisher");
    await user.selectOptions(screen.getByLabelText("Permission"), "admin");
    await user.selectOptions(screen.getByLabelText("Project"), "p2");
    await user.click(screen.getByRole("button", { name: "Create key" }));

    expect(await screen.findByTestId("new-key-secret")).toHaveTextContent("thk_k2_SECRET");
    expect(screen.getByText(/you will not see it again/)).toBeInTheDocument();
    expect(screen.getByRole("button", { name: "Copy secret" })).toBeInTheDocument();
    expect(seen.find((s) => s.method === "POST")?.body).toEqual({
      name: "publisher",
      permissions: ["read", "write", "admin"],
      project_id: "p2",
      expires_in_days: null,
    });
    const created = await within(table).findByRole("row", { name: /publisher/ });
    expect(created).toHaveTextContent("admin");
    expect(created).toHaveTextContent("Analytics");
    expect(created).toHaveTextContent("never");
    expect(created).not.toHaveTextContent("SECRET");

    await user.click(screen.getByRole("button", { name: /hide the secret/ }));
    expect(screen.queryByText(/thk_k2_SECRET/)).not.toBeInTheDocument();

    const confirm = vi.spyOn(window, "confirm").mockReturnValueOnce(false).mockReturnValueOnce(true);
    await user.click(screen.getByRole("button", { name: "Revoke old key" }));
    expect(seen.some((s) => s.method === "DELETE")).toBe(false);
    await user.click(screen.getByRole("button", { name: "Revoke old key" }));
    await waitFor(() => expect(within(table).getByRole("row", { name: /old key/ })).toHaveTextContent("revoked"));
    expect(screen.queryByRole("button", { name: "Revoke old key" })).not.toBeInTheDocument();
    expect(confirm).toHaveBeenCalledTimes(2);
  });

  it("validates the expiry and shows an empty state", async () => {
    fakeApi({
      "GET /api/v1/projects": () => ({ body: [project("p1", "default", true)] }),
      "GET /api/v1/api-keys": () => ({ body: [] }),
    });
    const user = userEvent.setup();
    renderPage();
    expect(await screen.findByText("No API keys yet.")).toBeInTheDocument();
    await user.type(screen.getByLabelText("Key name"), "k");
    await user.type(screen.getByLabelText("Expires after days (optional)"), "0{Enter}");
    expect(await screen.findByText("Use at least 1.")).toBeInTheDocument();
  });
});
