// The live feed of one chat group over WS /api/v1/subscribe/{group_id} (see
// src/topichub/chat/live.py). Browsers cannot set headers on a WebSocket, so the access
// token goes in the first frame ({"type":"auth","token":…}). The server answers
// {"type":"subscribed"} once everything committed from then on will be delivered; the
// hook then reports `onSubscribed({reconnected})` so that the page re-fetches history
// and nothing sent while the socket was down is missed. Drops are retried with backoff;
// close codes that mean "not allowed" (4001, 4003, 4004) end it.
import { useCallback, useEffect, useRef, useState } from "react";

import * as session from "../api/session";
import { backoffDelay } from "../lib/backoff";
import { parseFrame, type MessageFrame } from "../pages/chat/messages";

export type ChatSocketState =
  | { kind: "idle" }
  | { kind: "connecting" }
  | { kind: "live" }
  | { kind: "reconnecting"; seconds: number }
  | { kind: "closed"; code: number; reason: string };

/** How long to wait for the server's "subscribed" frame before trying again. */
export const SUBSCRIBE_TIMEOUT_MS = 10_000;

/** Client-side close code of a connection that never got to "subscribed". */
const NO_ANSWER = 4000;

export function chatSocketUrl(
  groupId: string,
  location: Pick<Location, "protocol" | "host"> = window.location,
): string {
  const scheme = location.protocol === "https:" ? "wss:" : "ws:";
  return `${scheme}//${location.host}/api/v1/subscribe/${encodeURIComponent(groupId)}`;
}

/** Whether a close is final (reconnecting cannot help), and why, in words. */
export function closeOutcome(code: number, reason: string): { final: boolean; reason: string } {
  switch (code) {
    case 4001:
      return { final: true, reason: "your session has ended, please sign in again" };
    case 4003:
      if (reason === "removed from the group") return { final: true, reason: "you were removed from this group" };
      if (reason === "origin") return { final: true, reason: "this page's address is not allowed" };
      return { final: true, reason: reason ? `not allowed (${reason})` : "not allowed" };
    case 4004:
      return { final: true, reason: "you are not a member of this group" };
    case 4008:
      return { final: false, reason: "fell behind the feed" };
    case 1001:
      return { final: false, reason: "the server is restarting" };
    default:
      return { final: false, reason: reason || "connection lost" };
  }
}

export function stateLabel(state: ChatSocketState): string {
  switch (state.kind) {
    case "idle":
      return "not connected";
    case "connecting":
      return "connecting";
    case "live":
      return "live";
    case "reconnecting":
      return `reconnecting in ${state.seconds} s`;
    case "closed":
      return `closed: ${state.reason}`;
  }
}

export interface ChatSocketOptions {
  /** Each new, edited or deleted message of the group, in the order the server sent them. */
  onFrame(frame: MessageFrame): void;
  /** The socket is live; `reconnected` when it had been live before (re-fetch history). */
  onSubscribed?(info: { reconnected: boolean }): void;
}

export function useChatSocket(groupId: string | null | undefined, options: ChatSocketOptions) {
  const [state, setState] = useState<ChatSocketState>({ kind: groupId ? "connecting" : "idle" });
  const [generation, setGeneration] = useState(0);
  const handlers = useRef(options);
  useEffect(() => {
    handlers.current = options;
  });

  useEffect(() => {
    if (!groupId) {
      setState({ kind: "idle" });
      return;
    }
    let disposed = false;
    let socket: WebSocket | null = null;
    let attempt = 0;
    let everLive = false;
    let retryTimer: ReturnType<typeof setTimeout> | undefined;
    let tickTimer: ReturnType<typeof setInterval> | undefined;
    let answerTimer: ReturnType<typeof setTimeout> | undefined;

    const stopWaiting = () => {
      clearTimeout(retryTimer);
      clearInterval(tickTimer);
      retryTimer = tickTimer = undefined;
    };

    const schedule = () => {
      const delay = backoffDelay(attempt++);
      const deadline = Date.now() + delay;
      const tick = () =>
        setState({ kind: "reconnecting", seconds: Math.max(1, Math.ceil((deadline - Date.now()) / 1000)) });
      tick();
      tickTimer = setInterval(tick, 1000);
      retryTimer = setTimeout(() => {
        stopWaiting();
        void connect();
      }, delay);
    };

    const connect = async () => {
      setState({ kind: "connecting" });
      let token: string | null = null;
      try {
        token = await session.accessToken();
      } catch {
        token = session.load()?.access ?? null;
      }
      if (disposed) return;
      if (!token) {
        setState({ kind: "closed", code: 4001, reason: closeOutcome(4001, "").reason });
        return;
      }
      let ws: WebSocket;
      try {
        ws = new WebSocket(chatSocketUrl(groupId));
      } catch {
        schedule();
        return;
      }
      socket = ws;
      let subscribed = false;
      ws.onopen = () => ws.send(JSON.stringify({ type: "auth", token }));
      answerTimer = setTimeout(() => {
        if (!subscribed && socket === ws) ws.close(NO_ANSWER, "no answer");
      }, SUBSCRIBE_TIMEOUT_MS);
      ws.onmessage = (event: MessageEvent) => {
        if (disposed || socket !== ws || typeof event.data !== "string") return;
        const frame = parseFrame(event.data);
        if (!frame) return;
        if (frame.kind === "subscribed") {
          subscribed = true;
          clearTimeout(answerTimer);
          const reconnected = everLive;
          everLive = true;
          attempt = 0;
          setState({ kind: "live" });
          handlers.current.onSubscribed?.({ reconnected });
          return;
        }
        handlers.current.onFrame(frame);
      };
      ws.onclose = (event: CloseEvent) => {
        clearTimeout(answerTimer);
        if (disposed || socket !== ws) return;
        socket = null;
        const outcome = closeOutcome(event.code, event.reason);
        if (outcome.final) setState({ kind: "closed", code: event.code, reason: outcome.reason });
        else schedule();
      };
    };

    // Back online: do not wait out the backoff.
    const online = () => {
      if (retryTimer === undefined || disposed) return;
      stopWaiting();
      void connect();
    };
    window.addEventListener("online", online);
    void connect();

    return () => {
      disposed = true;
      stopWaiting();
      clearTimeout(answerTimer);
      window.removeEventListener("online", online);
      const open = socket;
      socket = null;
      if (open && open.readyState !== WebSocket.CLOSED) open.close(1000, "bye");
    };
  }, [groupId, generation]);

  const reconnect = useCallback(() => setGeneration((g) => g + 1), []);
  return { state, label: stateLabel(state), reconnect };
}
