// Invitations to chat groups addressed to the signed-in user's email: a group admin of
// another tenant added that email (the server answered them "invited" without saying
// whether the address has an account). Accepting joins the group with the invited role;
// declining drops the invitation. Shown only while there are some.
import { useNavigate } from "react-router";

import { api, unwrap } from "../../api/client";
import { useAction, useLoad } from "../../hooks/useApi";
import { Alert, Badge, Button, Card } from "../../components/ui";
import type { Invitation } from "./messages";

export function Invitations({ onJoined }: { onJoined(): Promise<void> | void }) {
  const navigate = useNavigate();
  const invitations = useLoad(() => unwrap(api.GET("/api/v1/chat/invitations")), []);

  const accept = useAction(async (invitation: Invitation) => {
    const group = await unwrap(
      api.POST("/api/v1/chat/invitations/{invitation_id}/accept", {
        params: { path: { invitation_id: invitation.id } },
      }),
    );
    await invitations.reload();
    await onJoined();
    await navigate(`/chat/${group.id}`);
  });

  const decline = useAction(async (invitation: Invitation) => {
    await unwrap(
      api.POST("/api/v1/chat/invitations/{invitation_id}/decline", {
        params: { path: { invitation_id: invitation.id } },
      }),
    );
    await invitations.reload();
  });

  const list = invitations.data?.invitations ?? [];
  const failure = accept.error ?? decline.error ?? invitations.error;
  if (list.length === 0 && !failure) return null;
  return (
    <Card title={`Invitations (${list.length})`} className="self-start">
      {failure && <Alert>{failure}</Alert>}
      <ul className="flex flex-col divide-y divide-slate-100" aria-label="Invitations">
        {list.map((invitation) => (
          <li key={invitation.id} className="flex flex-col gap-2 py-2 text-sm">
            <div className="min-w-0">
              <p className="truncate font-medium">{invitation.group_name}</p>
              <p className="text-xs text-slate-500">
                {invitation.invited_by ? `from ${invitation.invited_by} · ` : ""}
                expires {new Date(invitation.expires_at).toLocaleDateString()}
              </p>
            </div>
            <div className="flex items-center gap-2">
              <Badge>{invitation.role}</Badge>
              <Button
                className="px-2 py-1"
                aria-label={`Accept invitation to ${invitation.group_name}`}
                busy={accept.busy}
                disabled={decline.busy}
                onClick={() => void accept.run(invitation)}
              >
                Accept
              </Button>
              <Button
                variant="ghost"
                className="px-2 py-1"
                aria-label={`Decline invitation to ${invitation.group_name}`}
                busy={decline.busy}
                disabled={accept.busy}
                onClick={() => void decline.run(invitation)}
              >
                Decline
              </Button>
            </div>
          </li>
        ))}
      </ul>
    </Card>
  );
}
