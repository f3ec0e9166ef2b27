import { describe, expect, it } from "vitest";

import {
  buildFilters,
  buildInteraction,
  checkCount,
  itemProblem,
  parseItems,
  SAMPLE_ITEMS,
  sampleItemsText,
  splitList,
} from "./recommend";

describe("parseItems", () => {
  it("accepts the sample catalogue, an array or {items: [...]}", () => {
    const sample = parseItems(sampleItemsText());
    expect(sample).toEqual({ ok: true, items: SAMPLE_ITEMS });
    expect(parseItems('{"items":[{"item_id":"a","title":"A"}]}')).toEqual({
      ok: true,
      items: [{ item_id: "a", title: "A" }],
    });
  });

  it("explains what is wrong", () => {
    const error = (text: string) => {
      const result = parseItems(text);
      return result.ok ? null : result.error;
    };
    expect(error("")).toMatch(/JSON array/);
    expect(error("[")).toMatch(/Not valid JSON/);
    expect(error('{"a":1}')).toMatch(/JSON array/);
    expect(error("[]")).toMatch(/at least one/);
    const many = JSON.stringify(Array.from({ length: 1001 }, (_, i) => ({ item_id: `i${i}`, title: "t" })));
    expect(error(many)).toMatch(/at most 1000/);
    expect(error('[{"item_id":"a","title":"A"},{"title":"B"}]')).toBe("Item 2: item_id is required.");
  });

  it("checks each field's limits", () => {
    expect(itemProblem({ item_id: "a", title: "A" })).toBeUndefined();
    expect(itemProblem({ item_id: " ", title: "A" })).toMatch(/item_id must not be empty/);
    expect(itemProblem({ item_id: "a".repeat(129), title: "A" })).toMatch(/128/);
    expect(itemProblem({ item_id: "a", title: "t".repeat(513) })).toMatch(/512/);
    expect(itemProblem({ item_id: "a", title: "A", description: "d".repeat(2049) })).toMatch(/2048/);
    expect(itemProblem({ item_id: "a", title: "A", category: "Books" })).toMatch(/a-z/);
    expect(itemProblem({ item_id: "a", title: "A", category: "sci-fi-2" })).toBeUndefined();
    expect(itemProblem({ item_id: "a", title: "A", tags: "x" })).toMatch(/list/);
    expect(itemProblem({ item_id: "a", title: "A", tags: Array(21).fill("t") })).toMatch(/20 tags/);
    expect(itemProblem({ item_id: "a", title: "A", tags: ["t".repeat(33)] })).toMatch(/32/);
    expect(itemProblem({ item_id: "a", title: "A", metadata: [1] })).toMatch(/object/);
    expect(itemProblem(42)).toMatch(/not an object/);
  });
});

describe("buildInteraction", () => {
  const form = { userId: " user-1 ", itemId: "book-dune", type: "like" as const, weight: "", value: "" };

  it("builds the body, with an explicit weight only when given", () => {
    expect(buildInteraction(form)).toEqual({
      ok: true,
      body: { user_id: "user-1", item_id: "book-dune", interaction_type: "like" },
    });
    expect(buildInteraction({ ...form, weight: "-2.5" })).toMatchObject({ ok: true, body: { weight: -2.5 } });
  });

  it("wants ids, a weight within ±100 and a rating's value", () => {
    expect(buildInteraction({ ...form, userId: "", itemId: " " })).toEqual({
      ok: false,
      errors: { user_id: "Enter the user id.", item_id: "Enter the item id." },
    });
    expect(buildInteraction({ ...form, weight: "101" })).toMatchObject({ ok: false, errors: { weight: /-100 to 100/ } });
    expect(buildInteraction({ ...form, type: "rating" })).toMatchObject({ ok: false, errors: { value: /needs a value/ } });
    expect(buildInteraction({ ...form, type: "rating", value: "6" })).toMatchObject({ ok: false });
    expect(buildInteraction({ ...form, type: "rating", value: "4.5" })).toMatchObject({
      ok: true,
      body: { interaction_type: "rating", value: 4.5 },
    });
  });
});

describe("filters and count", () => {
  it("splits lists and leaves out empty filters", () => {
    expect(splitList(" a, b ,, c ")).toEqual(["a", "b", "c"]);
    expect(buildFilters({ categories: "", tags: " ", exclude: "", minScore: "" })).toEqual({ ok: true, filters: null });
    expect(buildFilters({ categories: "books, movies", tags: "sci-fi", exclude: "book-dune", minScore: "0.1" })).toEqual({
      ok: true,
      filters: { categories: ["books", "movies"], tags: ["sci-fi"], exclude_items: ["book-dune"], min_score: 0.1 },
    });
  });

  it("refuses bad categories and scores", () => {
    expect(buildFilters({ categories: "Books", tags: "", exclude: "", minScore: "2" })).toMatchObject({
      ok: false,
      errors: { categories: /Books/, min_score: /0 to 1/ },
    });
  });

  it("wants a count from 1 to 100", () => {
    expect(checkCount("10")).toBeUndefined();
    expect(checkCount("0")).toMatch(/1 to 100/);
    expect(checkCount("101")).toMatch(/1 to 100/);
    expect(checkCount("2.5")).toMatch(/whole/);
  });
});
