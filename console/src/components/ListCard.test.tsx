import { render, screen } from "@testing-library/react";
import { describe, expect, it } from "vitest";

import { ListCard } from "./ListCard";

function card(load: { data: string[] | undefined; error: string | null; loading: boolean }) {
  return (
    <ListCard title="Things" load={load} rows={load.data ?? []} loadingLabel="Loading things" empty="No things yet.">
      {(rows) => (
        <ul aria-label="Things">
          {rows.map((row) => (
            <li key={row}>{row}</li>
          ))}
        </ul>
      )}
    </ListCard>
  );
}

describe("ListCard", () => {
  it("shows loading, then the rows or the empty text, and a refusal", () => {
    const { rerender } = render(card({ data: undefined, error: null, loading: true }));
    expect(screen.getByLabelText("Loading things")).toBeInTheDocument();
    expect(screen.queryByText("No things yet.")).not.toBeInTheDocument();

    rerender(card({ data: [], error: null, loading: false }));
    expect(screen.getByText("No things yet.")).toBeInTheDocument();

    rerender(card({ data: ["a", "b"], error: null, loading: true }));
    expect(screen.queryByLabelText("Loading things")).not.toBeInTheDocument();
    expect(screen.getAllByRole("listitem")).toHaveLength(2);

    rerender(card({ data: undefined, error: "The server is away.", loading: false }));
    expect(screen.getByRole("alert")).toHaveTextContent("The server is away.");
    expect(screen.queryByText("No things yet.")).not.toBeInTheDocument();
  });
});
