// The dashboard: today's usage against the daily quotas (warnings at 80 %), the rate
// limit the last call reported, the tenant's API figures, 14 days of traffic as charts
// and today's usage per project.
import { useState } from "react";

import { api, unwrap } from "../../api/client";
import { toApiError } from "../../api/errors";
import { BarChart } from "../../components/charts/BarChart";
import { formatBytes, formatCompact, formatCount, formatDay } from "../../components/charts/scale";
import { Alert, Badge, Button, Card, Empty, PageHeader, Spinner, Table, td, th } from "../../components/ui";
import { useLoad } from "../../hooks/useApi";
import {
  describeMeter,
  HISTORY_DAYS,
  historySeries,
  inDuration,
  meterFill,
  meterTone,
  METERS,
  parseRateLimit,
  windowLabel,
  type Meter,
  type RateLimit,
  type UserUsage,
} from "./usage";
import { formatTime } from "../../lib/time";

const IN_COLOR = "#4f46e5"; // indigo-600
const OUT_COLOR = "#ea580c"; // orange-600: tells apart from indigo without colour vision too (lightness)

const BAR_TONES = { ok: "bg-indigo-600", warning: "bg-amber-500", full: "bg-red-600" } as const;

function MeterBar({ label, meter, format }: { label: string; meter: Meter; format: (n: number) => string }) {
  const tone = meterTone(meter);
  const text = describeMeter(meter, format);
  return (
    <div className="flex flex-col gap-1">
      <div className="flex flex-wrap items-baseline justify-between gap-2">
        <span className="text-sm font-medium text-slate-700">{label}</span>
        <span className="text-sm text-slate-600" data-testid={`meter-${label}`}>
          {text}
        </span>
      </div>
      <div
        role="meter"
        aria-label={label}
        aria-valuemin={0}
        aria-valuemax={meter.limit ?? undefined}
        aria-valuenow={meter.used}
        aria-valuetext={text}
        className="h-2.5 w-full overflow-hidden rounded-full bg-slate-100 ring-1 ring-slate-200"
      >
        <div className={`h-full ${BAR_TONES[tone]}`} style={{ width: `${meterFill(meter)}%` }} />
      </div>
      {meter.limit !== null && meter.remaining !== null && (
        <span className="text-xs text-slate-500">{format(meter.remaining)} left today</span>
      )}
    </div>
  );
}

function TodayCard({ usage }: { usage: UserUsage }) {
  return (
    <Card title={`Today's usage (${usage.date}, UTC)`}>
      <div className="grid gap-4 sm:grid-cols-2">
        {METERS.map((m) => (
          <MeterBar key={m.key} label={m.label} meter={usage[m.key]} format={m.format} />
        ))}
      </div>
    </Card>
  );
}

function RateCard({ rate }: { rate: RateLimit | null }) {
  return (
    <Card title="Rate limits">
      {!rate ? (
        <p className="text-sm text-slate-600">The server reported no rate limit for this account.</p>
      ) : (
        <div className="flex flex-col gap-3">
          <p className="text-sm text-slate-700" data-testid="rate-limit">
            <span className="text-2xl font-semibold text-slate-900">{formatCount(rate.remaining)}</span> of{" "}
            {formatCount(rate.limit)} requests left
            {rate.resetAt && (
              <>
                {" "}
                · resets at <time dateTime={rate.resetAt.toISOString()}>{formatTime(rate.resetAt)}</time>
              </>
            )}
          </p>
          {rate.windows.length > 0 && (
            <Table caption="Rate limit windows">
              <thead>
                <tr>
                  <th className={th} scope="col">Window</th>
                  <th className={th} scope="col">Limit</th>
                  <th className={th} scope="col">Left</th>
                  <th className={th} scope="col">Refills</th>
                </tr>
              </thead>
              <tbody>
                {rate.windows.map((w) => (
                  <tr key={w.name}>
                    <td className={td}>{windowLabel(w)}</td>
                    <td className={td}>{formatCount(w.quota)}</td>
                    <td className={td}>{w.remaining === null ? "—" : formatCount(w.remaining)}</td>
                    <td className={td}>{w.resetAfter === null ? "—" : inDuration(w.resetAfter)}</td>
                  </tr>
                ))}
              </tbody>
            </Table>
          )}
        </div>
      )}
    </Card>
  );
}

function ApiCard({ api: figures }: { api: UserUsage["api"] }) {
  const rows: [string, string][] = [
    ["API calls", formatCount(figures.api_calls)],
    ["Refused (4xx)", formatCount(figures.client_errors)],
    ["Server errors (5xx)", formatCount(figures.errors)],
    ["Streams opened", formatCount(figures.streams)],
    ["Recommendations served", formatCount(figures.recommendations_served)],
    ["Items indexed", formatCount(figures.items_indexed)],
    ["Average latency (requests, not streams)", `${figures.average_latency_ms.toFixed(1)} ms`],
  ];
  return (
    <Card title="API today (whole tenant)">
      <dl className="grid grid-cols-2 gap-x-4 gap-y-2 text-sm">
        {rows.map(([label, value]) => (
          <div key={label} className="contents">
            <dt className="text-slate-600">{label}</dt>
            <dd className="text-right font-medium tabular-nums">{value}</dd>
          </div>
        ))}
      </dl>
    </Card>
  );
}

/** One quantity per day, in and out, with the daily limit above it. */
function DailyChart({
  what,
  limit,
  format,
  formatTick,
  categories,
  values,
}: {
  what: "Messages" | "Bytes";
  limit: number | null | undefined;
  format(value: number): string;
  formatTick(value: number): string;
  categories: string[];
  values: { in: number[]; out: number[] };
}) {
  return (
    <div className="min-w-0">
      <h3 className="mb-1 text-sm font-medium">{what} per day</h3>
      {limit != null && <p className="mb-1 text-xs text-slate-500">Daily limit: {format(limit)} each way</p>}
      <BarChart
        title={`${what} per day, in and out`}
        categories={categories}
        categoryLabel={formatDay}
        series={[
          { name: `${what} in`, color: IN_COLOR, values: values.in },
          { name: `${what} out`, color: OUT_COLOR, values: values.out },
        ]}
        formatTick={formatTick}
        formatValue={format}
        xLabel="Day (UTC)"
        yLabel={what}
      />
    </div>
  );
}

function HistoryCard({ refresh }: { refresh: number }) {
  const history = useLoad(
    () => unwrap(api.GET("/api/v1/usage/history", { params: { query: { days: HISTORY_DAYS } } })),
    [refresh],
  );
  const series = history.data ? historySeries(history.data.days) : null;
  const limits = history.data?.limits;
  return (
    <Card title={`Last ${HISTORY_DAYS} days`}>
      {history.error && <Alert>{history.error}</Alert>}
      {history.loading && !series && <Spinner label="Loading usage history" />}
      {series && (
        <div className="grid gap-6 lg:grid-cols-2">
          <DailyChart
            what="Messages"
            limit={limits?.messages_in}
            format={formatCount}
            formatTick={formatCompact}
            categories={series.categories}
            values={series.messages}
          />
          <DailyChart
            what="Bytes"
            limit={limits?.bytes_in}
            format={formatBytes}
            formatTick={formatBytes}
            categories={series.categories}
            values={series.bytes}
          />
        </div>
      )}
    </Card>
  );
}

function cell(meter: Meter, format: (n: number) => string): string {
  return meter.limit === null ? format(meter.used) : describeMeter(meter, format);
}

function ProjectsCard({ refresh }: { refresh: number }) {
  const usage = useLoad(() => unwrap(api.GET("/api/v1/usage/projects")), [refresh]);
  const projects = usage.data?.projects ?? [];
  return (
    <Card title="Today per project">
      {usage.error && <Alert>{usage.error}</Alert>}
      {usage.loading && !usage.data && <Spinner label="Loading usage per project" />}
      {usage.data && projects.length === 0 && <Empty>No projects yet.</Empty>}
      {projects.length > 0 && (
        <Table caption="Today's usage per project">
          <thead>
            <tr>
              <th className={th} scope="col">Project</th>
              {METERS.map((m) => (
                <th key={m.key} className={th} scope="col">
                  {m.label}
                </th>
              ))}
            </tr>
          </thead>
          <tbody>
            {projects.map((p) => (
              <tr key={p.project_id}>
                <th scope="row" className={`${td} font-medium`}>
                  {p.name}
                  {p.warnings.length > 0 && (
                    <span className="ml-2">
                      <Badge tone="warning">near quota</Badge>
                    </span>
                  )}
                </th>
                {METERS.map((m) => (
                  <td key={m.key} className={`${td} tabular-nums`}>
                    {cell(p[m.key], m.format)}
                  </td>
                ))}
              </tr>
            ))}
          </tbody>
        </Table>
      )}
    </Card>
  );
}

async function loadUsage(): Promise<{ usage: UserUsage; rate: RateLimit | null }> {
  const { data, error, response } = await api.GET("/api/v1/usage");
  if (!response.ok || !data) throw toApiError(response, error);
  return { usage: data, rate: parseRateLimit(response.headers) };
}

export default function DashboardPage() {
  const [refresh, setRefresh] = useState(0);
  const today = useLoad(loadUsage, [refresh]);
  const usage = today.data?.usage;
  return (
    <div className="flex flex-col gap-4">
      <PageHeader title="Dashboard">
        <Button variant="secondary" busy={today.loading && !!today.data} onClick={() => setRefresh((n) => n + 1)}>
          Refresh
        </Button>
      </PageHeader>
      {today.error && <Alert>{today.error}</Alert>}
      {usage?.warnings.map((warning) => (
        <Alert key={warning} tone="warning">
          {warning}
        </Alert>
      ))}
      {today.loading && !today.data && <Spinner label="Loading usage" />}
      <div className="grid gap-4 lg:grid-cols-3">
        <div className="flex min-w-0 flex-col gap-4 lg:col-span-2">
          {usage && <TodayCard usage={usage} />}
          <ProjectsCard refresh={refresh} />
        </div>
        {usage && (
          <div className="flex min-w-0 flex-col gap-4">
            <RateCard rate={today.data?.rate ?? null} />
            <ApiCard api={usage.api} />
          </div>
        )}
      </div>
      <HistoryCard refresh={refresh} />
    </div>
  );
}
