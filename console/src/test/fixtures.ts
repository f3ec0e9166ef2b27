// Test data for the pages' tests: a signed-in user and a tenant as the admin API returns them.
import type { Tenant } from "../pages/admin/limits";

export function tenant(overrides: Partial<Tenant> = {}): Tenant {
  return {
    id: "11111111-2222-3333-4444-555555555555",
    name: "acme",
    plan: "free",
    is_active: true,
    members: 1,
    rate_limits: null,
    quotas: null,
    effective: {
      rate_limits: { per_minute: 1000, per_hour: 50000, per_day: 1000000 },
      quotas: {
        messages_per_day: 10000,
        bytes_per_day: 104857600,
        project_messages_per_day: null,
        project_bytes_per_day: null,
        tenant_messages_per_day: null,
        tenant_bytes_per_day: null,
      },
      max_streams_per_user: 2,
    },
    created_at: "2026-01-01T00:00:00Z",
    updated_at: "2026-01-01T00:00:00Z",
    ...overrides,
  };
}

export function userOut(overrides: Record<string, unknown> = {}) {
  return {
    id: "aaaaaaaa-0000-0000-0000-000000000001",
    email: "admin@example.com",
    username: null,
    is_active: true,
    is_platform_admin: true,
    tenant_id: "99999999-0000-0000-0000-000000000000",
    role: "owner",
    created_at: "2026-01-01T00:00:00Z",
    ...overrides,
  };
}

/** Put a signed-in session in localStorage, as the session module keeps it. */
export function signedIn(user = userOut()): void {
  localStorage.setItem(
    "topichub.session",
    JSON.stringify({ access: "access-1", refresh: "thr_refresh-1", expiresAt: Date.now() + 600_000, user }),
  );
}
