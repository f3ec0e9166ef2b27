// The signed-in session: tokens kept in localStorage so a reload or a second tab stays
// signed in. Access tokens live 15 minutes; the refresh token rotates on every use, and
// one refresh at a time runs across all tabs (Web Locks), so two tabs never present the
// same refresh token (the server treats a reuse as theft and ends the session).
import type { components } from "./schema";

export type TokenOut = components["schemas"]["TokenOut"];
export type User = components["schemas"]["UserOut"];

export interface Session {
  access: string;
  refresh: string;
  /** Epoch milliseconds when the access token expires. */
  expiresAt: number;
  user: User;
}

const KEY = "topichub.session";
/** Refresh this long before expiry so a request never leaves with a dying token. */
const EARLY_MS = 30_000;

type Listener = (session: Session | null) => void;
const listeners = new Set<Listener>();

export function fromTokens(tokens: TokenOut, now = Date.now()): Session {
  return {
    access: tokens.access_token,
    refresh: tokens.refresh_token,
    expiresAt: now + tokens.expires_in * 1000,
    user: tokens.user,
  };
}

export function load(): Session | null {
  try {
    const raw = localStorage.getItem(KEY);
    if (!raw) return null;
    const value = JSON.parse(raw) as Partial<Session>;
    if (typeof value.access !== "string" || typeof value.refresh !== "string") return null;
    return value as Session;
  } catch {
    return null;
  }
}

export function save(session: Session | null): void {
  if (session) localStorage.setItem(KEY, JSON.stringify(session));
  else localStorage.removeItem(KEY);
  for (const listener of listeners) listener(session);
}

export function subscribe(listener: Listener): () => void {
  listeners.add(listener);
  const onStorage = (event: StorageEvent) => {
    if (event.key === KEY) listener(load());
  };
  window.addEventListener("storage", onStorage);
  return () => {
    listeners.delete(listener);
    window.removeEventListener("storage", onStorage);
  };
}

export function isFresh(session: Session, now = Date.now()): boolean {
  return session.expiresAt - EARLY_MS > now;
}

let inflight: Promise<Session | null> | null = null;

async function exchange(refreshToken: string): Promise<Session | null> {
  const response = await fetch("/api/v1/auth/refresh", {
    method: "POST",
    headers: { "Content-Type": "application/json" },
    body: JSON.stringify({ refresh_token: refreshToken }),
  });
  if (!response.ok) return null;
  return fromTokens((await response.json()) as TokenOut);
}

async function refreshOnce(stale: Session): Promise<Session | null> {
  // Another tab may have rotated the token while we waited for the lock.
  const current = load();
  if (!current) return null;
  if (current.refresh !== stale.refresh && isFresh(current)) return current;
  try {
    const next = await exchange(current.refresh);
    save(next);
    return next;
  } catch {
    return current; // offline: keep the session, the request will report the failure
  }
}

/** A new access token from the refresh token; null (and signed out) when it is refused. */
export function refresh(stale: Session): Promise<Session | null> {
  if (!inflight) {
    const run = () => refreshOnce(stale);
    const locked: Promise<Session | null> =
      typeof navigator !== "undefined" && navigator.locks
        ? navigator.locks.request("topichub.refresh", run).then((session) => session)
        : run();
    const pending = locked.finally(() => {
      inflight = null;
    });
    inflight = pending;
    return pending;
  }
  return inflight;
}

/** The access token to send now, refreshed first when it is about to expire. */
export async function accessToken(): Promise<string | null> {
  const session = load();
  if (!session) return null;
  if (isFresh(session)) return session.access;
  return (await refresh(session))?.access ?? null;
}
