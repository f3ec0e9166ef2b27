import { render, screen, waitFor } from "@testing-library/react";
import userEvent from "@testing-library/user-event";
import { describe, expect, it } from "vitest";

import MathPage from "./MathPage";
import { envelope, fakeApi } from "../../test/fakeApi";

const emptyHistory = { items: [], limit: 20, offset: 0, has_more: false };

describe("the math page", () => {
  it("validates before sending, shows the exact result and refreshes the history", async () => {
    const big = "4".repeat(300);
    let history = emptyHistory;
    const seen = fakeApi({
      "GET /api/v1/math/history": () => ({ body: history }),
      "POST /api/v1/math/factorial": () => {
        history = {
          ...emptyHistory,
          items: [
            { id: "c1", operation: "factorial", inputs: { n: 200 }, result: big, created_at: "2026-01-01T00:00:00Z" },
          ] as never,
        };
        return { raw: `{"operation":"factorial","n":200,"result":${big}}` };
      },
    });
    const user = userEvent.setup();
    render(<MathPage />);
    expect(await screen.findByText("No calculations yet.")).toBeInTheDocument();

    await user.selectOptions(screen.getByLabelText("Operation"), "factorial");
    expect(screen.queryByLabelText("a")).not.toBeInTheDocument();
    await user.type(screen.getByLabelText("n"), "2.5");
    await user.click(screen.getByRole("button", { name: "Calculate" }));
    expect(await screen.findByText("Enter a whole number (no decimals).")).toBeInTheDocument();
    expect(seen.filter((s) => s.method === "POST")).toHaveLength(0);

    await user.clear(screen.getByLabelText("n"));
    await user.type(screen.getByLabelText("n"), "200{Enter}");
    await waitFor(() => expect(screen.getByTestId("math-result").textContent).toMatch(/^4+…4+ \(300 digits\)$/));
    expect(seen.find((s) => s.method === "POST")?.body).toEqual({ n: "200" });
    await user.click(screen.getByRole("button", { name: /Show all 300/ }));
    expect(screen.getByTestId("math-result").textContent).toBe(big);
    expect(await screen.findByText(/^200! = 4+…/)).toBeInTheDocument();
  });

  it("shows the server's message for an undefined operation", async () => {
    fakeApi({
      "GET /api/v1/math/history": () => ({ body: emptyHistory }),
      "POST /api/v1/math/divide": () => ({
        status: 400,
        body: envelope("VALIDATION_ERROR", "Division by zero is undefined"),
      }),
    });
    const user = userEvent.setup();
    render(<MathPage />);
    await user.selectOptions(screen.getByLabelText("Operation"), "divide");
    await user.type(screen.getByLabelText("a"), "1");
    await user.type(screen.getByLabelText("b"), "0");
    await user.click(screen.getByRole("button", { name: "Calculate" }));
    expect(await screen.findByRole("alert")).toHaveTextContent("Division by zero is undefined");
    expect(screen.queryByTestId("math-result")).not.toBeInTheDocument();
  });
});
