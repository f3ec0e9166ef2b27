// The consumer-groups card's logic: what a reset asks for, and how leases and lag read.
import { LIMITS } from "../../api/limits";
import type { components } from "../../api/schema";
import { formatDateTime, formatTime } from "../../lib/time";
import { readPosition, type PositionForm } from "./position";

export type Group = components["schemas"]["topichub__groups__schemas__GroupOut"];
export type GroupMember = components["schemas"]["topichub__groups__schemas__MemberOut"];
export type GroupPartition = components["schemas"]["PartitionOut"];
export type ResetBody = components["schemas"]["ResetIn"];

export type ResetMode = ResetBody["to"];
export type ResetForm = PositionForm<ResetMode>;

/** The body of POST …/reset the form asks for, or why it cannot be sent. */
export function resetBody(form: ResetForm): { ok: true; body: ResetBody } | { ok: false; error: string } {
  const read = readPosition(form, {
    noTime: "Choose a date and time to reset to.",
    noCursor: "Enter a cursor, e.g. 0:42,1:17.",
    cursorMax: LIMITS.ResetIn.cursor.maxLength,
  });
  if (!read.ok) return read;
  const position = read.position;
  if ("since" in position) return { ok: true, body: { to: "time", time: position.since } };
  if ("cursor" in position) return { ok: true, body: { to: "cursor", cursor: position.cursor } };
  return { ok: true, body: { to: position.from } };
}

/** What a reset does, in the words of its confirmation. */
export function describeReset(body: ResetBody): string {
  switch (body.to) {
    case "earliest":
      return "to the earliest record";
    case "latest":
      return "to the end of the topic (skipping the backlog)";
    case "time":
      return `to the first records at or after ${body.time ? formatDateTime(body.time) : "the time"}`;
    case "cursor":
      return `to cursor ${body.cursor ?? ""}`;
  }
}

/** "in 12 s", "expired 3 s ago", "—" for no lease. */
export function leaseText(expiresAt: string | null, now: number): string {
  if (!expiresAt) return "—";
  const at = new Date(expiresAt).getTime();
  if (Number.isNaN(at)) return expiresAt;
  const seconds = Math.round((at - now) / 1000);
  return seconds >= 0 ? `${formatTime(at)} (in ${seconds} s)` : `${formatTime(at)} (expired ${-seconds} s ago)`;
}

/** When a member's leases run out: the earliest expiry among the partitions it holds. */
export function memberLeaseExpiry(member: GroupMember, partitions: GroupPartition[]): string | null {
  let earliest: string | null = null;
  for (const p of partitions) {
    if (p.member !== member.member || !p.lease_expires_at) continue;
    if (earliest === null || new Date(p.lease_expires_at) < new Date(earliest)) earliest = p.lease_expires_at;
  }
  return earliest;
}

/** The dead-letter topic of a topic. */
export function deadLetterTopic(topic: string): string {
  return `${topic}.dlq`;
}
