import { describe, expect, it } from "vitest";

import { checkDescription, checkTitle, completedParam, todoFields } from "./todos";

describe("todo rules", () => {
  it("maps the filter to the completed query parameter", () => {
    expect(completedParam("all")).toBeUndefined();
    expect(completedParam("open")).toBe(false);
    expect(completedParam("done")).toBe(true);
  });

  it("checks titles as the server does (trimmed, 1 to 200, no control characters)", () => {
    expect(checkTitle("  ")).toBe("Enter a title.");
    expect(checkTitle("Buy milk")).toBeUndefined();
    expect(checkTitle(` ${"x".repeat(200)} `)).toBeUndefined();
    expect(checkTitle("x".repeat(201))).toMatch(/at most 200/);
    expect(checkTitle("a\x07b")).toMatch(/control/);
    expect(checkTitle("tab\there")).toBeUndefined();
  });

  it("checks descriptions (up to 2000, no NUL)", () => {
    expect(checkDescription("")).toBeUndefined();
    expect(checkDescription("x".repeat(2000))).toBeUndefined();
    expect(checkDescription("x".repeat(2001))).toMatch(/at most 2000/);
    expect(checkDescription("a\x00b")).toMatch(/NUL/);
  });

  it("trims the title and sends null for an empty description", () => {
    expect(todoFields("  Milk ", "   ")).toEqual({ title: "Milk", description: null });
    expect(todoFields("Milk", " two litres")).toEqual({ title: "Milk", description: " two litres" });
  });
});
