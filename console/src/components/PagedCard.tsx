// A card over a paged list from the API: a title with the total, Refresh, a filter over
// the rows of the current page, loading / empty / no-match states, and Previous / Next.
import { useState, type ReactNode } from "react";

import { useLoad } from "../hooks/useApi";
import { Alert, Button, Card, Empty, Spinner, TextField } from "./ui";

export const PAGE_SIZE = 100;

/** Does a row match a filter text (any of its texts contains it, case-insensitively)? */
export function matches(filter: string, ...texts: (string | null | undefined)[]): boolean {
  const needle = filter.trim().toLowerCase();
  if (!needle) return true;
  return texts.some((text) => text?.toLowerCase().includes(needle));
}

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

/** "Page 2" with Previous/Next, for a list whose total is unknown (the server says
 * whether there is more); nothing while there is only one page. */
export function PageNav({
  label,
  page,
  hasMore,
  onChange,
  previous = "Previous",
  next = "Next",
  className,
}: {
  label: string;
  /** From 0. */
  page: number;
  hasMore: boolean;
  onChange(page: number): void;
  previous?: string;
  next?: string;
  className?: string;
}) {
  if (page === 0 && !hasMore) return null;
  return (
    <nav aria-label={label} className={`flex flex-wrap items-center gap-2 ${className ?? ""}`.trim()}>
      <Button variant="secondary" disabled={page === 0} onClick={() => onChange(page - 1)}>
        {previous}
      </Button>
      <span className="text-sm text-slate-600">Page {page + 1}</span>
      <Button variant="secondary" disabled={!hasMore} onClick={() => onChange(page + 1)}>
        {next}
      </Button>
    </nav>
  );
}

export interface Page<T> {
  total: number;
  items: T[];
}

/** One page of a list and where it starts; `reload` after a change to a row. */
export function usePaged<T>(load: (limit: number, offset: number) => Promise<Page<T>>, pageSize = PAGE_SIZE) {
  const [offset, setOffset] = useState(0);
  const page = useLoad(() => load(pageSize, offset), [offset, pageSize]);
  return { page, offset, setOffset, pageSize };
}

export type Paged<T> = ReturnType<typeof usePaged<T>>;

export function PagedCard<T>({
  title,
  paged,
  filter,
  empty,
  alerts,
  children,
}: {
  /** Plural, capitalised: "Users" (the card says "Users (240)"). */
  title: string;
  paged: Paged<T>;
  filter: { label: string; placeholder: string; matches(text: string, row: T): boolean };
  /** What an empty list says: "No users yet." */
  empty: string;
  /** Messages of the page's own actions, above the rows. */
  alerts?: ReactNode;
  children(rows: T[]): ReactNode;
}) {
  const [text, setText] = useState("");
  const { page, offset, setOffset, pageSize } = paged;
  const rows = (page.data?.items ?? []).filter((row) => filter.matches(text, row));
  const noun = title.toLowerCase();
  return (
    <Card
      title={page.data ? `${title} (${page.data.total})` : title}
      actions={
        <Button variant="secondary" busy={page.loading && !!page.data} onClick={() => void page.reload()}>
          Refresh
        </Button>
      }
    >
      <div className="mb-3 max-w-sm">
        <TextField
          label={filter.label}
          type="search"
          placeholder={filter.placeholder}
          value={text}
          onChange={(e) => setText(e.target.value)}
          hint={page.data && page.data.total > pageSize ? `Filters the ${noun} of this page.` : undefined}
        />
      </div>
      <div className="mb-3 flex flex-col gap-2 empty:hidden">
        {page.error && <Alert>{page.error}</Alert>}
        {alerts}
      </div>
      {page.loading && !page.data ? (
        <Spinner label={`Loading ${noun}`} />
      ) : rows.length === 0 ? (
        <Empty>{text ? `No ${noun.replace(/s$/, "")} matches the filter.` : empty}</Empty>
      ) : (
        children(rows)
      )}
      <Pager label={title} total={page.data?.total ?? 0} offset={offset} onChange={setOffset} pageSize={pageSize} />
    </Card>
  );
}
