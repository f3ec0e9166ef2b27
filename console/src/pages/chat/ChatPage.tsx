// Group chat: the user's invitations (when there are some), groups and a create form
// beside the selected group's conversation (live over a WebSocket) and members. Stacked
// on phones.
import { useParams } from "react-router";

import { api, unwrap } from "../../api/client";
import { useLoad } from "../../hooks/useApi";
import { Card, Empty, PageHeader } from "../../components/ui";
import { GroupList } from "./GroupList";
import { GroupView } from "./GroupView";
import { Invitations } from "./Invitations";

export default function ChatPage() {
  const { groupId } = useParams();
  const groups = useLoad(() => unwrap(api.GET("/api/v1/chat/groups")), []);
  return (
    <>
      <PageHeader title="Chat" />
      <div className="grid gap-4 md:grid-cols-[16rem_minmax(0,1fr)]">
        <div className="flex flex-col gap-4 self-start">
          <Invitations onJoined={groups.reload} />
          <GroupList groups={groups} selected={groupId} />
        </div>
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
