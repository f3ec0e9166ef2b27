import { describe, expect, it } from "vitest";

import { checkProjectName } from "./projects";

describe("project names", () => {
  it("checks them like the server", () => {
    expect(checkProjectName("  ")).toBe("Enter a project name.");
    expect(checkProjectName("Analytics EU")).toBeUndefined();
    expect(checkProjectName("x".repeat(101))).toBe("Use at most 100 characters.");
    expect(checkProjectName("tab\there")).toBe("Remove the control characters.");
  });
});
