import { render, screen, within } from "@testing-library/react";
import { describe, expect, it } from "vitest";

import { BarChart } from "./BarChart";

describe("BarChart", () => {
  it("is an image with a title, a legend and a data table for screen readers", () => {
    const { container } = render(
      <BarChart
        title="Messages per day"
        categories={["2026-11-22", "2026-11-23"]}
        categoryLabel={(d) => d.slice(5)}
        series={[
          { name: "In", color: "#00f", values: [3, 7] },
          { name: "Out", color: "#f80", values: [1, 0] },
        ]}
        formatValue={(n) => `${n} msgs`}
        xLabel="Day"
        yLabel="Messages"
      />,
    );
    const chart = screen.getByRole("img", { name: /Messages per day/ });
    expect(chart.querySelector("title")?.textContent).toBe("Messages per day");
    // One bar per value, with its figure as a tooltip.
    const bars = container.querySelectorAll("rect");
    expect(bars).toHaveLength(4);
    expect(bars[1]?.textContent).toBe("11-22 · Out: 1 msgs");
    // The tallest bar reaches the top tick (8 for a maximum of 7).
    expect(within(chart as unknown as HTMLElement).getByText("8")).toBeInTheDocument();
    expect(within(chart as unknown as HTMLElement).getByText("Day")).toBeInTheDocument();
    expect(within(chart as unknown as HTMLElement).getByText("Messages")).toBeInTheDocument();

    const legend = screen.getByRole("list", { name: "Legend: Messages per day" });
    expect(within(legend).getAllByRole("listitem").map((li) => li.textContent)).toEqual(["In", "Out"]);

    const table = screen.getByRole("table", { name: "Messages per day" });
    const rows = within(table).getAllByRole("row").map((row) => row.textContent);
    expect(rows).toEqual(["DayInOut", "11-223 msgs1 msgs", "11-237 msgs0 msgs"]);
  });
});
