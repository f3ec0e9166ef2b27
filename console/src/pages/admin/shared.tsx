// Small pieces shared by the admin sections: dates and ids (paging and filtering live in
// components/PagedCard).
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
