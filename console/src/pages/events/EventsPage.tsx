// The event log: the app events (todos, math, chat, interactions) of the user's tenant as
// the audit consumer stored them, newest first, with filters, paging and auto-refresh.
import { useEffect, useState } from "react";

import { api, unwrap } from "../../api/client";
import { PageNav } from "../../components/PagedCard";
import { Alert, Badge, Button, Card, Empty, Loading, PageHeader, Select } from "../../components/ui";
import { useLoad } from "../../hooks/useApi";
import { PAGE_SIZE, POLL_MS, summarize, TOPICS, type AppEvent } from "./events";
import { formatDateTime, formatTime } from "../../lib/time";

const TOPIC_TONES: Record<string, "success" | "warning" | "info" | "error"> = {
  todos: "success",
  logs: "info",
  chat: "warning",
  interactions: "info",
};

function EventRow({ event }: { event: AppEvent }) {
  const summary = summarize(event);
  return (
    <li className="flex flex-col gap-1 py-3" data-testid="event-row">
      <div className="flex flex-wrap items-center gap-2">
        <span className="font-mono text-sm font-medium">{event.type}</span>
        <Badge tone={TOPIC_TONES[event.topic] ?? "info"}>{event.topic}</Badge>
        <time dateTime={event.occurred_at} className="ml-auto text-xs text-slate-500">
          {formatDateTime(event.occurred_at)}
        </time>
      </div>
      {summary && <p className="break-words text-sm text-slate-700">{summary}</p>}
      <details className="group">
        <summary className="cursor-pointer text-xs text-indigo-700 hover:underline">
          Payload<span className="sr-only"> of {event.type} at {formatDateTime(event.occurred_at)}</span>
        </summary>
        <dl className="mt-2 grid grid-cols-[auto_minmax(0,1fr)] gap-x-3 gap-y-1 text-xs text-slate-600">
          <dt>Event id</dt>
          <dd className="break-all font-mono">{event.event_id}</dd>
          {event.key !== null && (
            <>
              <dt>Key</dt>
              <dd className="break-all font-mono">{event.key}</dd>
            </>
          )}
          <dt>Stored</dt>
          <dd>{formatDateTime(event.stored_at)}</dd>
        </dl>
        <pre className="mt-2 max-h-96 overflow-auto rounded-md bg-slate-900 p-3 text-xs text-slate-100">
          {JSON.stringify(event.payload, null, 2)}
        </pre>
      </details>
    </li>
  );
}

export default function EventsPage() {
  const [topic, setTopic] = useState("");
  const [type, setType] = useState("");
  const [page, setPage] = useState(0);
  const [auto, setAuto] = useState(false);
  const [updatedAt, setUpdatedAt] = useState<Date | null>(null);

  const events = useLoad(
    () =>
      unwrap(
        api.GET("/api/v1/events", {
          params: {
            query: {
              limit: PAGE_SIZE,
              offset: page * PAGE_SIZE,
              topic: topic || undefined,
              type: type || undefined,
            },
          },
        }),
      ),
    [topic, type, page],
  );
  const { reload } = events;

  useEffect(() => {
    if (events.data) setUpdatedAt(new Date());
  }, [events.data]);

  useEffect(() => {
    if (!auto) return;
    const timer = window.setInterval(() => void reload(), POLL_MS);
    return () => window.clearInterval(timer);
  }, [auto, reload]);

  const types = topic ? (TOPICS.find((t) => t.topic === topic)?.types ?? []) : TOPICS.flatMap((t) => t.types);
  const items = events.data?.items ?? [];

  return (
    <div className="flex flex-col gap-4">
      <PageHeader title="Event log">
        <label className="flex items-center gap-2 text-sm text-slate-700">
          <input
            type="checkbox"
            className="h-4 w-4 accent-indigo-600"
            checked={auto}
            onChange={(e) => setAuto(e.target.checked)}
          />
          Auto-refresh (every {POLL_MS / 1000} s)
        </label>
        <Button variant="secondary" busy={events.loading && !!events.data} onClick={() => void reload()}>
          Refresh
        </Button>
      </PageHeader>
      <p className="text-sm text-slate-600">
        What your apps did: todos, calculations, chat and recommender interactions, as the audit consumer
        stored them (a moment after they happen).
      </p>
      <Card>
        <div className="mb-3 grid gap-3 sm:grid-cols-2">
          <Select
            label="Topic"
            value={topic}
            onChange={(e) => {
              setTopic(e.target.value);
              setType("");
              setPage(0);
            }}
          >
            <option value="">All topics</option>
            {TOPICS.map((t) => (
              <option key={t.topic} value={t.topic}>
                {t.topic}
              </option>
            ))}
          </Select>
          <Select
            label="Type"
            value={type}
            onChange={(e) => {
              setType(e.target.value);
              setPage(0);
            }}
          >
            <option value="">All types</option>
            {types.map((t) => (
              <option key={t} value={t}>
                {t}
              </option>
            ))}
          </Select>
        </div>
        {events.error && <Alert>{events.error}</Alert>}
        {events.loading && !events.data ? (
          <Loading label="Loading events" />
        ) : items.length === 0 && !events.error ? (
          <Empty>
            {page > 0
              ? "No older events."
              : topic || type
                ? "No events match these filters yet."
                : "No events yet. Create a todo or run a calculation, then refresh."}
          </Empty>
        ) : (
          <ul aria-label="Events" className="divide-y divide-slate-100">
            {items.map((event) => (
              <EventRow key={event.event_id} event={event} />
            ))}
          </ul>
        )}
        <div className="mt-3 flex flex-wrap items-center gap-2">
          <PageNav
            label="Event pages"
            page={page}
            hasMore={events.data?.has_more ?? false}
            onChange={setPage}
            previous="Newer"
            next="Older"
          />
          {updatedAt && (
            <p className="ml-auto text-xs text-slate-500">
              Updated {formatTime(updatedAt)}
            </p>
          )}
        </div>
      </Card>
    </div>
  );
}
