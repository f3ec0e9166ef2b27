import { render, screen } from "@testing-library/react";
import { describe, expect, it } from "vitest";

import { Sparkline } from "./Sparkline";

describe("Sparkline", () => {
  it("draws the values and says the latest and the peak", () => {
    render(<Sparkline values={[0, 4, 2]} label="Rate" format={(v) => `${v}/s`} width={100} height={20} />);
    const chart = screen.getByRole("img", { name: "Rate: now 2/s, peak 4/s" });
    const line = chart.querySelector("polyline");
    expect(line?.getAttribute("points")).toBe("0.0,19.0 50.0,1.0 100.0,10.0");
  });

  it("says when there is nothing yet", () => {
    render(<Sparkline values={[]} label="Rate" />);
    expect(screen.getByRole("img", { name: "Rate: no samples yet" }).querySelector("polyline")).toBeNull();
  });
});
