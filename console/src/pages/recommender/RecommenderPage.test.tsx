import { render, screen, waitFor } from "@testing-library/react";
import userEvent from "@testing-library/user-event";
import { describe, expect, it } from "vitest";

import RecommenderPage from "./RecommenderPage";
import { fakeApi } from "../../test/fakeApi";
import { SAMPLE_ITEMS } from "./recommend";

describe("the recommender playground", () => {
  it("uploads the sample items, records an interaction and shows ranked recommendations", async () => {
    const seen = fakeApi({
      "POST /api/v1/items": () => ({ body: { accepted: 8, rejected: 0, created: 8, updated: 0 } }),
      "POST /api/v1/interactions": () => ({
        body: { status: "accepted", interaction_ids: ["i1"], accepted: 1 },
      }),
      "POST /api/v1/recommendations": () => ({
        body: {
          recommendations: [
            { item_id: "book-foundation", title: "Foundation", score: 0.91, category: "books", tags: ["sci-fi"] },
            { item_id: "movie-arrival", title: "Arrival", score: 0.42, category: "movies", tags: [] },
          ],
          metadata: { model_version: "1", latency_ms: 1.5, strategy: "personalized", catalog_size: 8 },
        },
      }),
    });
    const user = userEvent.setup();
    render(<RecommenderPage />);

    await user.click(screen.getByRole("button", { name: "Upload items" }));
    expect(await screen.findByText(/Enter a JSON array of items/)).toBeInTheDocument();
    await user.click(screen.getByRole("button", { name: "Load sample items" }));
    await user.click(screen.getByRole("button", { name: "Upload items" }));
    expect(await screen.findByText("Uploaded 8 items: 8 new, 0 replaced.")).toBeInTheDocument();
    expect(seen[0]?.body).toEqual({ items: SAMPLE_ITEMS });

    await user.click(screen.getByRole("button", { name: "Record interaction" }));
    expect(await screen.findByText("Enter the item id.")).toBeInTheDocument();
    await user.type(screen.getByLabelText("Item id"), "book-dune");
    await user.click(screen.getByRole("button", { name: "Record interaction" }));
    expect(await screen.findByText("Recorded: user-1 like book-dune.")).toBeInTheDocument();
    expect(seen[1]?.body).toEqual({
      interactions: [{ user_id: "user-1", item_id: "book-dune", interaction_type: "like" }],
    });

    await user.clear(screen.getByLabelText("How many"));
    await user.type(screen.getByLabelText("How many"), "500");
    await user.click(screen.getByRole("button", { name: "Get recommendations" }));
    expect(await screen.findByText("Enter a number from 1 to 100.")).toBeInTheDocument();
    await user.clear(screen.getByLabelText("How many"));
    await user.type(screen.getByLabelText("How many"), "2");
    await user.type(screen.getByLabelText("Categories"), "books, movies");
    await user.click(screen.getByRole("button", { name: "Get recommendations" }));
    const list = await screen.findByRole("list", { name: "Recommendations" });
    await waitFor(() => expect(list.querySelectorAll("li")).toHaveLength(2));
    expect(list).toHaveTextContent(/Foundation.*0\.910.*Arrival.*0\.420/);
    expect(seen[2]?.body).toEqual({ user_id: "user-1", count: 2, filters: { categories: ["books", "movies"] } });
  });
});
