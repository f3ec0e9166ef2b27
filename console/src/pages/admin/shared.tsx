// Small pieces shared by the admin sections: dates, ids, paging.
import { Button } from "../../components/ui";
import { formatDateTime } from "../../lib/time";

/** A timestamp from the API (ISO text, or anything) for people; "—" when absent. */
export function formatWhen(value: unknown): string {
  if (typeof value !== "string" || !value) return "—";
  return formatDateTime(value);
}

/** The first 8 characters of an id, the whole id on hover and for screen readers. */
export function ShortId({ id }: { id: string | null | undefined }) {
  if (!id) return <span className="text-slate-400">—</span>;
  return (
    <span className="font-mono text-xs" title={id}>
      <span aria-hidden="true">{id.slice(0, 8)}</span>
      <span className="sr-only">{id}</span>
    </span>
  );
}

export const PAGE_SIZE = 100;

/** "1–100 of 240" with Previous/Next, when there is more than one page. */
export function Pager({
  label,
  total,
  offset,
  onChange,
  pageSize = PAGE_SIZE,
}: {
  label: string;
  total: number;
  offset: number;
  onChange(offset: number): void;
  pageSize?: number;
}) {
  if (total <= pageSize && offset === 0) return null;
  const last = Math.min(total, offset + pageSize);
  return (
    <nav aria-label={`${label} pages`} className="mt-3 flex flex-wrap items-center gap-2 text-sm">
      <Button variant="secondary" disabled={offset === 0} onClick={() => onChange(Math.max(0, offset - pageSize))}>
        Previous
      </Button>
      <span className="text-slate-600">
        {total ? offset + 1 : 0}–{last} of {total}
      </span>
      <Button variant="secondary" disabled={last >= total} onClick={() => onChange(offset + pageSize)}>
        Next
      </Button>
    </nav>
  );
}

/** Does a row match a filter text (any of its texts contains it, case-insensitively)? */
export function matches(filter: string, ...texts: (string | null | undefined)[]): boolean {
  const needle = filter.trim().toLowerCase();
  if (!needle) return true;
  return texts.some((text) => text?.toLowerCase().includes(needle));
}
