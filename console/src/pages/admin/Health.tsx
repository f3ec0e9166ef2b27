// Admin → Health: what an operator looks at first when something is slow. The database,
// the log engine (brokers and partitions on Kafka), Redis, every process with its open
// streams, and this process's requests and messages per minute over the last hour.
// Refreshed every 10 s while the tab is visible.
import { useState, type ReactNode } from "react";

import { api, unwrap } from "../../api/client";
import { describe } from "../../api/errors";
import type { components } from "../../api/schema";
import { BarChart } from "../../components/charts/BarChart";
import { formatCompact, formatCount } from "../../components/charts/scale";
import { Alert, Badge, Card, Spinner, Table, td, th } from "../../components/ui";
import { usePoll } from "../../hooks/usePoll";
import { formatDateTime, formatTime } from "../../lib/time";

export type Health = components["schemas"]["HealthOut"];
type Status = "ok" | "down" | "off";

export const HEALTH_POLL_MS = 10_000;

const STATUS: Record<Status, { text: string; tone: "success" | "error" | "info" }> = {
  ok: { text: "OK", tone: "success" },
  down: { text: "Down", tone: "error" },
  off: { text: "Not configured", tone: "info" },
};

function Component({
  name,
  status,
  latency,
  error,
  children,
}: {
  name: string;
  status: Status;
  latency: number | null;
  error?: string | null | undefined;
  children?: ReactNode;
}) {
  return (
    <section className="flex flex-col gap-1 rounded-md p-3 ring-1 ring-slate-200" aria-label={name}>
      <div className="flex items-center justify-between gap-2">
        <h3 className="font-medium">{name}</h3>
        <Badge tone={STATUS[status].tone}>{STATUS[status].text}</Badge>
      </div>
      {latency !== null && <p className="text-xs text-slate-500">answered in {latency} ms</p>}
      {error && <p className="text-xs text-red-700">{error}</p>}
      {children && <div className="text-sm text-slate-700">{children}</div>}
    </section>
  );
}

/** Words for the log engine: "embedded log (the database)", "Kafka: 3 brokers, …". */
export function describeLog(log: Health["log"]): string[] {
  const lines: string[] = [];
  if (log.engine === "kafka") {
    const brokers = log.brokers ?? [];
    lines.push(
      `Kafka: ${brokers.length} broker${brokers.length === 1 ? "" : "s"}` +
        (brokers.length ? ` (${brokers.map((b) => `${b.host}:${b.port}`).join(", ")})` : ""),
    );
    if (log.cluster_topics !== null && log.cluster_partitions !== null)
      lines.push(`cluster: ${formatCount(log.cluster_topics)} topics, ${formatCount(log.cluster_partitions)} partitions`);
  } else {
    lines.push("embedded log (in the database)");
  }
  if (log.topics !== null && log.partitions !== null)
    lines.push(`topichub: ${formatCount(log.topics)} topics, ${formatCount(log.partitions)} partitions`);
  return lines;
}

export function HealthPage({ pollMs = HEALTH_POLL_MS }: { pollMs?: number }) {
  const [health, setHealth] = useState<Health>();
  const [error, setError] = useState<string | null>(null);
  usePoll(() => {
    unwrap(api.GET("/api/v1/admin/health"))
      .then((next) => {
        setHealth(next);
        setError(null);
      })
      .catch((caught: unknown) => setError(describe(caught)));
  }, pollMs);

  if (!health) return error ? <Alert>{error}</Alert> : <Spinner label="Loading health" />;
  const { database, log, redis, processes, rates } = health;
  const minutes = rates.minutes;
  return (
    <div className="flex flex-col gap-4">
      {error && <Alert tone="warning">Showing the last answer: {error}</Alert>}
      <Card
        title="Platform health"
        actions={
          <Badge tone={health.status === "ok" ? "success" : "warning"}>
            {health.status === "ok" ? "All components answer" : "Degraded"}
          </Badge>
        }
      >
        <p className="mb-3 text-xs text-slate-500">
          Checked {formatDateTime(health.checked_at)} · version {health.version}
        </p>
        <div className="grid gap-3 md:grid-cols-3">
          <Component name="Database" status={database.status} latency={database.latency_ms} error={database.error}>
            {database.dialect}
          </Component>
          <Component name="Log engine" status={log.status} latency={log.latency_ms} error={log.error}>
            {describeLog(log).map((line) => (
              <p key={line}>{line}</p>
            ))}
          </Component>
          <Component name="Redis" status={redis.status} latency={redis.latency_ms} error={redis.error}>
            {redis.status === "off" && "limits and stream slots are counted per process"}
          </Component>
        </div>
      </Card>
      <Card title={`Processes (${processes.length})`}>
        {health.processes_error && <Alert tone="warning">{health.processes_error}</Alert>}
        <Table caption="Processes">
          <thead>
            <tr>
              <th className={th} scope="col">Process</th>
              <th className={th} scope="col">Open streams</th>
            </tr>
          </thead>
          <tbody>
            {processes.map((p) => (
              <tr key={p.process_id}>
                <td className={`${td} font-mono`}>
                  {p.process_id} {p.this_process && <Badge>this process</Badge>}
                </td>
                <td className={`${td} tabular-nums`}>{formatCount(p.open_streams)}</td>
              </tr>
            ))}
          </tbody>
        </Table>
      </Card>
      <Card title="Last hour (this process)">
        <p className="mb-3 text-sm text-slate-700" data-testid="rate-totals">
          {formatCount(rates.requests)} requests · {formatCount(rates.messages_in)} messages in ·{" "}
          {formatCount(rates.messages_out)} messages out
          {rates.since && <span className="text-slate-500"> (since {formatTime(rates.since)})</span>}
        </p>
        {minutes.length === 0 ? (
          <p className="text-sm text-slate-500">No figures yet: the first minute is being measured.</p>
        ) : (
          <BarChart
            title="Requests and messages per minute"
            description="Requests answered, messages stored and messages delivered to streams by this process, per minute."
            categories={minutes.map((m) => m.minute)}
            categoryLabel={(minute) => formatTime(minute)}
            series={[
              { name: "Requests", color: "#4f46e5", values: minutes.map((m) => m.requests) },
              { name: "Messages in", color: "#059669", values: minutes.map((m) => m.messages_in) },
              { name: "Messages out", color: "#d97706", values: minutes.map((m) => m.messages_out) },
            ]}
            formatTick={formatCompact}
            formatValue={formatCount}
            xLabel="Minute"
            yLabel="Per minute"
          />
        )}
      </Card>
    </div>
  );
}
