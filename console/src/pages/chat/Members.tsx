// A group's members with their roles. Group admins add people by email (a user of their
// own tenant at once, anyone else by an invitation they accept) and remove members;
// anyone may leave. The server has the last word: its
// 403/404/409 answers (e.g. "The group's last admin cannot be removed") are shown as is.
import { useState, type FormEvent } from "react";

import { api, unwrap } from "../../api/client";
import { useAction, useLoad } from "../../hooks/useApi";
import { checkEmail } from "../../lib/validate";
import { Alert, Badge, Button, Card, Select, TextField } from "../../components/ui";
import {
  memberName,
  ROLES,
  type ChatRole,
  type GroupDetail,
  type Invitation,
  type Member,
} from "./messages";

const ROLE_TONE: Record<ChatRole, "info" | "warning" | "success"> = {
  admin: "warning",
  moderator: "success",
  member: "info",
};

export function Members({
  group,
  me,
  onChanged,
  onLeft,
}: {
  group: GroupDetail;
  me: string | undefined;
  onChanged(): Promise<void> | void;
  onLeft(): Promise<void> | void;
}) {
  const isAdmin = group.role === "admin";
  const [email, setEmail] = useState("");
  const [role, setRole] = useState<ChatRole>("member");
  const [emailError, setEmailError] = useState<string>();
  const [notice, setNotice] = useState<string | null>(null);

  // The group's pending invitations: admins only (others get 403, so do not ask).
  const pending = useLoad(
    () =>
      isAdmin
        ? unwrap(
            api.GET("/api/v1/chat/groups/{group_id}/invitations", {
              params: { path: { group_id: group.id } },
            }),
          )
        : Promise.resolve({ invitations: [] as Invitation[] }),
    [group.id, isAdmin],
  );

  const revoke = useAction(async (invitation: Invitation) => {
    await unwrap(
      api.DELETE("/api/v1/chat/groups/{group_id}/invitations/{invitation_id}", {
        params: { path: { group_id: group.id, invitation_id: invitation.id } },
      }),
    );
    setNotice(`The invitation of ${invitation.email} was revoked.`);
    await pending.reload();
  });

  const add = useAction(async (address: string, as: ChatRole) => {
    const answer = await unwrap(
      api.POST("/api/v1/chat/groups/{group_id}/members", {
        params: { path: { group_id: group.id } },
        body: { email: address, role: as },
      }),
    );
    setEmail("");
    setRole("member");
    if ("invitation_id" in answer) {
      // 202: not a user of our tenant. The server does not say whether the address has
      // an account; its holder sees the invitation on their chat page.
      setNotice(
        `${answer.email} was invited as ${answer.role}. They join once they accept ` +
          `(the invitation expires ${new Date(answer.expires_at).toLocaleDateString()}).`,
      );
      await pending.reload();
    } else {
      setNotice(`${memberName(answer)} was added as ${answer.role}.`);
    }
    await onChanged();
  });

  const remove = useAction(async (member: Member) => {
    await unwrap(
      api.DELETE("/api/v1/chat/groups/{group_id}/members/{user_id}", {
        params: { path: { group_id: group.id, user_id: member.user_id } },
      }),
    );
    if (member.user_id === me) {
      await onLeft();
      return;
    }
    setNotice(`${memberName(member)} was removed.`);
    await onChanged();
  });

  const submit = async (event: FormEvent) => {
    event.preventDefault();
    setNotice(null);
    const problem = checkEmail(email);
    setEmailError(problem);
    if (problem) return;
    await add.run(email.trim(), role);
  };

  const confirmRemove = async (member: Member) => {
    setNotice(null);
    add.reset();
    const self = member.user_id === me;
    const question = self
      ? `Leave the group “${group.name}”? You will need an admin to add you again.`
      : `Remove ${memberName(member)} from “${group.name}”?`;
    if (!window.confirm(question)) return;
    await remove.run(member);
  };

  return (
    <Card title={`Members (${group.members.length})`} className="self-start">
      {remove.error && <Alert>{remove.error}</Alert>}
      {notice && <Alert tone="success">{notice}</Alert>}
      <ul className="mt-2 flex flex-col divide-y divide-slate-100" aria-label="Members">
        {group.members.map((member) => {
          const self = member.user_id === me;
          return (
            <li key={member.user_id} className="flex flex-wrap items-center gap-2 py-2 text-sm">
              <div className="min-w-0 flex-1">
                <p className="truncate font-medium">
                  {memberName(member)}
                  {self && <span className="font-normal text-slate-500"> (you)</span>}
                </p>
                {member.username && member.email && (
                  <p className="truncate text-xs text-slate-500">{member.email}</p>
                )}
              </div>
              <Badge tone={ROLE_TONE[member.role]}>{member.role}</Badge>
              {(self || isAdmin) && (
                <Button
                  variant="ghost"
                  className="px-2 py-1"
                  aria-label={self ? "Leave group" : `Remove ${memberName(member)}`}
                  busy={remove.busy}
                  onClick={() => void confirmRemove(member)}
                >
                  {self ? "Leave" : "Remove"}
                </Button>
              )}
            </li>
          );
        })}
      </ul>
      {revoke.error && <Alert>{revoke.error}</Alert>}
      {(pending.data?.invitations.length ?? 0) > 0 && (
        <>
          <h3 className="mt-4 text-sm font-semibold">Invited</h3>
          <ul className="mt-1 flex flex-col divide-y divide-slate-100" aria-label="Pending invitations">
            {pending.data?.invitations.map((invitation) => (
              <li key={invitation.id} className="flex flex-wrap items-center gap-2 py-2 text-sm">
                <div className="min-w-0 flex-1">
                  <p className="truncate">{invitation.email}</p>
                  <p className="text-xs text-slate-500">
                    expires {new Date(invitation.expires_at).toLocaleDateString()}
                  </p>
                </div>
                <Badge tone={ROLE_TONE[invitation.role]}>{invitation.role}</Badge>
                <Button
                  variant="ghost"
                  className="px-2 py-1"
                  aria-label={`Revoke invitation of ${invitation.email}`}
                  busy={revoke.busy}
                  onClick={() => void revoke.run(invitation)}
                >
                  Revoke
                </Button>
              </li>
            ))}
          </ul>
        </>
      )}
      {isAdmin ? (
        <form onSubmit={submit} noValidate className="mt-4 flex flex-col gap-2 border-t border-slate-100 pt-4">
          <TextField
            label="Member email"
            type="email"
            autoComplete="off"
            hint="The email of their topichub account. People outside your tenant are invited and join once they accept."
            value={email}
            onChange={(e) => {
              setEmail(e.target.value);
              setEmailError(undefined);
            }}
            error={emailError ?? add.fieldError("email")}
          />
          <Select label="Role" value={role} onChange={(e) => setRole(e.target.value as ChatRole)}>
            {ROLES.map((r) => (
              <option key={r} value={r}>
                {r}
              </option>
            ))}
          </Select>
          {add.error && !add.fieldError("email") && <Alert>{add.error}</Alert>}
          <Button type="submit" busy={add.busy}>
            Add member
          </Button>
        </form>
      ) : (
        <p className="mt-3 text-xs text-slate-500">Only group admins can add or remove members.</p>
      )}
    </Card>
  );
}
