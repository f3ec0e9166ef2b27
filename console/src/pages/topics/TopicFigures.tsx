// A topic's headline figures in the topics list (messages retained, last hour, last
// message), from GET /topics/{name}/stats, refreshed while the tab is visible.
import { useState } from "react";

import { api, unwrap } from "../../api/client";
import { formatCount } from "../../components/charts/scale";
import { td } from "../../components/ui";
import { usePoll } from "../../hooks/usePoll";
import { formatDateTime } from "../../lib/time";
import type { TopicStats } from "./browse";

export const LIST_POLL_MS = 15_000;

export function useTopicStats(name: string, projectId: string | null, pollMs = LIST_POLL_MS) {
  const [stats, setStats] = useState<TopicStats | null>(null);
  const [failed, setFailed] = useState(false);
  usePoll(() => {
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
  }, pollMs);
  return { stats, failed };
}

export function TopicFigureCells({ name, projectId }: { name: string; projectId: string | null }) {
  const { stats, failed } = useTopicStats(name, projectId);
  const unknown = failed ? "?" : "…";
  return (
    <>
      <td className={`${td} tabular-nums`} data-testid={`messages-${name}`}>
        {stats ? formatCount(stats.messages_retained) : unknown}
      </td>
      <td className={`${td} hidden tabular-nums md:table-cell`}>
        {stats ? formatCount(stats.messages_last_hour) : unknown}
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
