import { render, screen, waitFor } from "@testing-library/react";
import userEvent from "@testing-library/user-event";
import { MemoryRouter } from "react-router";
import { afterEach, describe, expect, it, vi } from "vitest";

import * as session from "../../api/session";
import { AuthProvider, useAuth } from "../../auth/AuthProvider";
import AccountPage, { checkPasswordChange, loginOf } from "./AccountPage";
import { signedIn, userOut } from "../../test/fixtures";
import { envelope, fakeApi } from "../../test/fakeApi";

const me = userOut({ email: "ann@example.com", is_platform_admin: false, role: "owner" });

function renderAccount() {
  signedIn(me);
  return render(
    <AuthProvider>
      <MemoryRouter>
        <AccountPage />
      </MemoryRouter>
    </AuthProvider>,
  );
}

function tokens(access: string, refresh: string, user = me) {
  return { token: access, access_token: access, token_type: "bearer", expires_in: 900, refresh_token: refresh, user };
}

afterEach(() => {
  vi.unstubAllGlobals();
});

describe("checkPasswordChange", () => {
  it("needs the current password, a good new one, different and confirmed", () => {
    expect(checkPasswordChange({ current: "", next: "short", confirm: "" })).toEqual({
      current: "Enter your current password.",
      next: "Use at least 8 characters.",
      confirm: "The passwords do not match.",
    });
    expect(checkPasswordChange({ current: "old-password-1", next: "old-password-1", confirm: "old-password-1" })).toEqual({
      next: "Choose a password different from the current one.",
    });
    expect(checkPasswordChange({ current: "old-password-1", next: "new-password-2", confirm: "new-password-2" })).toEqual({});
  });

  it("signs in with the email, else the username", () => {
    expect(loginOf({ email: "a@b.c", username: "ann" })).toBe("a@b.c");
    expect(loginOf({ email: null, username: "ann" })).toBe("ann");
    expect(loginOf({ email: null, username: null })).toBeNull();
  });
});

describe("the account page", () => {
  it("shows the user, changes the password and signs in again silently", async () => {
    const seen = fakeApi({
      "GET /api/v1/auth/me": () => ({ body: me }),
      "PATCH /api/v1/auth/me": () => ({ body: me }),
      "POST /api/v1/auth/login": () => ({ body: tokens("access-2", "thr_refresh-2") }),
    });
    const user = userEvent.setup();
    renderAccount();
    expect(screen.getByRole("heading", { name: "Account" })).toBeInTheDocument();
    expect(await screen.findByText("ann@example.com")).toBeInTheDocument();
    expect(screen.getByText(me.tenant_id)).toBeInTheDocument();
    expect(screen.getByText("owner")).toBeInTheDocument();

    await user.click(screen.getByRole("button", { name: "Change password" }));
    expect(await screen.findByText("Enter your current password.")).toBeInTheDocument();
    expect(seen.some((s) => s.method === "PATCH")).toBe(false);

    await user.type(screen.getByLabelText("Current password"), "old-password-1");
    await user.type(screen.getByLabelText("New password"), "new-password-2");
    await user.type(screen.getByLabelText("Confirm new password"), "new-password-2{Enter}");
    expect(await screen.findByText(/Password changed\. Your other sessions/)).toBeInTheDocument();
    expect(seen.find((s) => s.method === "PATCH")?.body).toEqual({
      current_password: "old-password-1",
      password: "new-password-2",
    });
    expect(seen.find((s) => s.path === "/api/v1/auth/login")?.body).toEqual({
      email: "ann@example.com",
      password: "new-password-2",
    });
    expect(session.load()).toMatchObject({ access: "access-2", refresh: "thr_refresh-2" });
    expect(screen.getByLabelText("Current password")).toHaveValue("");
  });

  it("says so when the silent sign-in fails", async () => {
    fakeApi({
      "GET /api/v1/auth/me": () => ({ body: me }),
      "PATCH /api/v1/auth/me": () => ({ body: me }),
      "POST /api/v1/auth/login": () => ({ status: 503, body: envelope("UNAVAILABLE", "Down") }),
    });
    const user = userEvent.setup();
    renderAccount();
    await user.type(await screen.findByLabelText("Current password"), "old-password-1");
    await user.type(screen.getByLabelText("New password"), "new-password-2");
    await user.type(screen.getByLabelText("Confirm new password"), "new-password-2");
    await user.click(screen.getByRole("button", { name: "Change password" }));
    expect(await screen.findByRole("button", { name: "Sign in again" })).toBeInTheDocument();
  });

  it("shows a wrong current password on its field", async () => {
    let refreshes = 0;
    fakeApi({
      "GET /api/v1/auth/me": () => ({ body: me }),
      "PATCH /api/v1/auth/me": () => ({
        status: 401,
        body: envelope("AUTHENTICATION_FAILED", "Current password is incorrect"),
      }),
      "POST /api/v1/auth/refresh": () => {
        refreshes += 1;
        return { body: tokens(`access-r${refreshes}`, `thr_r${refreshes}`) };
      },
    });
    const user = userEvent.setup();
    renderAccount();
    await user.type(await screen.findByLabelText("Current password"), "wrong-password-1");
    await user.type(screen.getByLabelText("New password"), "new-password-2");
    await user.type(screen.getByLabelText("Confirm new password"), "new-password-2");
    await user.click(screen.getByRole("button", { name: "Change password" }));
    expect(await screen.findByText("Current password is incorrect")).toBeInTheDocument();
    expect(session.load()?.user.email).toBe("ann@example.com");
  });

  it("changes the email and refreshes the user", async () => {
    let current = me;
    const seen = fakeApi({
      "GET /api/v1/auth/me": () => ({ body: current }),
      "PATCH /api/v1/auth/me": ({ body }) => {
        const { email } = body as { email: string };
        if (email === "taken@example.com") return { status: 409, body: envelope("CONFLICT", "Email already registered") };
        current = { ...current, email };
        return { body: current };
      },
    });
    const user = userEvent.setup();
    renderAccount();
    await user.type(await screen.findByLabelText("New email"), "not-an-email");
    await user.click(screen.getByRole("button", { name: "Change email" }));
    expect(await screen.findByText("Enter a valid email address.")).toBeInTheDocument();
    expect(screen.getByText("Enter your current password.")).toBeInTheDocument();

    await user.clear(screen.getByLabelText("New email"));
    await user.type(screen.getByLabelText("New email"), "taken@example.com");
    await user.type(screen.getByLabelText("Current password (to confirm)"), "old-password-1");
    await user.click(screen.getByRole("button", { name: "Change email" }));
    expect(await screen.findByText("Email already registered")).toBeInTheDocument();

    await user.clear(screen.getByLabelText("New email"));
    await user.type(screen.getByLabelText("New email"), "ann2@example.com");
    await user.click(screen.getByRole("button", { name: "Change email" }));
    expect(await screen.findByText("Your email is now ann2@example.com.")).toBeInTheDocument();
    expect(seen.filter((s) => s.method === "PATCH").at(-1)?.body).toEqual({
      email: "ann2@example.com",
      current_password: "old-password-1",
    });
    await waitFor(() => expect(session.load()?.user.email).toBe("ann2@example.com"));
  });

  it("deletes the account only after the typed confirmation, then signs out", async () => {
    const seen = fakeApi({
      "GET /api/v1/auth/me": () => ({ body: me }),
      "DELETE /api/v1/auth/me": () => ({ status: 204 }),
      "POST /api/v1/auth/logout": () => ({ status: 204 }),
    });
    const user = userEvent.setup();
    renderAccount();
    await user.type(await screen.findByLabelText("Type ann@example.com to confirm"), "nope");
    await user.click(screen.getByRole("button", { name: "Delete my account" }));
    expect(await screen.findByText("Type ann@example.com to confirm.")).toBeInTheDocument();
    expect(seen.some((s) => s.method === "DELETE")).toBe(false);
    await user.clear(screen.getByLabelText("Type ann@example.com to confirm"));
    await user.type(screen.getByLabelText("Type ann@example.com to confirm"), "ann@example.com{Enter}");
    await waitFor(() => expect(session.load()).toBeNull());
    expect(seen.some((s) => s.method === "DELETE" && s.path === "/api/v1/auth/me")).toBe(true);
    // Signing out tells the server to end the session (best-effort).
    await waitFor(() =>
      expect(seen.find((s) => s.path === "/api/v1/auth/logout")?.body).toEqual({ refresh_token: "thr_refresh-1" }),
    );
  });
});

describe("signing out", () => {
  it("clears the session at once even when the server cannot be reached", async () => {
    vi.stubGlobal("fetch", vi.fn(async () => Promise.reject(new TypeError("offline"))));
    signedIn(me);
    let signOut: () => void = () => undefined;
    function Probe() {
      signOut = useAuth().signOut;
      return null;
    }
    render(
      <AuthProvider>
        <Probe />
      </AuthProvider>,
    );
    signOut();
    expect(session.load()).toBeNull();
    await waitFor(() => expect(fetch).toHaveBeenCalledTimes(1));
    const request = vi.mocked(fetch).mock.calls[0]?.[0] as Request;
    expect(new URL(request.url).pathname).toBe("/api/v1/auth/logout");
    expect(request.headers.get("Authorization")).toBeNull();
  });
});
