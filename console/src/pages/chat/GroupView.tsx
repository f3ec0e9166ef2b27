// The selected group: its conversation beside its members (stacked on narrow screens).
import { useCallback } from "react";
import { Link, useNavigate } from "react-router";

import { api, unwrap } from "../../api/client";
import { useAuth } from "../../auth/AuthProvider";
import { useLoad } from "../../hooks/useApi";
import { Alert, Card, Spinner } from "../../components/ui";
import { Conversation } from "./Conversation";
import { Members } from "./Members";

export function GroupView({ groupId, onGroupsChanged }: { groupId: string; onGroupsChanged(): Promise<void> }) {
  const { user } = useAuth();
  const navigate = useNavigate();
  const detail = useLoad(
    () => unwrap(api.GET("/api/v1/chat/groups/{group_id}", { params: { path: { group_id: groupId } } })),
    [groupId],
  );
  const { reload } = detail;

  const accessLost = useCallback(() => {
    void reload();
    void onGroupsChanged();
  }, [reload, onGroupsChanged]);

  const left = useCallback(async () => {
    await onGroupsChanged();
    await navigate("/chat");
  }, [onGroupsChanged, navigate]);

  const group = detail.data?.id === groupId ? detail.data : undefined;
  if (!group) {
    return (
      <Card>
        {detail.error ? (
          <div className="flex flex-col gap-3">
            <Alert>{detail.error}</Alert>
            <Link to="/chat" className="text-sm text-indigo-700 underline">
              Back to your groups
            </Link>
          </div>
        ) : (
          <div className="py-6 text-center">
            <Spinner label="Loading the group" />
          </div>
        )}
      </Card>
    );
  }
  return (
    <div className="grid min-w-0 gap-4 lg:grid-cols-[minmax(0,1fr)_17rem]">
      {detail.error && (
        <div className="lg:col-span-2">
          <Alert>{detail.error}</Alert>
        </div>
      )}
      <Conversation group={group} me={user?.id} onAccessLost={accessLost} />
      <Members group={group} me={user?.id} onChanged={reload} onLeft={left} />
    </div>
  );
}
