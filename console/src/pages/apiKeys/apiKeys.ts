// The API key form's checks, with the lengths and ranges the server's models declare
// (src/api/limits.ts), and the permission levels a key can have.
import { LIMITS } from "../../api/limits";

export const KEY_NAME_MAX = LIMITS.ApiKeyCreate.name.maxLength;
export const KEY_EXPIRY_DAYS_MAX = LIMITS.ApiKeyCreate.expires_in_days.maximum;

export function checkKeyName(value: string): string | undefined {
  const name = value.trim();
  if (!name) return "Enter a name for the key.";
  if (name.length > KEY_NAME_MAX) return `Use at most ${KEY_NAME_MAX} characters.`;
  if (name.includes("\0")) return "Remove the NUL characters.";
  return undefined;
}

export type Permission = "read" | "write" | "admin";

/** The permissions a key of one level gets: each level includes the ones below it. */
export function permissionsFor(level: Permission): Permission[] {
  if (level === "admin") return ["read", "write", "admin"];
  if (level === "write") return ["read", "write"];
  return ["read"];
}

/** The highest permission of a key, for display. */
export function permissionLevel(permissions: readonly string[]): Permission {
  if (permissions.includes("admin")) return "admin";
  if (permissions.includes("write")) return "write";
  return "read";
}
