// One group's conversation: history (older pages on demand), live messages from the
// socket, the send box, and edit/delete of messages. After every (re)subscribe the
// recent history is fetched again and merged by id, so nothing sent, edited or deleted
// while the socket was down is missed; frames that arrive during that fetch are
// replayed on top of it.
import { useCallback, useEffect, useLayoutEffect, useRef, useState, type FormEvent, type KeyboardEvent } from "react";

import { api, unwrap } from "../../api/client";
import { describe } from "../../api/errors";
import { useAction } from "../../hooks/useApi";
import { useChatSocket, type ChatSocketState } from "../../hooks/useChatSocket";
import { Alert, Button, Card, Empty, Spinner, TextArea } from "../../components/ui";
import {
  applyFrame,
  canDelete,
  canEdit,
  checkMessage,
  formatTime,
  mergeResync,
  MESSAGE_MAX,
  remove,
  upsert,
  type GroupDetail,
  type Message,
  type MessageFrame,
} from "./messages";
import { formatDateTime } from "../../lib/time";

const PAGE = 50;
/** How far back a re-fetch after a reconnect goes before giving up on overlap. */
const MAX_RESYNC_PAGES = 10;

const DOT: Record<ChatSocketState["kind"], string> = {
  idle: "bg-slate-400",
  connecting: "bg-amber-400",
  live: "bg-emerald-500",
  reconnecting: "bg-amber-500",
  closed: "bg-red-500",
};

/** Enter sends (submits the form); Shift+Enter is a new line. */
function submitOnEnter(event: KeyboardEvent<HTMLTextAreaElement>) {
  if (event.key !== "Enter" || event.shiftKey || event.nativeEvent.isComposing) return;
  event.preventDefault();
  event.currentTarget.form?.requestSubmit();
}

export function Conversation({
  group,
  me,
  onAccessLost,
}: {
  group: GroupDetail;
  me: string | undefined;
  onAccessLost(): void;
}) {
  const groupId = group.id;
  const [messages, setMessagesState] = useState<Message[]>([]);
  const current = useRef<Message[]>([]);
  const update = useCallback((change: (list: Message[]) => Message[]) => {
    current.current = change(current.current);
    setMessagesState(current.current);
  }, []);
  const [hasOlder, setHasOlder] = useState(false);
  const [loaded, setLoaded] = useState(false);
  const [historyError, setHistoryError] = useState<string | null>(null);
  /** Frames received while a re-fetch is running, replayed on top of its result. */
  const replay = useRef<MessageFrame[] | null>(null);
  const resyncRun = useRef(0);

  const fetchPage = useCallback(
    (before?: number) =>
      unwrap(
        api.GET("/api/v1/messages/{group_id}", {
          params: { path: { group_id: groupId }, query: before ? { before, limit: PAGE } : { limit: PAGE } },
        }),
      ),
    [groupId],
  );

  const resync = useCallback(async () => {
    const run = ++resyncRun.current;
    replay.current = [];
    const newest = current.current.at(-1)?.id ?? 0;
    try {
      const fetched: Message[] = [];
      let before: number | undefined;
      let reachedStart = false;
      for (let page = 0; page < MAX_RESYNC_PAGES; page++) {
        const rows = await fetchPage(before);
        fetched.push(...rows);
        if (rows.length < PAGE) {
          reachedStart = true;
          break;
        }
        const oldest = rows[rows.length - 1]!.id;
        if (newest === 0 || oldest <= newest) break;
        before = oldest;
      }
      if (run !== resyncRun.current) return;
      const frames = replay.current ?? [];
      replay.current = null;
      const merged = mergeResync(current.current, { fetched, reachedStart });
      update(() => frames.reduce(applyFrame, merged.messages));
      if (merged.hasOlder !== null) setHasOlder(merged.hasOlder);
      setHistoryError(null);
      setLoaded(true);
    } catch (caught) {
      if (run !== resyncRun.current) return;
      replay.current = null;
      setHistoryError(describe(caught));
    }
  }, [fetchPage, update]);

  useEffect(() => {
    void resync();
  }, [resync]);

  const socket = useChatSocket(groupId, {
    onFrame(frame) {
      replay.current?.push(frame);
      update((list) => applyFrame(list, frame));
    },
    onSubscribed() {
      void resync();
    },
  });

  useEffect(() => {
    if (socket.state.kind === "closed" && (socket.state.code === 4003 || socket.state.code === 4004)) onAccessLost();
  }, [socket.state, onAccessLost]);

  // -- scrolling: keep the newest message in view; keep the place when older ones load.
  const scroller = useRef<HTMLDivElement>(null);
  const keepPlace = useRef<{ height: number; top: number } | null>(null);
  const atBottom = useRef(true);
  const newestId = messages.at(-1)?.id;
  useLayoutEffect(() => {
    const box = scroller.current;
    if (!box) return;
    if (keepPlace.current) {
      box.scrollTop = box.scrollHeight - keepPlace.current.height + keepPlace.current.top;
      keepPlace.current = null;
    } else if (atBottom.current) {
      box.scrollTop = box.scrollHeight;
    }
  }, [messages, newestId]);

  const older = useAction(async () => {
    const oldest = current.current[0]?.id;
    const box = scroller.current;
    const rows = await fetchPage(oldest);
    if (box) keepPlace.current = { height: box.scrollHeight, top: box.scrollTop };
    update((list) => upsert(list, ...rows));
    setHasOlder(rows.length === PAGE);
  });

  // -- sending
  const [draft, setDraft] = useState("");
  const [draftError, setDraftError] = useState<string>();
  const send = useAction(async (text: string) => {
    const message = await unwrap(api.POST("/api/v1/send-message/", { body: { group_id: groupId, message: text } }));
    setDraft("");
    atBottom.current = true;
    update((list) => upsert(list, message));
  });
  const submit = async (event: FormEvent) => {
    event.preventDefault();
    if (send.busy) return;
    const problem = checkMessage(draft);
    setDraftError(problem);
    if (problem) return;
    await send.run(draft.trim());
  };

  // -- editing and deleting
  const [editing, setEditing] = useState<number | null>(null);
  const [editText, setEditText] = useState("");
  const [editError, setEditError] = useState<string>();
  const edit = useAction(async (id: number, text: string) => {
    const message = await unwrap(
      api.PUT("/api/v1/edit-message/{message_id}", { params: { path: { message_id: id } }, body: { message: text } }),
    );
    update((list) => upsert(list, message));
    setEditing(null);
  });
  const del = useAction(async (id: number) => {
    await unwrap(api.DELETE("/api/v1/delete-message/{message_id}", { params: { path: { message_id: id } } }));
    update((list) => remove(list, id));
  });

  const startEdit = (message: Message) => {
    edit.reset();
    setEditError(undefined);
    setEditing(message.id);
    setEditText(message.message);
  };
  const saveEdit = async (event: FormEvent) => {
    event.preventDefault();
    if (editing === null || edit.busy) return;
    const problem = checkMessage(editText);
    setEditError(problem);
    if (problem) return;
    await edit.run(editing, editText.trim());
  };
  const confirmDelete = async (message: Message) => {
    del.reset();
    const mine = canEdit(message, me);
    const question = mine
      ? "Delete your message? Everyone in the group will stop seeing it."
      : `Delete this message by ${message.author ?? "a former member"}?`;
    if (!window.confirm(question)) return;
    await del.run(message.id);
  };

  // A message being edited that someone deleted meanwhile: stop editing it.
  useEffect(() => {
    if (editing !== null && !messages.some((m) => m.id === editing)) setEditing(null);
  }, [messages, editing]);

  const state = socket.state;
  return (
    <Card
      title={group.name}
      actions={
        <div className="flex flex-wrap items-center gap-2">
          <p role="status" aria-live="polite" className="flex items-center gap-2 text-sm text-slate-600">
            <span aria-hidden="true" className={`inline-block h-2.5 w-2.5 rounded-full ${DOT[state.kind]}`} />
            <span>
              Connection: <span data-testid="chat-connection">{socket.label}</span>
            </span>
          </p>
          {state.kind === "closed" && state.code !== 4003 && state.code !== 4004 && (
            <Button variant="secondary" className="px-2 py-1" onClick={socket.reconnect}>
              Reconnect
            </Button>
          )}
        </div>
      }
    >
      {historyError && (
        <Alert>
          Could not load the messages: {historyError}{" "}
          <button type="button" className="underline" onClick={() => void resync()}>
            Try again
          </button>
        </Alert>
      )}
      {(del.error || older.error) && <Alert>{del.error ?? older.error}</Alert>}
      <div
        ref={scroller}
        role="log"
        aria-label={`Messages in ${group.name}`}
        tabIndex={0}
        onScroll={(event) => {
          const box = event.currentTarget;
          atBottom.current = box.scrollHeight - box.scrollTop - box.clientHeight < 48;
        }}
        className="mt-2 max-h-[60vh] min-h-48 overflow-y-auto rounded-md bg-slate-50 p-2 ring-1 ring-slate-200"
      >
        {hasOlder && (
          <div className="mb-2 text-center">
            <Button variant="secondary" className="px-2 py-1" busy={older.busy} onClick={() => void older.run()}>
              Load older messages
            </Button>
          </div>
        )}
        {!loaded && !historyError ? (
          <div className="py-6 text-center">
            <Spinner label="Loading messages" />
          </div>
        ) : messages.length === 0 ? (
          loaded && <Empty>No messages yet. Say hello!</Empty>
        ) : (
          <ol className="flex flex-col gap-2">
            {messages.map((message) => {
              const mine = canEdit(message, me);
              const deletable = canDelete(message, me, group.role);
              return (
                <li
                  key={message.id}
                  className={`rounded-md px-3 py-2 text-sm ring-1 ${
                    mine ? "ml-6 bg-indigo-50 ring-indigo-100 sm:ml-16" : "mr-6 bg-white ring-slate-200 sm:mr-16"
                  }`}
                >
                  <div className="flex flex-wrap items-baseline gap-x-2 text-xs text-slate-500">
                    <span className="font-medium text-slate-800">
                      {message.author ?? "former member"}
                      {mine && " (you)"}
                    </span>
                    <time dateTime={message.created_at} title={formatDateTime(message.created_at)}>
                      {formatTime(message.created_at)}
                    </time>
                    {message.edited_at && (
                      <span title={`Edited ${formatDateTime(message.edited_at)}`}>(edited)</span>
                    )}
                  </div>
                  {editing === message.id ? (
                    <form onSubmit={saveEdit} noValidate className="mt-2 flex flex-col gap-2">
                      <TextArea
                        label="Edit message"
                        rows={2}
                        value={editText}
                        autoFocus
                        onChange={(e) => {
                          setEditText(e.target.value);
                          setEditError(undefined);
                        }}
                        onKeyDown={(e) => {
                          if (e.key === "Escape") setEditing(null);
                          else submitOnEnter(e);
                        }}
                        error={editError ?? edit.fieldError("message")}
                      />
                      {edit.error && !edit.fieldError("message") && <Alert>{edit.error}</Alert>}
                      <div className="flex flex-wrap gap-2">
                        <Button type="submit" className="px-2 py-1" busy={edit.busy}>
                          Save
                        </Button>
                        <Button variant="secondary" className="px-2 py-1" onClick={() => setEditing(null)}>
                          Cancel
                        </Button>
                      </div>
                    </form>
                  ) : (
                    <p className="mt-1 whitespace-pre-wrap break-words text-slate-900">{message.message}</p>
                  )}
                  {editing !== message.id && (mine || deletable) && (
                    <div className="mt-1 flex flex-wrap gap-1">
                      {mine && (
                        <Button variant="ghost" className="px-2 py-0.5 text-xs" onClick={() => startEdit(message)}>
                          Edit
                        </Button>
                      )}
                      {deletable && (
                        <Button
                          variant="ghost"
                          className="px-2 py-0.5 text-xs text-red-700"
                          busy={del.busy}
                          onClick={() => void confirmDelete(message)}
                        >
                          Delete
                        </Button>
                      )}
                    </div>
                  )}
                </li>
              );
            })}
          </ol>
        )}
      </div>
      <form onSubmit={submit} noValidate className="mt-3 flex flex-col gap-2">
        <TextArea
          label="Message"
          rows={2}
          value={draft}
          placeholder="Write a message…"
          hint={`${draft.trim().length.toLocaleString("en")}/${MESSAGE_MAX.toLocaleString("en")} · Enter sends, Shift+Enter adds a line`}
          onChange={(e) => {
            setDraft(e.target.value);
            setDraftError(undefined);
          }}
          onKeyDown={submitOnEnter}
          error={draftError ?? send.fieldError("message")}
        />
        {send.error && !send.fieldError("message") && <Alert>{send.error}</Alert>}
        <div className="flex justify-end">
          <Button type="submit" busy={send.busy}>
            Send
          </Button>
        </div>
      </form>
    </Card>
  );
}
