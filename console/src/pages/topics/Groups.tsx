// A topic's consumer groups, polled every few seconds while the tab is visible: per group
// its lag, its partitions (holder, committed and end offsets, lease expiry) and members;
// reset (earliest, latest, a time, a cursor) and delete, each confirmed first; and a link
// to the dead-letter topic `{topic}.dlq` once it exists (an ordinary topic: its own page).
import { useRef, useState, type FormEvent } from "react";
import { Link } from "react-router";

import { api, unwrap } from "../../api/client";
import { ApiError, describe } from "../../api/errors";
import { formatCount } from "../../components/charts/scale";
import { Alert, Badge, Button, Card, Empty, Spinner, Table, td, th } from "../../components/ui";
import { useAction } from "../../hooks/useApi";
import { usePoll } from "../../hooks/usePoll";
import { formatDateTime } from "../../lib/time";
import { PositionFields } from "./PositionFields";
import {
  deadLetterTopic,
  describeReset,
  leaseText,
  memberLeaseExpiry,
  resetBody,
  type Group,
  type ResetBody,
  type ResetForm,
  type ResetMode,
} from "./groups";

export const GROUPS_POLL_MS = 5000;
/** The dead-letter topic is looked for on the first poll and then every this many polls. */
export const DLQ_CHECK_EVERY = 6;

const RESET_MODES: { value: ResetMode; label: string }[] = [
  { value: "earliest", label: "Earliest record" },
  { value: "latest", label: "Latest (skip the backlog)" },
  { value: "time", label: "A time" },
  { value: "cursor", label: "A cursor" },
];

function query(projectId: string | null) {
  return projectId ? { project_id: projectId } : {};
}

export function ConsumerGroups({
  topic,
  projectId,
  pollMs = GROUPS_POLL_MS,
}: {
  topic: string;
  projectId: string | null;
  pollMs?: number;
}) {
  const [groups, setGroups] = useState<Group[]>();
  const [error, setError] = useState<string | null>(null);
  const [loading, setLoading] = useState(false);
  const [dlqExists, setDlqExists] = useState(false);
  const [now, setNow] = useState(() => Date.now());
  const busy = useRef(false);
  const polls = useRef(0);
  const dlq = deadLetterTopic(topic);

  async function checkDeadLetters() {
    try {
      await unwrap(api.GET("/api/v1/topics/{name}", { params: { path: { name: dlq }, query: query(projectId) } }));
      setDlqExists(true);
    } catch (caught) {
      // 404: not created yet (no record was dead-lettered). Anything else: ask again later.
      if (caught instanceof ApiError && caught.status === 404) setDlqExists(false);
    }
  }

  async function load() {
    if (busy.current) return;
    busy.current = true;
    setLoading(true);
    const tick = polls.current++;
    try {
      const list = await unwrap(
        api.GET("/api/v1/topics/{name}/groups", { params: { path: { name: topic }, query: query(projectId) } }),
      );
      setGroups(list.groups);
      setError(null);
      setNow(Date.now());
      if (!dlqExists && tick % DLQ_CHECK_EVERY === 0) await checkDeadLetters();
    } catch (caught) {
      setError(describe(caught));
    } finally {
      busy.current = false;
      setLoading(false);
    }
  }

  usePoll(() => void load(), pollMs);

  const list = groups ?? [];
  return (
    <Card
      title={groups ? `Consumer groups (${groups.length})` : "Consumer groups"}
      actions={
        <Button variant="secondary" busy={loading && !!groups} onClick={() => void load()}>
          Refresh
        </Button>
      }
    >
      <div className="flex flex-col gap-4">
        {error && <Alert>{error}</Alert>}
        {!groups && !error && <Spinner label="Loading consumer groups" />}
        {groups && list.length === 0 && (
          <Empty>No consumer groups yet: the first poll of a group (POST …/groups/NAME/poll) creates it.</Empty>
        )}
        {list.map((group) => (
          <GroupPanel
            key={group.name}
            group={group}
            topic={topic}
            projectId={projectId}
            now={now}
            onChanged={() => void load()}
          />
        ))}
        <p className="text-sm text-slate-600" data-testid="dead-letters">
          {dlqExists ? (
            <>
              Records nacked too often are in{" "}
              <Link to={`/topics/${encodeURIComponent(dlq)}`} className="font-medium text-indigo-700 hover:underline">
                the dead-letter topic {dlq}
              </Link>
              .
            </>
          ) : (
            <>
              No dead letters: records nacked too often would go to <code>{dlq}</code>.
            </>
          )}
        </p>
      </div>
    </Card>
  );
}

function GroupPanel({
  group,
  topic,
  projectId,
  now,
  onChanged,
}: {
  group: Group;
  topic: string;
  projectId: string | null;
  now: number;
  onChanged(): void;
}) {
  const path = { name: topic, group: group.name };
  const [form, setForm] = useState<ResetForm>({ mode: "earliest", time: "", cursor: "" });
  const [formError, setFormError] = useState<string>();
  const [done, setDone] = useState<string | null>(null);
  const reset = useAction(async (body: ResetBody) =>
    unwrap(
      api.POST("/api/v1/topics/{name}/groups/{group}/reset", { params: { path, query: query(projectId) }, body }),
    ),
  );
  const remove = useAction(async () =>
    unwrap(api.DELETE("/api/v1/topics/{name}/groups/{group}", { params: { path, query: query(projectId) } })),
  );

  async function onReset(event: FormEvent) {
    event.preventDefault();
    setDone(null);
    const chosen = resetBody(form);
    if (!chosen.ok) {
      setFormError(chosen.error);
      return;
    }
    setFormError(undefined);
    const what = describeReset(chosen.body);
    if (!window.confirm(`Reset the group '${group.name}' ${what}? Its members' leases are dropped.`)) return;
    if (await reset.run(chosen.body)) {
      setDone(`Reset ${what}.`);
      onChanged();
    }
  }

  async function onDelete() {
    if (!window.confirm(`Delete the consumer group '${group.name}'? Its committed offsets are forgotten.`)) return;
    if (await remove.run()) onChanged();
  }

  return (
    <section aria-label={`Consumer group ${group.name}`} className="rounded-md p-3 ring-1 ring-slate-200">
      <div className="mb-2 flex flex-wrap items-center gap-2">
        <h3 className="font-semibold">{group.name}</h3>
        <Badge tone={group.lag > 0 ? "warning" : "success"}>lag {formatCount(group.lag)}</Badge>
        <span className="text-xs text-slate-500">
          lease {group.lease_s} s · max {group.max_attempts} attempts · retry after {group.retry_delay_ms} ms · created{" "}
          {formatDateTime(group.created_at)}
        </span>
      </div>

      <Table caption={`Partitions of group ${group.name}`}>
        <thead>
          <tr>
            <th className={th} scope="col">Partition</th>
            <th className={th} scope="col">Held by</th>
            <th className={`${th} text-right`} scope="col">Committed</th>
            <th className={`${th} text-right`} scope="col">End</th>
            <th className={`${th} text-right`} scope="col">Lag</th>
            <th className={th} scope="col">Lease expires</th>
          </tr>
        </thead>
        <tbody>
          {group.partitions.map((p) => (
            <tr key={p.partition} data-testid="group-partition">
              <td className={td}>{p.partition}</td>
              <td className={td}>{p.member ?? "—"}</td>
              <td className={`${td} text-right tabular-nums`}>{formatCount(p.committed_offset)}</td>
              <td className={`${td} text-right tabular-nums`}>{formatCount(p.end_offset)}</td>
              <td className={`${td} text-right tabular-nums`}>{formatCount(p.lag)}</td>
              <td className={td}>
                {leaseText(p.lease_expires_at, now)}
                {p.paused_until && new Date(p.paused_until).getTime() > now && (
                  <div className="text-xs text-amber-800">retry paused until {formatDateTime(p.paused_until)}</div>
                )}
              </td>
            </tr>
          ))}
        </tbody>
      </Table>

      <div className="mt-3">
        {group.members.length === 0 ? (
          <p className="text-sm text-slate-500">No live members.</p>
        ) : (
          <Table caption={`Members of group ${group.name}`}>
            <thead>
              <tr>
                <th className={th} scope="col">Member</th>
                <th className={th} scope="col">Partitions</th>
                <th className={th} scope="col">Last seen</th>
                <th className={th} scope="col">Lease expires</th>
              </tr>
            </thead>
            <tbody>
              {group.members.map((m) => (
                <tr key={m.member} data-testid="group-member">
                  <td className={`${td} font-mono text-xs`}>{m.member}</td>
                  <td className={td}>{m.partitions.length ? m.partitions.join(", ") : "none"}</td>
                  <td className={td}>{formatDateTime(m.last_seen_at)}</td>
                  <td className={td}>{leaseText(memberLeaseExpiry(m, group.partitions), now)}</td>
                </tr>
              ))}
            </tbody>
          </Table>
        )}
      </div>

      <form onSubmit={onReset} noValidate className="mt-3 flex flex-wrap items-end gap-3">
        <PositionFields
          modes={RESET_MODES}
          labels={{ mode: "Reset to", time: "Reset time", cursor: "Reset cursor" }}
          cursorHint="Partition:next offset pairs, e.g. 0:42,1:17."
          form={form}
          onChange={setForm}
          error={formError}
          onModeChange={() => setFormError(undefined)}
        />
        <Button type="submit" variant="secondary" busy={reset.busy}>
          Reset
        </Button>
        <Button variant="danger" busy={remove.busy} onClick={() => void onDelete()}>
          Delete group
        </Button>
      </form>
      <div className="mt-2 flex flex-col gap-2 empty:hidden">
        {reset.error && <Alert>{reset.error}</Alert>}
        {remove.error && <Alert>{remove.error}</Alert>}
        {done && <Alert tone="success">{done}</Alert>}
      </div>
    </section>
  );
}
