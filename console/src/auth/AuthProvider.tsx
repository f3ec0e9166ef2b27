// Who is signed in. Tokens live in the session module; this context follows it (also
// across tabs) and offers sign in, sign up and sign out.
import { createContext, useContext, useEffect, useMemo, useState, type ReactNode } from "react";

import { api, unwrap } from "../api/client";
import * as session from "../api/session";

interface Auth {
  user: session.User | null;
  signIn(login: string, password: string): Promise<void>;
  signUp(email: string, password: string, username?: string): Promise<void>;
  signOut(): void;
  /** Re-read the signed-in user (after a change of email, say). */
  reload(): Promise<void>;
}

const AuthContext = createContext<Auth | null>(null);

export function AuthProvider({ children }: { children: ReactNode }) {
  const [user, setUser] = useState<session.User | null>(() => session.load()?.user ?? null);

  useEffect(() => session.subscribe((next) => setUser(next?.user ?? null)), []);

  const value = useMemo<Auth>(
    () => ({
      user,
      async signIn(login, password) {
        const body = login.includes("@") ? { email: login, password } : { username: login, password };
        const tokens = await unwrap(api.POST("/api/v1/auth/login", { body }));
        session.save(session.fromTokens(tokens));
      },
      async signUp(email, password, username) {
        const tokens = await unwrap(
          api.POST("/api/v1/auth/signup", { body: { email, password, username: username || null } }),
        );
        session.save(session.fromTokens(tokens));
      },
      signOut() {
        // Signed out here at once; the server is told best-effort to end the session
        // (revoke the refresh token's family). Plain fetch: no token refresh on the way out.
        const refreshToken = session.load()?.refresh;
        session.save(null);
        if (!refreshToken) return;
        api
          .POST("/api/v1/auth/logout", {
            body: { refresh_token: refreshToken },
            fetch: (request) => fetch(request),
            keepalive: true,
          })
          .catch(() => undefined);
      },
      async reload() {
        const current = session.load();
        if (!current) return;
        const me = await unwrap(api.GET("/api/v1/auth/me"));
        session.save({ ...(session.load() ?? current), user: me });
      },
    }),
    [user],
  );
  return <AuthContext.Provider value={value}>{children}</AuthContext.Provider>;
}

export function useAuth(): Auth {
  const auth = useContext(AuthContext);
  if (!auth) throw new Error("useAuth outside <AuthProvider>");
  return auth;
}
