import { render, screen, waitFor, within } from "@testing-library/react";
import userEvent from "@testing-library/user-event";
import { MemoryRouter, Route, Routes, useParams } from "react-router";
import { describe, expect, it, vi } from "vitest";

import { envelope, fakeApi } from "../../test/fakeApi";
import { Invitations } from "./Invitations";
import { Members } from "./Members";
import type { GroupDetail, Invitation } from "./messages";

const G = "6f1c1c9e-3a55-4a39-9b1e-0d6a3c7f1a10";
const H = "7a2d2d0f-4b66-4b4a-8c2f-1e7b4d8f2b21";
const ME = "11111111-1111-4111-8111-111111111111";

function invitation(id: string, group_id: string, group_name: string, extra: Partial<Invitation> = {}): Invitation {
  return {
    id,
    group_id,
    group_name,
    email: "me@example.com",
    role: "member",
    invited_by: "ada",
    created_at: "2026-12-04T10:00:00Z",
    expires_at: "2026-12-11T10:00:00Z",
    ...extra,
  };
}

function Opened() {
  const { groupId } = useParams();
  return <p>opened {groupId}</p>;
}

describe("the chat page's invitations", () => {
  it("lists invitations addressed to me; accept joins and opens the group, decline drops one", async () => {
    let pending = [
      invitation("i-1", G, "Design", { role: "moderator" }),
      invitation("i-2", H, "Spam corner", { invited_by: null }),
    ];
    const seen = fakeApi({
      "GET /api/v1/chat/invitations": () => ({ body: { invitations: pending } }),
      "POST /api/v1/chat/invitations/i-1/accept": () => {
        pending = pending.filter((i) => i.id !== "i-1");
        return { body: { id: G, name: "Design", role: "moderator", created_at: "2026-12-04T09:00:00Z" } };
      },
      "POST /api/v1/chat/invitations/i-2/decline": () => {
        pending = pending.filter((i) => i.id !== "i-2");
        return { status: 204 };
      },
    });
    const joined = vi.fn();
    render(
      <MemoryRouter initialEntries={["/chat"]}>
        <Routes>
          <Route path="/chat" element={<Invitations onJoined={joined} />} />
          <Route path="/chat/:groupId" element={<Opened />} />
        </Routes>
      </MemoryRouter>,
    );
    const list = await screen.findByRole("list", { name: "Invitations" });
    expect(within(list).getByText("Design")).toBeTruthy();
    expect(within(list).getByText("moderator")).toBeTruthy();
    expect(within(list).getByText(/from ada/)).toBeTruthy();

    await userEvent.click(screen.getByRole("button", { name: "Decline invitation to Spam corner" }));
    await waitFor(() => expect(screen.queryByText("Spam corner")).toBeNull());
    await userEvent.click(screen.getByRole("button", { name: "Accept invitation to Design" }));
    await screen.findByText(`opened ${G}`);
    expect(joined).toHaveBeenCalledOnce();
    expect(seen.filter((s) => s.method === "POST").map((s) => s.path)).toEqual([
      "/api/v1/chat/invitations/i-2/decline",
      "/api/v1/chat/invitations/i-1/accept",
    ]);
  });

  it("shows nothing when there are no invitations, and the server's refusal when accepting fails", async () => {
    fakeApi({ "GET /api/v1/chat/invitations": () => ({ body: { invitations: [] } }) });
    const { container } = render(
      <MemoryRouter>
        <Invitations onJoined={() => undefined} />
      </MemoryRouter>,
    );
    await waitFor(() => expect(container.innerHTML).toBe(""));

    fakeApi({
      "GET /api/v1/chat/invitations": () => ({ body: { invitations: [invitation("i-3", G, "Old")] } }),
      "POST /api/v1/chat/invitations/i-3/accept": () => ({
        status: 409,
        body: envelope("CONFLICT", "This invitation has expired; ask a group admin for a new one"),
      }),
    });
    render(
      <MemoryRouter>
        <Invitations onJoined={() => undefined} />
      </MemoryRouter>,
    );
    await userEvent.click(await screen.findByRole("button", { name: "Accept invitation to Old" }));
    expect(await screen.findByText(/invitation has expired/)).toBeTruthy();
  });
});

describe("adding a member", () => {
  const group: GroupDetail = {
    id: G,
    name: "Team",
    role: "admin",
    created_at: "2026-12-04T09:00:00Z",
    members: [
      { user_id: ME, email: "me@example.com", username: null, role: "admin", joined_at: "2026-12-04T09:00:00Z" },
    ],
  };

  it("says 'invited' for a 202 and lists the pending invitation, which an admin can revoke", async () => {
    let pending: Invitation[] = [];
    const seen = fakeApi({
      [`GET /api/v1/chat/groups/${G}/invitations`]: () => ({ body: { invitations: pending } }),
      [`POST /api/v1/chat/groups/${G}/members`]: (request) => {
        const { email, role } = request.body as { email: string; role: "member" };
        pending = [invitation("i-9", G, "Team", { email, role })];
        return {
          status: 202,
          body: { status: "invited", invitation_id: "i-9", email, role, expires_at: "2026-12-11T10:00:00Z" },
        };
      },
      [`DELETE /api/v1/chat/groups/${G}/invitations/i-9`]: () => {
        pending = [];
        return { status: 204 };
      },
    });
    const changed = vi.fn();
    render(<Members group={group} me={ME} onChanged={changed} onLeft={() => undefined} />);
    await userEvent.type(screen.getByLabelText("Member email"), "grace@example.org");
    await userEvent.click(screen.getByRole("button", { name: "Add member" }));
    expect(await screen.findByText(/grace@example.org was invited as member/)).toBeTruthy();
    const invited = await screen.findByRole("list", { name: "Pending invitations" });
    expect(within(invited).getByText("grace@example.org")).toBeTruthy();

    await userEvent.click(screen.getByRole("button", { name: "Revoke invitation of grace@example.org" }));
    await waitFor(() => expect(screen.queryByRole("list", { name: "Pending invitations" })).toBeNull());
    expect(await screen.findByText(/invitation of grace@example.org was revoked/)).toBeTruthy();
    expect(seen.some((s) => s.method === "DELETE")).toBe(true);
  });

  it("says 'added' for a 201 (a user of my own tenant)", async () => {
    fakeApi({
      [`GET /api/v1/chat/groups/${G}/invitations`]: () => ({ body: { invitations: [] } }),
      [`POST /api/v1/chat/groups/${G}/members`]: () => ({
        status: 201,
        body: { user_id: "u-2", email: "colleague@example.com", username: null, role: "member", joined_at: "t" },
      }),
    });
    render(<Members group={group} me={ME} onChanged={() => undefined} onLeft={() => undefined} />);
    await userEvent.type(screen.getByLabelText("Member email"), "colleague@example.com");
    await userEvent.click(screen.getByRole("button", { name: "Add member" }));
    expect(await screen.findByText("colleague@example.com was added as member.")).toBeTruthy();
  });
});
