// A topic's statistics, polled every few seconds while the tab is visible: what it
// retains, its last message, messages (and bytes) in and delivered over the last minute
// and hour, open streams, and a
// live throughput sparkline built from successive polls.
import { useRef, useState, type ReactNode } from "react";

import { api, unwrap } from "../../api/client";
import { describe } from "../../api/errors";
import { formatBytes, formatCount } from "../../components/charts/scale";
import { Sparkline } from "../../components/charts/Sparkline";
import { Alert, Card, Spinner } from "../../components/ui";
import { usePoll } from "../../hooks/usePoll";
import { formatDateTime } from "../../lib/time";
import { formatRate, throughput, type TopicStats } from "./browse";

export const STATS_POLL_MS = 5000;
/** Samples kept for the sparkline: five minutes at one every five seconds. */
export const SPARK_SAMPLES = 60;

function Figure({ label, children }: { label: string; children: ReactNode }) {
  return (
    <div className="flex flex-col">
      <dt className="text-xs text-slate-500">{label}</dt>
      <dd className="font-medium tabular-nums text-slate-900">{children}</dd>
    </div>
  );
}

export function TopicStatsCard({
  topic,
  projectId,
  pollMs = STATS_POLL_MS,
}: {
  topic: string;
  projectId: string | null;
  pollMs?: number;
}) {
  const [stats, setStats] = useState<TopicStats>();
  const [error, setError] = useState<string | null>(null);
  const [rates, setRates] = useState<number[]>([]);
  const previous = useRef<{ at: number; stats: TopicStats } | null>(null);
  const busy = useRef(false);

  usePoll(() => {
    if (busy.current) return;
    busy.current = true;
    unwrap(
      api.GET("/api/v1/topics/{name}/stats", {
        params: { path: { name: topic }, query: projectId ? { project_id: projectId } : {} },
      }),
    )
      .then((next) => {
        const sample = { at: Date.now(), stats: next };
        const rate = previous.current ? throughput(previous.current, sample) : null;
        previous.current = sample;
        if (rate !== null) setRates((r) => [...r, rate].slice(-SPARK_SAMPLES));
        setStats(next);
        setError(null);
      })
      .catch((caught: unknown) => setError(describe(caught)))
      .finally(() => {
        busy.current = false;
      });
  }, pollMs);

  const now = rates.at(-1);
  return (
    <Card title="Statistics">
      {error && <Alert>{error}</Alert>}
      {!stats && !error && <Spinner label="Loading statistics" />}
      {stats && (
        <div className="flex flex-col gap-3">
          <div className="flex flex-wrap items-center gap-3">
            <Sparkline values={rates} label="Messages per second" format={formatRate} />
            <span className="text-sm text-slate-700" data-testid="throughput">
              {now === undefined ? "Measuring throughput…" : formatRate(now)}
            </span>
          </div>
          <dl className="grid grid-cols-2 gap-3 text-sm sm:grid-cols-3">
            <Figure label="Messages retained">{formatCount(stats.messages_retained)}</Figure>
            <Figure label="Bytes retained">
              {stats.bytes_retained === null ? "not known on Kafka" : formatBytes(stats.bytes_retained)}
            </Figure>
            <Figure label="Last message">
              {stats.last_message_at ? formatDateTime(stats.last_message_at) : "never"}
            </Figure>
            <Figure label="Last minute">{formatCount(stats.messages_last_minute)}</Figure>
            <Figure label="Last hour">{formatCount(stats.messages_last_hour)}</Figure>
            <Figure label="Bytes in, last hour">{formatBytes(stats.bytes_last_hour)}</Figure>
            <Figure label="Delivered, last minute">{formatCount(stats.messages_out_last_minute)}</Figure>
            <Figure label="Delivered, last hour">{formatCount(stats.messages_out_last_hour)}</Figure>
            <Figure label="Open streams">{formatCount(stats.open_streams)}</Figure>
          </dl>
          <details className="text-xs text-slate-600">
            <summary className="cursor-pointer">Offsets per partition</summary>
            <ul className="mt-1 font-mono">
              {stats.partitions.map((p) => (
                <li key={p.partition}>
                  partition {p.partition}: {p.earliest_offset}–{p.next_offset} ({formatCount(p.messages)} messages)
                </li>
              ))}
            </ul>
          </details>
        </div>
      )}
    </Card>
  );
}
