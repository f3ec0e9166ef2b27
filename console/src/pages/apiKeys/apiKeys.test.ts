import { describe, expect, it } from "vitest";

import { checkKeyName, permissionLevel, permissionsFor } from "./apiKeys";

describe("API keys", () => {
  it("checks key names like the server", () => {
    expect(checkKeyName("")).toBe("Enter a name for the key.");
    expect(checkKeyName("billing")).toBeUndefined();
  });

  it("gives each permission level the ones below it", () => {
    expect(permissionsFor("read")).toEqual(["read"]);
    expect(permissionsFor("write")).toEqual(["read", "write"]);
    expect(permissionsFor("admin")).toEqual(["read", "write", "admin"]);
    expect(permissionLevel(["read", "write"])).toBe("write");
    expect(permissionLevel(["admin"])).toBe("admin");
    expect(permissionLevel(["read"])).toBe("read");
  });
});
