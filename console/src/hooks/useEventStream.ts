// A live view of one topic over SSE: connects, shows its state, reconnects with backoff
// after any drop and resumes from the last event it received (no gap, no duplicate),
// and can be paused, resumed, cleared or restarted from another point.
import { useCallback, useEffect, useRef, useState } from "react";

import { describe, toApiError } from "../api/errors";
import * as session from "../api/session";
import { backoffDelay } from "../lib/backoff";
import { SSEParser, type SSEMessage } from "../lib/sse";

export type StreamStatus = "connecting" | "live" | "reconnecting" | "paused" | "stopped";

export type StreamStart =
  | { from: "latest" }
  | { from: "earliest" }
  | { since: string }
  | { cursor: string };

export interface StreamEvent {
  /** The cursor after this event: where a resume starts. */
  id: string | null;
  value: unknown;
  key: string | null;
  headers: Record<string, string>;
  partition: number;
  offset: number;
  timestamp: string;
}

export interface StreamOptions {
  topic: string;
  projectId?: string | null;
  start?: StreamStart;
  /** Keep at most this many events on screen (oldest dropped first). */
  maxEvents?: number;
}

/** Close reasons after which reconnecting cannot help. */
const FINAL_CLOSE: Record<string, string> = {
  revoked: "The stream was closed because your access was revoked.",
  forbidden: "You are not allowed to read this topic.",
  unauthenticated: "Your session has ended. Please sign in again.",
  topic_deleted: "The topic was deleted.",
};
/** Statuses after which reconnecting cannot help. */
const FINAL_STATUS = new Set([400, 403, 404, 422]);

/** What a refusal for too many open streams should tell a developer (the server's own
 * message names the limit; this says where it comes from and what frees a slot). */
export const STREAM_LIMIT_HINT =
  "Every user may keep only a few streams open at once (TOPICHUB_MAX_STREAMS_PER_USER, 2 by " +
  "default; an admin can raise it per tenant). Close another stream — another tab, a " +
  "`curl -N` — and this one reconnects by itself.";

export const HIDDEN_NOTICE =
  "Paused while this tab is hidden, so its stream slot is free for your other clients; it " +
  "resumes where it stopped when you come back.";

function isStreamLimit(status: number, message: string): boolean {
  return status === 429 && /stream/i.test(message);
}

/** True while the page is hidden (another tab, a minimised window). */
function usePageHidden(): boolean {
  const [hidden, setHidden] = useState(
    () => typeof document !== "undefined" && document.visibilityState === "hidden",
  );
  useEffect(() => {
    const update = () => setHidden(document.visibilityState === "hidden");
    document.addEventListener("visibilitychange", update);
    return () => document.removeEventListener("visibilitychange", update);
  }, []);
  return hidden;
}

export function streamUrl(
  topic: string,
  projectId: string | null | undefined,
  start: StreamStart,
): string {
  const params = new URLSearchParams();
  if ("cursor" in start) params.set("cursor", start.cursor);
  else if ("since" in start) params.set("since", start.since);
  else params.set("from", start.from);
  if (projectId) params.set("project_id", projectId);
  return `/api/v1/topics/${encodeURIComponent(topic)}/stream?${params}`;
}

export function toStreamEvent(message: SSEMessage): StreamEvent | null {
  try {
    const body = JSON.parse(message.data) as Omit<StreamEvent, "id">;
    return { ...body, id: message.id };
  } catch {
    return null;
  }
}

function sleep(ms: number, signal: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    const timer = setTimeout(resolve, ms);
    signal.addEventListener("abort", () => {
      clearTimeout(timer);
      resolve();
    });
  });
}

export function useEventStream({
  topic,
  projectId,
  start = { from: "latest" },
  maxEvents = 500,
}: StreamOptions) {
  const [status, setStatus] = useState<StreamStatus>("connecting");
  const [events, setEvents] = useState<StreamEvent[]>([]);
  const [error, setError] = useState<string | null>(null);
  const [notice, setNotice] = useState<string | null>(null);
  const [retryIn, setRetryIn] = useState<number | null>(null);
  const cursor = useRef<string | null>(null);
  /** For a stream from "latest" with no event yet: when it first went live. */
  const liveSince = useRef<string | null>(null);
  const controller = useRef<AbortController | null>(null);
  const [generation, setGeneration] = useState(0);
  const [paused, setPaused] = useState(false);
  const hidden = usePageHidden();
  const startKey = JSON.stringify(start);

  const run = useCallback(
    async (signal: AbortSignal) => {
      const begin = JSON.parse(startKey) as StreamStart;
      let attempt = 0;
      let pending: StreamEvent[] = [];
      let flushTimer: ReturnType<typeof setTimeout> | null = null;
      const flush = () => {
        flushTimer = null;
        const batch = pending;
        pending = [];
        if (batch.length && !signal.aborted)
          setEvents((old) => [...old, ...batch].slice(-maxEvents));
      };
      const handle = (message: SSEMessage): "final" | void => {
        if (message.event === "message") {
          const event = toStreamEvent(message);
          if (!event) return;
          cursor.current = message.id;
          pending.push(event);
          flushTimer ??= setTimeout(flush, 50);
        } else if (message.event === "gap") {
          setNotice("Some messages expired (retention) before they could be read; the stream continues after them.");
        } else if (message.event === "close") {
          const reason = (() => {
            try {
              return String((JSON.parse(message.data) as { reason?: string }).reason ?? "");
            } catch {
              return "";
            }
          })();
          if (reason in FINAL_CLOSE) {
            setError(FINAL_CLOSE[reason] ?? null);
            return "final";
          }
          if (reason === "slow_consumer") setNotice("The connection fell behind and was resumed.");
        }
      };

      while (!signal.aborted) {
        setStatus(attempt === 0 ? "connecting" : "reconnecting");
        setRetryIn(null);
        let waitMs: number | null = null;
        try {
          const token = await session.accessToken();
          // Resume after the last event; with none yet, a stream that started at "latest"
          // resumes from a second before it first went live (a margin for clock skew),
          // so what was published while it was paused or down is not lost.
          const from: StreamStart = cursor.current
            ? { cursor: cursor.current }
            : liveSince.current
              ? { since: liveSince.current }
              : begin;
          const response = await fetch(streamUrl(topic, projectId, from), {
            headers: {
              Accept: "text/event-stream",
              ...(token ? { Authorization: `Bearer ${token}` } : {}),
            },
            signal,
          });
          if (!response.ok || !response.body) {
            const body: unknown = await response.json().catch(() => null);
            const failure = toApiError(response, body);
            if (response.status === 401) {
              const current = session.load();
              if (!current || !(await session.refresh(current))) {
                setError(failure.message);
                setStatus("stopped");
                return;
              }
            } else if (FINAL_STATUS.has(response.status)) {
              setError(failure.message);
              setStatus("stopped");
              return;
            }
            if (failure.retryAfter) waitMs = failure.retryAfter * 1000;
            if (isStreamLimit(response.status, failure.message)) setNotice(STREAM_LIMIT_HINT);
            throw failure;
          }
          if (!liveSince.current && "from" in begin && begin.from === "latest") {
            liveSince.current = new Date(Date.now() - 1000).toISOString();
          }
          setStatus("live");
          setError(null);
          setNotice((current) => (current === STREAM_LIMIT_HINT ? null : current));
          attempt = 0;
          const parser = new SSEParser(cursor.current);
          const reader = response.body.pipeThrough(new TextDecoderStream()).getReader();
          for (;;) {
            const { value, done } = await reader.read();
            if (done) break;
            for (const message of parser.push(value)) {
              if (handle(message) === "final") {
                flush();
                await reader.cancel();
                setStatus("stopped");
                return;
              }
            }
          }
          flush();
        } catch (caught) {
          if (signal.aborted) break;
          setError(describe(caught));
        }
        if (signal.aborted) break;
        const delay = Math.max(waitMs ?? 0, backoffDelay(attempt++));
        setStatus("reconnecting");
        setRetryIn(Math.ceil(delay / 1000));
        await sleep(delay, signal);
      }
      if (flushTimer) clearTimeout(flushTimer);
      flush();
    },
    [topic, projectId, startKey, maxEvents],
  );

  // A new topic or starting point is a new stream (declared first: it runs before the
  // connection effect below).
  useEffect(() => {
    cursor.current = null;
    liveSince.current = null;
    setEvents([]);
    setNotice(null);
    setError(null);
  }, [topic, projectId, startKey]);

  // A hidden tab gives its stream slot back (the limit per user is small); coming back
  // resumes from the cursor, so nothing is missed.
  useEffect(() => {
    if (paused || hidden) {
      setStatus("paused");
      if (hidden) setNotice(HIDDEN_NOTICE);
      return;
    }
    setNotice((current) => (current === HIDDEN_NOTICE ? null : current));
    const abort = new AbortController();
    controller.current = abort;
    void run(abort.signal);
    return () => abort.abort();
  }, [run, paused, hidden, generation]);

  return {
    status,
    events,
    error,
    notice,
    retryIn,
    cursor: cursor.current,
    pause: () => setPaused(true),
    resume: () => setPaused(false),
    clear: () => setEvents([]),
    reconnect: () => setGeneration((g) => g + 1),
  };
}
