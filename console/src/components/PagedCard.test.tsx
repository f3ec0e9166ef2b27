import { render, screen, waitFor, within } from "@testing-library/react";
import userEvent from "@testing-library/user-event";
import { describe, expect, it, vi } from "vitest";

import { matches, PageNav, PagedCard, usePaged } from "./PagedCard";

interface Row {
  id: string;
  name: string;
}

const ALL: Row[] = Array.from({ length: 5 }, (_, i) => ({ id: `id${i}`, name: i % 2 ? `odd ${i}` : `even ${i}` }));

function Harness({ load }: { load(limit: number, offset: number): Promise<{ total: number; items: Row[] }> }) {
  const paged = usePaged(load, 2);
  return (
    <PagedCard
      title="Things"
      paged={paged}
      filter={{ label: "Filter things", placeholder: "Name", matches: (text, row) => matches(text, row.name) }}
      empty="No things yet."
    >
      {(rows) => (
        <ul aria-label="Rows">
          {rows.map((r) => (
            <li key={r.id}>{r.name}</li>
          ))}
        </ul>
      )}
    </PagedCard>
  );
}

describe("PagedCard", () => {
  it("pages, filters the page, says when nothing matches, and refreshes", async () => {
    const load = vi.fn(async (limit: number, offset: number) => ({ total: ALL.length, items: ALL.slice(offset, offset + limit) }));
    const user = userEvent.setup();
    render(<Harness load={load} />);
    expect(await screen.findByRole("heading", { name: "Things (5)" })).toBeInTheDocument();
    expect(within(screen.getByRole("list", { name: "Rows" })).getAllByRole("listitem")).toHaveLength(2);
    expect(screen.getByText("1–2 of 5")).toBeInTheDocument();
    expect(screen.getByText("Filters the things of this page.")).toBeInTheDocument();

    await user.click(screen.getByRole("button", { name: "Next" }));
    await waitFor(() => expect(screen.getByText("3–4 of 5")).toBeInTheDocument());
    expect(load).toHaveBeenLastCalledWith(2, 2);

    await user.type(screen.getByLabelText("Filter things"), "ODD 3");
    expect(within(screen.getByRole("list", { name: "Rows" })).getAllByRole("listitem")).toHaveLength(1);
    await user.clear(screen.getByLabelText("Filter things"));
    await user.type(screen.getByLabelText("Filter things"), "nothing");
    expect(screen.getByText("No thing matches the filter.")).toBeInTheDocument();

    await user.click(screen.getByRole("button", { name: "Refresh" }));
    await waitFor(() => expect(load).toHaveBeenCalledTimes(3));
  });

  it("says when the list is empty or cannot be loaded", async () => {
    render(<Harness load={async () => ({ total: 0, items: [] })} />);
    expect(await screen.findByText("No things yet.")).toBeInTheDocument();
    expect(screen.queryByRole("navigation")).not.toBeInTheDocument();
  });
});

describe("PageNav", () => {
  it("counts pages when the total is unknown, and hides while there is one", async () => {
    const onChange = vi.fn();
    const user = userEvent.setup();
    const { rerender } = render(<PageNav label="Thing pages" page={0} hasMore={false} onChange={onChange} />);
    expect(screen.queryByRole("navigation")).not.toBeInTheDocument();

    rerender(<PageNav label="Thing pages" page={0} hasMore onChange={onChange} previous="Newer" next="Older" />);
    const nav = screen.getByRole("navigation", { name: "Thing pages" });
    expect(within(nav).getByText("Page 1")).toBeInTheDocument();
    expect(within(nav).getByRole("button", { name: "Newer" })).toBeDisabled();
    await user.click(within(nav).getByRole("button", { name: "Older" }));
    expect(onChange).toHaveBeenLastCalledWith(1);

    rerender(<PageNav label="Thing pages" page={1} hasMore={false} onChange={onChange} />);
    expect(screen.getByRole("button", { name: "Next" })).toBeDisabled();
    await user.click(screen.getByRole("button", { name: "Previous" }));
    expect(onChange).toHaveBeenLastCalledWith(0);
  });
});
