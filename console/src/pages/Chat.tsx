// Group chat: the user's groups and a create form beside the selected group's
// conversation (live over a WebSocket) and members. Stacked on phones.
import { useParams } from "react-router";

import { api, unwrap } from "../api/client";
import { useLoad } from "../hooks/useApi";
import { Card, Empty, PageHeader } from "../components/ui";
import { GroupList } from "./chat/GroupList";
import { GroupView } from "./chat/GroupView";

export default function Chat() {
  const { groupId } = useParams();
  const groups = useLoad(() => unwrap(api.GET("/api/v1/chat/groups")), []);
  return (
    <>
      <PageHeader title="Chat" />
      <div className="grid gap-4 md:grid-cols-[16rem_minmax(0,1fr)]">
        <GroupList groups={groups} selected={groupId} />
        {groupId ? (
          <GroupView key={groupId} groupId={groupId} onGroupsChanged={groups.reload} />
        ) : (
          <Card>
            <Empty>Choose a group, or create one to start chatting.</Empty>
          </Card>
        )}
      </div>
    </>
  );
}
