// The topics of the current project with their statistics: create (name, partitions,
// retention), rename, delete, and a link to each topic's page.
import { useState } from "react";
import { Link } from "react-router";

import { api, unwrap } from "../../api/client";
import { CreateForm } from "../../components/CreateForm";
import { ListCard } from "../../components/ListCard";
import { EditForm } from "../../components/EditForm";
import { Alert, Badge, Button, PageHeader, Table, TextField, td, th } from "../../components/ui";
import { useAction, useLoad } from "../../hooks/useApi";
import { useProject } from "../../hooks/useProject";
import {
  checkTopicName,
  RETENTION_BYTES_MIN,
  topicBody,
  TOPIC_NAME_HINT,
  type TopicForm,
  type TopicFormErrors,
} from "./rules";
import { LIST_POLL_MS, TopicFigureCells } from "./TopicFigures";
import { usePoll } from "../../hooks/usePoll";
import { describeRetention, type Topic } from "./topicText";
import { formatDate } from "../../lib/time";

const EMPTY: TopicForm = { name: "", partitions: "1", retentionHours: "", retentionBytes: "" };

function projectQuery(projectId: string | null) {
  return projectId ? { project_id: projectId } : {};
}

function CreateTopic({ projectId, onCreated }: { projectId: string | null; onCreated(): void }) {
  const [form, setForm] = useState<TopicForm>(EMPTY);
  const [errors, setErrors] = useState<TopicFormErrors>({});
  const [created, setCreated] = useState<string | null>(null);
  const create = useAction(async () => {
    const built = topicBody(form);
    if (!built.ok) throw new Error("Check the form's fields."); // check() ran on the same fields first
    await unwrap(api.POST("/api/v1/topics", { params: { query: projectQuery(projectId) }, body: built.body }));
    setCreated(built.body.name);
  });

  const field = (name: keyof TopicForm) => ({
    value: form[name],
    onChange: (e: { target: { value: string } }) => {
      setForm({ ...form, [name]: e.target.value });
      setCreated(null);
    },
  });

  return (
    <CreateForm
      title="New topic"
      submitLabel="Create topic"
      action={create}
      check={() => {
        setCreated(null);
        const built = topicBody(form);
        setErrors(built.ok ? {} : built.errors);
        return built.ok;
      }}
      onCreated={() => {
        setForm(EMPTY);
        onCreated();
      }}
      notice={created && <Alert tone="success">Topic {created} created.</Alert>}
    >
      <div className="grid gap-3 md:grid-cols-2">
        <TextField
          label="Topic name"
          spellCheck={false}
          autoComplete="off"
          {...field("name")}
          error={errors.name ?? create.fieldError("name")}
          hint={TOPIC_NAME_HINT}
        />
        <TextField
          label="Partitions"
          inputMode="numeric"
          {...field("partitions")}
          error={errors.partitions ?? create.fieldError("partitions")}
          hint="More partitions spread the load; messages keep their order per key."
        />
        <TextField
          label="Retention in hours (optional)"
          inputMode="numeric"
          {...field("retentionHours")}
          error={errors.retentionHours ?? create.fieldError("retention_hours")}
          hint="Empty keeps the server default."
        />
        <TextField
          label="Retention in bytes (optional)"
          inputMode="numeric"
          {...field("retentionBytes")}
          error={errors.retentionBytes ?? create.fieldError("retention_bytes")}
          hint={`At least ${RETENTION_BYTES_MIN}; empty keeps the server default.`}
        />
      </div>
    </CreateForm>
  );
}

function RenameTopic({
  topic,
  projectId,
  onDone,
}: {
  topic: Topic;
  projectId: string | null;
  onDone(renamed: boolean): void;
}) {
  const [name, setName] = useState(topic.name);
  const [error, setError] = useState<string>();
  const rename = useAction(async () =>
    unwrap(
      api.PATCH("/api/v1/topics/{name}", {
        params: { path: { name: topic.name }, query: projectQuery(projectId) },
        body: { name: name.trim() },
      }),
    ),
  );

  function check() {
    const to = name.trim();
    const problem = checkTopicName(to);
    setError(problem);
    if (problem) return false;
    if (to !== topic.name) return true;
    onDone(false); // the same name: nothing to send
    return false;
  }

  return (
    <EditForm action={rename} check={check} onDone={onDone} submitLabel="Save name">
      <TextField
        label={`New name for ${topic.name}`}
        value={name}
        autoFocus
        spellCheck={false}
        onChange={(e) => setName(e.target.value)}
        error={error ?? rename.fieldError("name")}
      />
    </EditForm>
  );
}

function TopicRow({
  topic,
  projectId,
  onChanged,
}: {
  topic: Topic;
  projectId: string | null;
  onChanged(): void;
}) {
  const [renaming, setRenaming] = useState(false);
  const remove = useAction(async () =>
    unwrap(
      api.DELETE("/api/v1/topics/{name}", {
        params: { path: { name: topic.name }, query: projectQuery(projectId) },
      }),
    ),
  );
  const app = topic.kind === "app";

  async function onDelete() {
    if (
      !window.confirm(
        `Delete the topic '${topic.name}' and all its messages? Open streams on it are closed. This cannot be undone.`,
      )
    )
      return;
    if (await remove.run()) onChanged();
  }

  return (
    <tr>
      <td className={td}>
        {renaming ? (
          <RenameTopic
            topic={topic}
            projectId={projectId}
            onDone={(renamed) => {
              setRenaming(false);
              if (renamed) onChanged();
            }}
          />
        ) : (
          <div className="flex flex-wrap items-center gap-2">
            <Link to={`/topics/${encodeURIComponent(topic.name)}`} className="font-medium text-indigo-700 hover:underline">
              {topic.name}
            </Link>
            {app && <Badge>built-in app</Badge>}
            {topic.schema_version != null && <Badge tone="success">schema v{topic.schema_version}</Badge>}
          </div>
        )}
        {remove.error && (
          <div className="mt-2">
            <Alert>{remove.error}</Alert>
          </div>
        )}
      </td>
      <td className={`${td} tabular-nums`}>{topic.partitions}</td>
      <TopicFigureCells name={topic.name} projectId={projectId} headline={topic.stats} />
      <td className={`${td} hidden xl:table-cell`}>{describeRetention(topic)}</td>
      <td className={`${td} hidden whitespace-nowrap sm:table-cell`}>
        <time dateTime={topic.created_at}>{formatDate(topic.created_at)}</time>
      </td>
      <td className={td}>
        <div className="flex flex-wrap gap-2">
          {!app && !renaming && (
            <Button variant="secondary" aria-label={`Rename ${topic.name}`} onClick={() => setRenaming(true)}>
              Rename
            </Button>
          )}
          <Button variant="danger" aria-label={`Delete ${topic.name}`} busy={remove.busy} onClick={onDelete}>
            Delete
          </Button>
        </div>
      </td>
    </tr>
  );
}

export default function TopicsPage() {
  const { projectId, version } = useProject();
  const topics = useLoad(
    () => unwrap(api.GET("/api/v1/topics", { params: { query: projectQuery(projectId) } })),
    [projectId],
  );
  const projects = useLoad(() => unwrap(api.GET("/api/v1/projects")), [version]);
  // The list carries each topic's headline figures: keep them fresh while visible.
  const { reload } = topics;
  usePoll(() => void reload(), LIST_POLL_MS, true, false);
  const project = projects.data?.find((p) => (projectId ? p.id === projectId : p.is_default));
  const list = topics.data?.topics ?? [];

  return (
    <div className="flex flex-col gap-4">
      <PageHeader title="Topics" />
      <p className="text-sm text-slate-600">
        Project: <span className="font-medium text-slate-900">{project?.name ?? "default"}</span> (change it in the
        header).
      </p>
      <CreateTopic projectId={projectId} onCreated={() => void topics.reload()} />
      <ListCard
        title="Topics of this project"
        load={topics}
        rows={list}
        loadingLabel="Loading topics"
        empty="No topics yet: create one above."
      >
        {(rows) => (
          <Table caption="Topics">
            <thead>
              <tr>
                <th className={th} scope="col">Name</th>
                <th className={th} scope="col">Partitions</th>
                <th className={th} scope="col">Messages</th>
                <th className={`${th} hidden md:table-cell`} scope="col">Last minute</th>
                <th className={`${th} hidden lg:table-cell`} scope="col">Last message</th>
                <th className={`${th} hidden xl:table-cell`} scope="col">Retention</th>
                <th className={`${th} hidden sm:table-cell`} scope="col">Created</th>
                <th className={`${th} relative`} scope="col">
                  <span className="sr-only">Actions</span>
                </th>
              </tr>
            </thead>
            <tbody>
              {rows.map((topic) => (
                <TopicRow key={topic.id} topic={topic} projectId={projectId} onChanged={() => void topics.reload()} />
              ))}
            </tbody>
          </Table>
        )}
      </ListCard>
    </div>
  );
}
