// Browse a topic's stored messages without a live stream: by partition, from the newest,
// the oldest, an offset or a time, filtered by exact key, a page at a time. Each message
// shows its size and headers, copies as JSON, and can start the live stream at itself.
import { useState, type FormEvent } from "react";

import { api, unwrap } from "../../api/client";
import { formatBytes } from "../../components/charts/scale";
import { Alert, Button, Card, CopyButton, Empty, Select, TextField } from "../../components/ui";
import { useAction } from "../../hooks/useApi";
import {
  browseQuery,
  cursorFrom,
  EMPTY_BROWSE,
  messageJson,
  type BrowsedMessage,
  type BrowseErrors,
  type BrowseForm,
  type BrowseFrom,
  type BrowseQuery,
} from "./browse";
import { RecordMeta } from "./RecordMeta";
import { pretty } from "./stream";

const FROM: { value: BrowseFrom; label: string }[] = [
  { value: "newest", label: "The newest (newest first)" },
  { value: "oldest", label: "The oldest (oldest first)" },
  { value: "offset", label: "An offset" },
  { value: "time", label: "A time" },
];

function MessageItem({
  message,
  onStreamFrom,
  busy,
}: {
  message: BrowsedMessage;
  onStreamFrom(message: BrowsedMessage): void;
  busy: boolean;
}) {
  return (
    <li className="flex flex-col gap-1 py-3" data-testid="browsed-message">
      <RecordMeta record={message}>
        <span>{formatBytes(message.size)}</span>
      </RecordMeta>
      <pre className="max-h-60 overflow-auto rounded-md bg-slate-900 p-3 text-xs text-slate-100">
        {message.tombstone ? "(tombstone)" : pretty(message.value)}
      </pre>
      <div className="flex flex-wrap gap-2">
        <CopyButton text={messageJson(message)} label="Copy as JSON" />
        <Button
          variant="secondary"
          busy={busy}
          aria-label={`Stream from partition ${message.partition} offset ${message.offset}`}
          onClick={() => onStreamFrom(message)}
        >
          Stream from here
        </Button>
      </div>
    </li>
  );
}

export function MessageBrowser({
  topic,
  projectId,
  partitions,
  onStreamFrom,
}: {
  topic: string;
  projectId: string | null;
  partitions: number;
  /** Start the live stream at this cursor. */
  onStreamFrom(cursor: string): void;
}) {
  const [form, setForm] = useState<BrowseForm>(EMPTY_BROWSE);
  const [errors, setErrors] = useState<BrowseErrors>({});
  const [query, setQuery] = useState<BrowseQuery | null>(null);
  const [messages, setMessages] = useState<BrowsedMessage[] | null>(null);
  const [next, setNext] = useState<string | null>(null);
  const [starting, setStarting] = useState<string | null>(null);
  const project = projectId ? { project_id: projectId } : {};

  const load = useAction(async (q: BrowseQuery, cursor: string | null) => {
    const page = await unwrap(
      api.GET("/api/v1/topics/{name}/messages", {
        params: { path: { name: topic }, query: { ...q, ...project, ...(cursor ? { cursor } : {}) } },
      }),
    );
    setMessages((shown) => (cursor && shown ? [...shown, ...page.messages] : page.messages));
    setNext(page.next);
  });

  const streamFrom = useAction(async (message: BrowsedMessage) => {
    setStarting(`${message.partition}:${message.offset}`);
    const others = Array.from({ length: partitions }, (_, p) => p).filter((p) => p !== message.partition);
    const firstAfter: Record<number, number | undefined> = {};
    const ends: Record<number, number> = {};
    if (others.length > 0) {
      const stats = await unwrap(
        api.GET("/api/v1/topics/{name}/stats", { params: { path: { name: topic }, query: project } }),
      );
      for (const p of stats.partitions) ends[p.partition] = p.next_offset;
      if (message.timestamp) {
        const since = message.timestamp;
        await Promise.all(
          others.map(async (partition) => {
            const page = await unwrap(
              api.GET("/api/v1/topics/{name}/messages", {
                params: { path: { name: topic }, query: { ...project, partition, since, order: "asc", limit: 1 } },
              }),
            );
            firstAfter[partition] = page.messages[0]?.offset;
          }),
        );
      }
    }
    onStreamFrom(cursorFrom(message, partitions, firstAfter, ends));
  });

  async function submit(event: FormEvent) {
    event.preventDefault();
    const built = browseQuery(form, partitions);
    if (!built.ok) {
      setErrors(built.errors);
      return;
    }
    setErrors({});
    setQuery(built.query);
    await load.run(built.query, null);
  }

  const set = (patch: Partial<BrowseForm>) => setForm({ ...form, ...patch });

  return (
    <Card title="Browse messages">
      <form onSubmit={submit} noValidate className="mb-3 flex flex-col gap-3" aria-label="Browse messages">
        <div className="grid gap-3 sm:grid-cols-2">
          <Select
            label="Browse partition"
            value={form.partition}
            onChange={(e) => set({ partition: e.target.value })}
            error={errors.partition}
          >
            <option value="">All partitions</option>
            {Array.from({ length: partitions }, (_, p) => (
              <option key={p} value={String(p)}>
                Partition {p}
              </option>
            ))}
          </Select>
          <Select label="Browse from" value={form.from} onChange={(e) => set({ from: e.target.value as BrowseFrom })}>
            {FROM.map((f) => (
              <option key={f.value} value={f.value}>
                {f.label}
              </option>
            ))}
          </Select>
          {form.from === "offset" && (
            <TextField
              label="Offset"
              inputMode="numeric"
              value={form.offset}
              onChange={(e) => set({ offset: e.target.value })}
              error={errors.offset ?? load.fieldError("offset")}
              hint="Messages from this offset on, oldest first."
            />
          )}
          {form.from === "time" && (
            <TextField
              label="Browse from time"
              type="datetime-local"
              step={1}
              value={form.time}
              onChange={(e) => set({ time: e.target.value })}
              error={errors.time ?? load.fieldError("since")}
              hint="Your local time; messages from then on, oldest first."
            />
          )}
          <TextField
            label="Key filter"
            value={form.key}
            spellCheck={false}
            autoComplete="off"
            onChange={(e) => set({ key: e.target.value })}
            error={errors.key ?? load.fieldError("key")}
            hint="Only messages with exactly this key; empty shows all."
          />
        </div>
        <div>
          <Button type="submit" busy={load.busy && messages === null}>
            Show messages
          </Button>
        </div>
      </form>
      {load.error && <Alert>{load.error}</Alert>}
      {streamFrom.error && <Alert>{streamFrom.error}</Alert>}
      {messages !== null && messages.length === 0 && (
        <Empty>{next ? "No match in this stretch of the log yet: load more to keep looking." : "No messages match."}</Empty>
      )}
      {messages !== null && messages.length > 0 && (
        <>
          <p className="text-sm text-slate-600" aria-live="polite">
            {messages.length} message{messages.length === 1 ? "" : "s"}
            {query?.order === "desc" ? ", newest first" : ", oldest first"}
          </p>
          <ol className="divide-y divide-slate-100" aria-label="Browse results">
            {messages.map((m) => (
              <MessageItem
                key={`${m.partition}:${m.offset}`}
                message={m}
                busy={streamFrom.busy && starting === `${m.partition}:${m.offset}`}
                onStreamFrom={(message) => void streamFrom.run(message)}
              />
            ))}
          </ol>
        </>
      )}
      {next && query && (
        <Button variant="secondary" busy={load.busy && messages !== null} onClick={() => void load.run(query, next)}>
          {query.order === "desc" ? "Load older" : "Load newer"}
        </Button>
      )}
    </Card>
  );
}
