// Reconnect delays: exponential from `baseMs`, capped at `maxMs`, with jitter so that
// many clients dropped at once do not come back at once.
export interface BackoffOptions {
  baseMs?: number;
  maxMs?: number;
}

export function backoffDelay(
  attempt: number,
  { baseMs = 500, maxMs = 15_000 }: BackoffOptions = {},
  random: () => number = Math.random,
): number {
  const ceiling = Math.min(maxMs, baseMs * 2 ** Math.max(0, attempt));
  return Math.round(ceiling / 2 + (random() * ceiling) / 2);
}
