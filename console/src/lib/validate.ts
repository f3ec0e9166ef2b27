// Checks run before a form is sent, mirroring the server's rules so that a person sees
// the problem at once. The server checks again; its answer is shown when it disagrees.

import { LIMITS } from "../api/limits";

/** The server's password policy (identity/passwords.py): no model declares it. */
export const PASSWORD_MIN = 8;
export const PASSWORD_MAX = 128;

export function checkEmail(value: string): string | undefined {
  const email = value.trim();
  if (!email) return "Enter your email address.";
  if (!/^[^\s@]+@[^\s@]+\.[^\s@]+$/.test(email)) return "Enter a valid email address.";
  return undefined;
}

export function checkPassword(value: string): string | undefined {
  if (value.length < PASSWORD_MIN) return `Use at least ${PASSWORD_MIN} characters.`;
  if (value.length > PASSWORD_MAX) return `Use at most ${PASSWORD_MAX} characters.`;
  if (new Set(value).size < 3) return "Use more different characters.";
  return undefined;
}

const USERNAME = LIMITS.SignupIn.username;

export function checkUsername(value: string): string | undefined {
  if (!value) return undefined; // optional
  if (value.length < USERNAME.minLength || value.length > USERNAME.maxLength)
    return `Use ${USERNAME.minLength} to ${USERNAME.maxLength} characters.`;
  if (!/^[A-Za-z0-9_.-]+$/.test(value)) return "Use letters, digits, '_', '.' and '-' only.";
  return undefined;
}

/** A JSON text parsed, or the reason it is not JSON. */
export function parseJson(text: string): { ok: true; value: unknown } | { ok: false; error: string } {
  if (!text.trim()) return { ok: false, error: "Enter a JSON value, e.g. {\"hello\": \"world\"}." };
  try {
    return { ok: true, value: JSON.parse(text) };
  } catch (caught) {
    const reason = caught instanceof Error ? caught.message : "invalid JSON";
    return { ok: false, error: `Not valid JSON: ${reason}` };
  }
}

/** An optional whole number in a range: the number, null when blank, or the reason. */
export function parseWhole(
  text: string,
  { min, max, what }: { min: number; max?: number; what: string },
): { ok: true; value: number | null } | { ok: false; error: string } {
  const trimmed = text.trim();
  if (!trimmed) return { ok: true, value: null };
  if (!/^\d+$/.test(trimmed)) return { ok: false, error: `Enter ${what} as a whole number.` };
  const value = Number(trimmed);
  if (value < min) return { ok: false, error: `Use at least ${min}.` };
  if (max !== undefined && value > max) return { ok: false, error: `Use at most ${max}.` };
  return { ok: true, value };
}
