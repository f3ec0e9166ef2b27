// The project form's checks, with the lengths the server's models declare (src/api/limits.ts).
import { LIMITS } from "../../api/limits";

export const PROJECT_NAME_MAX = LIMITS.ProjectCreate.name.maxLength;
export const DESCRIPTION_MAX = LIMITS.ProjectCreate.description.maxLength;

export function checkProjectName(value: string): string | undefined {
  const name = value.trim();
  if (!name) return "Enter a project name.";
  if (name.length > PROJECT_NAME_MAX) return `Use at most ${PROJECT_NAME_MAX} characters.`;
  if (/[\x00-\x1f]/.test(name)) return "Remove the control characters.";
  return undefined;
}

export function checkDescription(value: string): string | undefined {
  if (value.length > DESCRIPTION_MAX) return `Use at most ${DESCRIPTION_MAX} characters.`;
  if (value.includes("\0")) return "Remove the NUL characters.";
  return undefined;
}
