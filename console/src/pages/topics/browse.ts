// The message browser's logic: the query a browse form asks for, the cursor that streams
// from a browsed message on, and throughput from successive statistics.
import { PARAMETER_LIMITS } from "../../api/limits";
import type { components } from "../../api/schema";
import { localToIso } from "./position";

export type BrowsedMessage = components["schemas"]["BrowsedMessage"];
export type MessagePage = components["schemas"]["MessagePage"];
export type TopicStats = components["schemas"]["TopicStatsOut"];

export const PAGE_SIZE = 20;

export type BrowseFrom = "newest" | "oldest" | "offset" | "time";

export interface BrowseForm {
  /** "" for every partition. */
  partition: string;
  from: BrowseFrom;
  offset: string;
  /** A datetime-local value (the browser's local time). */
  time: string;
  key: string;
}

export const EMPTY_BROWSE: BrowseForm = { partition: "", from: "newest", offset: "", time: "", key: "" };

export interface BrowseQuery {
  partition?: number;
  offset?: number;
  since?: string;
  until?: string;
  key?: string;
  order: "asc" | "desc";
  limit: number;
}

export type BrowseErrors = Partial<Record<"partition" | "offset" | "time" | "key", string>>;

const MAX_KEY_LENGTH = PARAMETER_LIMITS["GET /api/v1/topics/{name}/messages"].key.maxLength;

/** The query the form asks for, or what is wrong with it. "From an offset" and "from a
 * time" read forwards (oldest first) from that point; "newest" reads backwards. */
export function browseQuery(
  form: BrowseForm,
  partitions: number,
): { ok: true; query: BrowseQuery } | { ok: false; errors: BrowseErrors } {
  const errors: BrowseErrors = {};
  const query: BrowseQuery = { order: form.from === "newest" ? "desc" : "asc", limit: PAGE_SIZE };
  if (form.partition !== "") {
    const partition = Number(form.partition);
    if (!Number.isInteger(partition) || partition < 0 || partition >= partitions)
      errors.partition = `Choose a partition from 0 to ${partitions - 1}.`;
    else query.partition = partition;
  }
  if (form.from === "offset") {
    const text = form.offset.trim();
    if (form.partition === "") errors.partition = "An offset belongs to one partition: choose it.";
    if (!/^\d{1,18}$/.test(text)) errors.offset = "Enter an offset: a whole number of 0 or more.";
    else query.offset = Number(text);
  }
  if (form.from === "time") {
    const since = form.time ? localToIso(form.time) : null;
    if (!since) errors.time = "Choose a date and time to start from.";
    else query.since = since;
  }
  if (form.key !== "") {
    if (form.key.length > MAX_KEY_LENGTH) errors.key = `A key has at most ${MAX_KEY_LENGTH} characters.`;
    else query.key = form.key;
  }
  return Object.keys(errors).length > 0 ? { ok: false, errors } : { ok: true, query };
}

/** A message as JSON, the way "Copy as JSON" puts it on the clipboard. */
export function messageJson(message: BrowsedMessage): string {
  return JSON.stringify(message, null, 2);
}

/** A stream cursor that starts at `message` itself: its partition at its offset, every
 * other partition at its first message at or after the message's time (`firstAfter`,
 * from a browse of that partition), or its end (`ends`, from the statistics) when it has
 * none. A stream cursor holds the next offset to read of every partition. */
export function cursorFrom(
  message: Pick<BrowsedMessage, "partition" | "offset">,
  partitions: number,
  firstAfter: Record<number, number | undefined>,
  ends: Record<number, number>,
): string {
  const pairs: string[] = [];
  for (let p = 0; p < partitions; p += 1) {
    const offset = p === message.partition ? message.offset : (firstAfter[p] ?? ends[p] ?? 0);
    pairs.push(`${p}:${offset}`);
  }
  return pairs.join(",");
}

/** Messages written per second between two statistics samples (from the partitions' next
 * offsets, which only grow; null when the topic was recreated in between). */
export function throughput(
  before: { at: number; stats: TopicStats },
  after: { at: number; stats: TopicStats },
): number | null {
  const seconds = (after.at - before.at) / 1000;
  if (seconds <= 0) return null;
  const written = totalWritten(after.stats) - totalWritten(before.stats);
  return written < 0 ? null : written / seconds;
}

export function totalWritten(stats: TopicStats): number {
  return stats.partitions.reduce((sum, p) => sum + p.next_offset, 0);
}

/** "3 messages/s", "0.2 messages/s", "no messages". */
export function formatRate(perSecond: number): string {
  if (perSecond === 0) return "0 messages/s";
  const digits = perSecond >= 10 ? 0 : perSecond >= 1 ? 1 : 2;
  return `${perSecond.toFixed(digits)} messages/s`;
}
