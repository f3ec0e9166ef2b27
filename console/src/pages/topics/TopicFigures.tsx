// A topic's headline figures in the topics list (messages retained, messages in the last
// minute, last message): from GET /topics's `stats` (the list is reloaded every 15 s while
// the tab is visible), or from GET /topics/{name}/stats for a topic listed without them.
import { useState } from "react";

import { api, unwrap } from "../../api/client";
import type { components } from "../../api/schema";
import { formatCount } from "../../components/charts/scale";
import { td } from "../../components/ui";
import { usePoll } from "../../hooks/usePoll";
import { formatDateTime } from "../../lib/time";

export const LIST_POLL_MS = 15_000;

export type Headline = Pick<
  components["schemas"]["TopicHeadline"],
  "messages_retained" | "messages_last_minute" | "last_message_at"
>;

/** The figures of a topic the list gave none for, asked of its stats. */
function useOwnStats(name: string, projectId: string | null, enabled: boolean) {
  const [stats, setStats] = useState<Headline | null>(null);
  const [failed, setFailed] = useState(false);
  usePoll(
    () => {
      unwrap(
        api.GET("/api/v1/topics/{name}/stats", {
          params: { path: { name }, query: projectId ? { project_id: projectId } : {} },
        }),
      )
        .then((next) => {
          setStats(next);
          setFailed(false);
        })
        .catch(() => setFailed(true));
    },
    LIST_POLL_MS,
    enabled,
  );
  return { stats, failed };
}

export function TopicFigureCells({
  name,
  projectId,
  headline,
}: {
  name: string;
  projectId: string | null;
  /** The list's figures; null or absent: ask the topic's stats. */
  headline?: Headline | null | undefined;
}) {
  const own = useOwnStats(name, projectId, !headline);
  const stats = headline ?? own.stats;
  const unknown = own.failed ? "?" : "…";
  return (
    <>
      <td className={`${td} tabular-nums`} data-testid={`messages-${name}`}>
        {stats ? formatCount(stats.messages_retained) : unknown}
      </td>
      <td className={`${td} hidden tabular-nums md:table-cell`}>
        {stats ? formatCount(stats.messages_last_minute) : unknown}
      </td>
      <td className={`${td} hidden whitespace-nowrap lg:table-cell`}>
        {stats ? (
          stats.last_message_at ? (
            <time dateTime={stats.last_message_at}>{formatDateTime(stats.last_message_at)}</time>
          ) : (
            <span className="italic text-slate-500">never</span>
          )
        ) : (
          unknown
        )}
      </td>
    </>
  );
}
