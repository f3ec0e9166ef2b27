// Admin → Active streams: every open SSE/WebSocket stream across the processes.
import { useEffect, useState } from "react";

import { api, unwrap } from "../../api/client";
import { Alert, Button, Card, Empty, Spinner, Table, td, th } from "../../components/ui";
import { useLoad } from "../../hooks/useApi";
import { formatWhen, ShortId } from "./shared";

export interface StreamRow {
  id: string;
  userId: string | null;
  tenantId: string | null;
  topic: string | null;
  transport: string | null;
  process: string | null;
  startedAt: string | null;
}

function text(value: unknown): string | null {
  return typeof value === "string" && value ? value : null;
}

/** The active-streams answer, read defensively (the schema types it as a free dict). */
export function readStreams(body: Record<string, unknown>): { count: number; streams: StreamRow[] } {
  const raw = Array.isArray(body.streams) ? (body.streams as Record<string, unknown>[]) : [];
  const streams = raw.map((s, index) => ({
    id: text(s?.slot_id) ?? text(s?.id) ?? String(index),
    userId: text(s?.user_id),
    tenantId: text(s?.tenant_id),
    topic: text(s?.topic),
    transport: text(s?.transport),
    process: text(s?.process_id),
    startedAt: text(s?.started_at),
  }));
  return { count: typeof body.count === "number" ? body.count : streams.length, streams };
}

const AUTO_MS = 5000;

export function StreamList() {
  const streams = useLoad(
    async () => readStreams(await unwrap(api.GET("/api/v1/admin/active-streams"))),
    [],
  );
  const [auto, setAuto] = useState(false);
  const { reload } = streams;
  useEffect(() => {
    if (!auto) return;
    const timer = setInterval(() => void reload(), AUTO_MS);
    return () => clearInterval(timer);
  }, [auto, reload]);

  return (
    <Card
      title={streams.data ? `Active streams (${streams.data.count})` : "Active streams"}
      actions={
        <>
          <label className="flex items-center gap-2 text-sm text-slate-700">
            <input type="checkbox" checked={auto} onChange={(e) => setAuto(e.target.checked)} />
            Refresh every 5 s
          </label>
          <Button variant="secondary" busy={streams.loading && !!streams.data} onClick={() => void reload()}>
            Refresh
          </Button>
        </>
      }
    >
      {streams.error && <Alert>{streams.error}</Alert>}
      {streams.loading && !streams.data ? (
        <Spinner label="Loading streams" />
      ) : !streams.data?.streams.length ? (
        <Empty>No stream is open right now.</Empty>
      ) : (
        <Table caption="Active streams">
          <thead>
            <tr>
              <th className={th}>Topic</th>
              <th className={th}>Transport</th>
              <th className={th}>User</th>
              <th className={th}>Tenant</th>
              <th className={th}>Process</th>
              <th className={th}>Started</th>
            </tr>
          </thead>
          <tbody>
            {streams.data.streams.map((s) => (
              <tr key={s.id}>
                <td className={`${td} break-all`}>{s.topic ?? "—"}</td>
                <td className={td}>{s.transport ?? "—"}</td>
                <td className={td}>
                  <ShortId id={s.userId} />
                </td>
                <td className={td}>
                  <ShortId id={s.tenantId} />
                </td>
                <td className={`${td} font-mono text-xs break-all`}>{s.process ?? "—"}</td>
                <td className={`${td} whitespace-nowrap`}>{formatWhen(s.startedAt)}</td>
              </tr>
            ))}
          </tbody>
        </Table>
      )}
    </Card>
  );
}
