// A card over a list loaded whole from the API (projects, topics, API keys): the loading,
// refusal and empty states, then the page's rendering of the rows. A paged list with a
// filter is PagedCard.
import type { ReactNode } from "react";

import type { Loaded } from "../hooks/useApi";
import { Alert, Card, Empty, Spinner } from "./ui";

export function ListCard<T>({
  title,
  load,
  rows,
  loadingLabel,
  empty,
  children,
}: {
  title: ReactNode;
  /** The load the rows come from (useLoad). */
  load: Pick<Loaded<unknown>, "data" | "error" | "loading">;
  rows: T[];
  /** The spinner's label: "Loading topics". */
  loadingLabel: string;
  /** What an empty list says. */
  empty: ReactNode;
  children(rows: T[]): ReactNode;
}) {
  return (
    <Card title={title}>
      {load.error && <Alert>{load.error}</Alert>}
      {load.loading && load.data === undefined && <Spinner label={loadingLabel} />}
      {load.data !== undefined && rows.length === 0 && <Empty>{empty}</Empty>}
      {rows.length > 0 && children(rows)}
    </Card>
  );
}
