// One topic: its settings and statistics, a publish form, the live stream viewer and
// the message browser (whose "stream from here" restarts the viewer at a message) and the
// topic's consumer groups.
import { useState } from "react";
import { Link, useParams } from "react-router";

import { api, unwrap } from "../../api/client";
import { Alert, Badge, PageHeader, Spinner } from "../../components/ui";
import { useLoad } from "../../hooks/useApi";
import { useProject } from "../../hooks/useProject";
import { ConsumerGroups } from "./Groups";
import { PublishForm } from "./PublishForm";
import { MessageBrowser } from "./MessageBrowser";
import { SchemaEditor } from "./SchemaEditor";
import { StreamViewer, type StreamRequest } from "./StreamViewer";
import { TopicStatsCard } from "./TopicStatsCard";
import { describeRetention } from "./topicText";

export default function TopicPage() {
  const { name = "" } = useParams();
  const { projectId } = useProject();
  const topic = useLoad(
    () =>
      unwrap(
        api.GET("/api/v1/topics/{name}", {
          params: { path: { name }, query: projectId ? { project_id: projectId } : {} },
        }),
      ),
    [name, projectId],
  );
  const info = topic.data;
  const [request, setRequest] = useState<StreamRequest | null>(null);

  return (
    <div className="flex flex-col gap-4">
      <PageHeader title={`Topic ${name}`}>
        <Link to="/topics" className="rounded-md px-3 py-2 text-sm text-indigo-700 hover:bg-indigo-50">
          ← All topics
        </Link>
      </PageHeader>
      {topic.error && <Alert>{topic.error}</Alert>}
      {topic.loading && !info && <Spinner label="Loading topic" />}
      {info && !topic.error && info.name === name && (
        <>
          <p className="flex flex-wrap items-center gap-2 text-sm text-slate-600">
            {info.kind === "app" && <Badge>built-in app</Badge>}
            <span>
              {info.partitions} partition{info.partitions === 1 ? "" : "s"}
            </span>
            <span aria-hidden="true">·</span>
            <span>retention: {describeRetention(info)}</span>
          </p>
          <TopicStatsCard topic={name} projectId={projectId} />
          <div className="grid gap-4 xl:grid-cols-[minmax(0,2fr)_minmax(0,3fr)]">
            <div className="min-w-0">
              <PublishForm
                topic={name}
                projectId={projectId}
                partitions={info.partitions}
                {...(info.kind === "app"
                  ? { readOnly: `'${name}' is written by its built-in app: it can be watched, not published to.` }
                  : {})}
              />
              {info.kind !== "app" && (
                <div className="mt-4">
                  <SchemaEditor topic={name} projectId={projectId} />
                </div>
              )}
            </div>
            <div className="min-w-0" id="live-stream">
              <StreamViewer topic={name} projectId={projectId} request={request} />
            </div>
          </div>
          <MessageBrowser
            topic={name}
            projectId={projectId}
            partitions={info.partitions}
            onStreamFrom={(cursor) => {
              setRequest((r) => ({ cursor, id: (r?.id ?? 0) + 1 }));
              document.getElementById("live-stream")?.scrollIntoView?.({ behavior: "smooth", block: "start" });
            }}
          />
          <ConsumerGroups topic={name} projectId={projectId} />
        </>
      )}
    </div>
  );
}
