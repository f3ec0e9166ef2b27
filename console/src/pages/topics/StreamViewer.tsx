// The live stream viewer of one topic: where to start (latest, earliest, a time, a
// cursor), a connection badge, pause / resume / clear, the last cursor, and the events
// newest first. One stream per viewer; it closes when the viewer unmounts.
import { useEffect, useState, type FormEvent } from "react";

import { Alert, Badge, Button, Card } from "../../components/ui";
import { useEventStream, type StreamEvent, type StreamStart, type StreamStatus } from "../../hooks/useEventStream";
import { describeStart, pretty, startFrom, statusBadge, type StartForm, type StartMode } from "./stream";
import { PositionFields } from "./PositionFields";
import { RecordMeta } from "./RecordMeta";

/** The connection state, counting down the seconds to the next attempt. */
export function ConnectionBadge({ status, retryIn }: { status: StreamStatus; retryIn: number | null }) {
  const [left, setLeft] = useState(retryIn);
  useEffect(() => {
    setLeft(retryIn);
    if (retryIn === null) return;
    const timer = setInterval(() => setLeft((s) => (s === null || s <= 1 ? s : s - 1)), 1000);
    return () => clearInterval(timer);
  }, [retryIn]);
  const { text, tone } = statusBadge(status, left);
  return (
    <span role="status" aria-label={`Connection: ${text}`} data-testid="stream-status">
      <Badge tone={tone}>{text}</Badge>
    </span>
  );
}

function EventItem({ event }: { event: StreamEvent }) {
  return (
    <li className="flex flex-col gap-1 py-3" data-testid="stream-event">
      <RecordMeta record={event} />
      <pre className="max-h-80 overflow-auto rounded-md bg-slate-900 p-3 text-xs text-slate-100">
        {pretty(event.value)}
      </pre>
    </li>
  );
}

function LiveEvents({
  topic,
  projectId,
  start,
  onUseCursor,
}: {
  topic: string;
  projectId: string | null;
  start: StreamStart;
  onUseCursor(cursor: string): void;
}) {
  const stream = useEventStream({ topic, projectId, start });
  const paused = stream.status === "paused";
  const pause = stream.pause;
  const newestFirst = [...stream.events].reverse();
  return (
    <div className="flex flex-col gap-3">
      <div className="flex flex-wrap items-center gap-2">
        <ConnectionBadge status={stream.status} retryIn={stream.retryIn} />
        <span className="text-xs text-slate-500">Started {describeStart(start)}</span>
        <div className="ml-auto flex flex-wrap gap-2">
          {paused ? (
            <Button variant="secondary" onClick={stream.resume}>
              Resume
            </Button>
          ) : (
            <Button variant="secondary" onClick={pause}>
              Pause
            </Button>
          )}
          <Button variant="secondary" onClick={stream.clear} disabled={stream.events.length === 0}>
            Clear
          </Button>
          {(stream.status === "reconnecting" || stream.status === "stopped") && (
            <Button variant="ghost" onClick={stream.reconnect}>
              Reconnect now
            </Button>
          )}
        </div>
      </div>
      {stream.error && stream.status !== "live" && <Alert>{stream.error}</Alert>}
      {stream.notice && <Alert tone="info">{stream.notice}</Alert>}
      <div className="flex flex-wrap items-center gap-2 text-xs text-slate-600">
        <span>Last cursor:</span>
        {stream.cursor ? (
          <>
            <code className="break-all rounded bg-slate-100 px-1.5 py-0.5 text-slate-900" data-testid="last-cursor">
              {stream.cursor}
            </code>
            <Button variant="ghost" className="px-2 py-1 text-xs" onClick={() => onUseCursor(stream.cursor ?? "")}>
              Start from this cursor
            </Button>
          </>
        ) : (
          <span className="italic">none yet</span>
        )}
      </div>
      <p className="text-sm text-slate-600" aria-live="polite">
        {stream.events.length === 0
          ? paused
            ? "Paused. Resume to continue from the last event."
            : "Waiting for messages… Publish one to see it here."
          : `${stream.events.length} message${stream.events.length === 1 ? "" : "s"}, newest first`}
      </p>
      {newestFirst.length > 0 && (
        <ol className="divide-y divide-slate-100" aria-label="Messages">
          {newestFirst.map((event) => (
            <EventItem key={`${event.partition}:${event.offset}`} event={event} />
          ))}
        </ol>
      )}
    </div>
  );
}

const MODES: { value: StartMode; label: string }[] = [
  { value: "latest", label: "New messages only (latest)" },
  { value: "earliest", label: "The earliest message" },
  { value: "time", label: "A time" },
  { value: "cursor", label: "A cursor" },
];

/** A request from elsewhere on the page (the message browser's "stream from here") to
 * restart the stream at a cursor; a new `id` restarts it even at the same cursor. */
export interface StreamRequest {
  cursor: string;
  id: number;
}

export function StreamViewer({
  topic,
  projectId,
  request,
}: {
  topic: string;
  projectId: string | null;
  request?: StreamRequest | null;
}) {
  const [form, setForm] = useState<StartForm>({ mode: "latest", time: "", cursor: "" });
  const [start, setStart] = useState<StreamStart>({ from: "latest" });
  const [generation, setGeneration] = useState(0);
  const [formError, setFormError] = useState<string>();

  useEffect(() => {
    if (!request) return;
    setForm((f) => ({ ...f, mode: "cursor", cursor: request.cursor }));
    setFormError(undefined);
    setStart({ cursor: request.cursor });
    setGeneration((g) => g + 1);
  }, [request]);

  function apply(event: FormEvent) {
    event.preventDefault();
    const chosen = startFrom(form);
    if (!chosen.ok) {
      setFormError(chosen.error);
      return;
    }
    setFormError(undefined);
    setStart(chosen.start);
    setGeneration((g) => g + 1); // a fresh stream, even from the same point
  }

  return (
    <Card title="Live stream" className="scroll-mt-16">
      <form onSubmit={apply} noValidate className="mb-4 flex flex-wrap items-end gap-3">
        <PositionFields
          modes={MODES}
          labels={{ mode: "Start from", time: "Start time", cursor: "Cursor" }}
          cursorHint="An event id, e.g. 0:12 — the stream resumes after it."
          form={form}
          onChange={setForm}
          error={formError}
          onModeChange={() => setFormError(undefined)}
          fieldClass="min-w-48 flex-1"
        />
        <Button type="submit" variant="secondary">
          Restart stream
        </Button>
      </form>
      <LiveEvents
        key={generation}
        topic={topic}
        projectId={projectId}
        start={start}
        onUseCursor={(cursor) => {
          setForm({ ...form, mode: "cursor", cursor });
          setFormError(undefined);
        }}
      />
    </Card>
  );
}
