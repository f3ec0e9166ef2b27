// Where a record sits and what comes with it (offset, partition, key, time, headers), as
// the live viewer and the message browser both show it.
import type { ReactNode } from "react";

import { formatDateTime } from "../../lib/time";

export function RecordMeta({
  record,
  children,
}: {
  record: {
    offset: number;
    partition: number;
    key: string | null;
    timestamp: string | null;
    headers?: Record<string, unknown> | null;
  };
  /** More figures after the key (e.g. the size). */
  children?: ReactNode;
}) {
  const headers = Object.entries(record.headers ?? {});
  return (
    <>
      <div className="flex flex-wrap items-center gap-x-3 gap-y-1 text-xs text-slate-600">
        <span>
          offset <span className="font-mono text-slate-900">{record.offset}</span>
        </span>
        <span>
          partition <span className="font-mono text-slate-900">{record.partition}</span>
        </span>
        <span>
          key{" "}
          {record.key === null ? (
            <span className="italic">none</span>
          ) : (
            <span className="break-all font-mono text-slate-900" data-testid="record-key">
              {record.key}
            </span>
          )}
        </span>
        {children}
        {record.timestamp && (
          <time dateTime={record.timestamp} className="ml-auto">
            {formatDateTime(record.timestamp)}
          </time>
        )}
      </div>
      {headers.length > 0 && (
        <ul className="flex flex-wrap gap-1" aria-label="Headers">
          {headers.map(([name, value]) => (
            <li key={name} className="rounded bg-slate-100 px-1.5 py-0.5 font-mono text-xs text-slate-700">
              {name}: {value === null ? "null" : String(value)}
            </li>
          ))}
        </ul>
      )}
    </>
  );
}
