// Pure chat logic: the frames of WS /api/v1/subscribe/{group_id} (see
// src/topichub/chat/live.py), folding them into a message list, merging fetched history
// (deduplicated by id), and the checks the page runs before sending.
import { LIMITS } from "../../api/limits";
import type { components } from "../../api/schema";

export type Message = components["schemas"]["MessageOut"];
export type ChatRole = components["schemas"]["ChatRole"];
// Two packages name a model GroupOut (chat groups, consumer groups): the OpenAPI document
// names both by their module.
export type Group = components["schemas"]["topichub__chat__schemas__GroupOut"];
export type GroupDetail = components["schemas"]["GroupDetail"];
export type Member = components["schemas"]["topichub__chat__schemas__MemberOut"];
/** An invitation to a group: one addressed to the user, or a group's pending one. */
export type Invitation = components["schemas"]["InvitationOut"];

/** The server's limits (topichub.chat.schemas: MessageText, GroupName). */
export const MESSAGE_MAX = LIMITS.SendMessageIn.message.maxLength;
export const GROUP_NAME_MAX = LIMITS.GroupCreate.name.maxLength;
export const ROLES: ChatRole[] = ["member", "moderator", "admin"];

/** A frame the socket delivers to the page. */
export type MessageFrame =
  | { kind: "upsert"; event: "message_created" | "message_edited"; message: Message }
  | { kind: "delete"; id: number };

export type Frame = { kind: "subscribed"; groupId: string } | MessageFrame;

function str(value: unknown): string | null {
  return typeof value === "string" ? value : null;
}

/** One text frame of the socket, or null when it is nothing the page needs. */
export function parseFrame(text: string): Frame | null {
  let body: unknown;
  try {
    body = JSON.parse(text);
  } catch {
    return null;
  }
  if (typeof body !== "object" || body === null || Array.isArray(body)) return null;
  const frame = body as Record<string, unknown>;
  if (frame.type === "subscribed") return { kind: "subscribed", groupId: String(frame.group_id ?? "") };
  const raw = frame.id ?? frame.message_id;
  const id = typeof raw === "number" ? raw : Number(raw);
  if (!Number.isSafeInteger(id) || id < 1) return null;
  if (frame.event === "message_deleted") return { kind: "delete", id };
  if (frame.event !== "message_created" && frame.event !== "message_edited") return null;
  const text_ = str(frame.message);
  const created = str(frame.created_at);
  if (text_ === null || created === null) return null;
  return {
    kind: "upsert",
    event: frame.event,
    message: {
      id,
      group_id: String(frame.group_id ?? ""),
      user_id: str(frame.user_id),
      author: str(frame.author),
      message: text_,
      created_at: created,
      edited_at: str(frame.edited_at),
    },
  };
}

function editedAt(message: Message): number {
  return message.edited_at ? Date.parse(message.edited_at) || 0 : 0;
}

/** The later of two versions of one message (an edit wins over the original). */
function newer(a: Message, b: Message): Message {
  return editedAt(b) >= editedAt(a) ? b : a;
}

/** `list` (ascending by id) with `incoming` added or, when already there, the newer kept. */
export function upsert(list: readonly Message[], ...incoming: Message[]): Message[] {
  const byId = new Map(list.map((m) => [m.id, m]));
  for (const message of incoming) {
    const known = byId.get(message.id);
    byId.set(message.id, known ? newer(known, message) : message);
  }
  return [...byId.values()].sort((a, b) => a.id - b.id);
}

export function remove(list: readonly Message[], id: number): Message[] {
  return list.some((m) => m.id === id) ? list.filter((m) => m.id !== id) : (list as Message[]);
}

/** A live frame folded into the list. */
export function applyFrame(list: readonly Message[], frame: MessageFrame): Message[] {
  return frame.kind === "delete" ? remove(list, frame.id) : upsert(list, frame.message);
}

export interface Resync {
  /** The newest messages, fetched page by page (newest first, as the API sends them). */
  fetched: readonly Message[];
  /** The last page was short: `fetched` reaches back to the group's first message. */
  reachedStart: boolean;
}

/**
 * The list after a re-fetch of recent history (after a reconnect nothing may be missed).
 * For the id range the fetch covers the server is the truth (edits and deletions made
 * while offline show); older messages already loaded are kept. When the fetch did not
 * reach back to what was loaded (a long outage), the loaded messages are dropped rather
 * than shown with a hidden gap, and `hasOlder` says the rest can be loaded again.
 */
export function mergeResync(
  current: readonly Message[],
  { fetched, reachedStart }: Resync,
): { messages: Message[]; hasOlder: boolean | null } {
  if (reachedStart) return { messages: upsert([], ...fetched), hasOlder: false };
  if (current.length === 0) return { messages: upsert([], ...fetched), hasOlder: true };
  if (fetched.length === 0) return { messages: [...current], hasOlder: null };
  const floor = Math.min(...fetched.map((m) => m.id));
  const newestKnown = current[current.length - 1]!.id;
  if (floor > newestKnown) return { messages: upsert([], ...fetched), hasOlder: true };
  const kept = current.filter((m) => m.id < floor);
  return { messages: upsert(kept, ...fetched), hasOlder: null };
}

/** Why a message text cannot be sent, or undefined. */
export function checkMessage(text: string): string | undefined {
  const trimmed = text.trim();
  if (!trimmed) return "Enter a message.";
  if (trimmed.length > MESSAGE_MAX)
    return `Keep it to ${MESSAGE_MAX.toLocaleString("en")} characters (now ${trimmed.length.toLocaleString("en")}).`;
  if (trimmed.includes("\u0000")) return "The message contains a NUL character.";
  return undefined;
}

export function checkGroupName(name: string): string | undefined {
  const trimmed = name.trim();
  if (!trimmed) return "Enter a group name.";
  if (trimmed.length > GROUP_NAME_MAX) return `Use at most ${GROUP_NAME_MAX} characters.`;
  if (/[\u0000-\u001f]/.test(trimmed)) return "Use no control characters (tabs, line breaks).";
  return undefined;
}

/** Only the author edits a message (moderators may delete it, not reword it). */
export function canEdit(message: Message, me: string | undefined): boolean {
  return !!me && message.user_id === me;
}

/** The author, and the group's moderators and admins, delete a message. */
export function canDelete(message: Message, me: string | undefined, role: ChatRole | undefined): boolean {
  return canEdit(message, me) || role === "moderator" || role === "admin";
}

export function memberName(member: Pick<Member, "email" | "username" | "user_id">): string {
  return member.username ?? member.email ?? member.user_id;
}

/** A message's time: the clock time today, the date and time before. */
export function formatTime(iso: string, now = new Date()): string {
  const when = new Date(iso);
  if (Number.isNaN(when.getTime())) return iso;
  const time = when.toLocaleTimeString(undefined, { hour: "2-digit", minute: "2-digit" });
  if (when.toDateString() === now.toDateString()) return time;
  return `${when.toLocaleDateString(undefined, { year: "numeric", month: "short", day: "numeric" })} ${time}`;
}
