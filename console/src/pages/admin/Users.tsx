// Admin → Users: every account, its tenant and role; deactivate one (after a confirm).
import { useState } from "react";

import { api, unwrap } from "../../api/client";
import type { User } from "../../api/session";
import { useAuth } from "../../auth/AuthProvider";
import { matches, PagedCard, usePaged } from "../../components/PagedCard";
import { Alert, Badge, Button, Table, td, th } from "../../components/ui";
import { useAction } from "../../hooks/useApi";
import { formatWhen, ShortId } from "./shared";

function who(user: User): string {
  return user.email ?? user.username ?? user.id;
}

export function UserList({ onOpenTenant }: { onOpenTenant(id: string): void }) {
  const { user: me } = useAuth();
  const [notice, setNotice] = useState<string | null>(null);
  const paged = usePaged(async (limit, offset) => {
    const page = await unwrap(api.GET("/api/admin/users", { params: { query: { limit, offset } } }));
    return { total: page.total, items: page.users };
  });
  const deactivate = useAction(async (user: User) => {
    await unwrap(api.POST("/api/admin/users/{user_id}/deactivate", { params: { path: { user_id: user.id } } }));
    setNotice(`${who(user)} is deactivated.`);
    await paged.page.reload();
  });

  function confirmDeactivate(user: User) {
    setNotice(null);
    if (
      window.confirm(
        `Deactivate ${who(user)}? Their tokens and API keys stop working at once and their open streams close.`,
      )
    ) {
      void deactivate.run(user);
    }
  }

  return (
    <PagedCard
      title="Users"
      paged={paged}
      filter={{
        label: "Filter users",
        placeholder: "Email, username or id",
        matches: (text, u) => matches(text, u.email, u.username, u.id, u.tenant_id),
      }}
      empty="No users yet."
      alerts={
        <>
          {deactivate.error && <Alert>{deactivate.error}</Alert>}
          {notice && <Alert tone="success">{notice}</Alert>}
        </>
      }
    >
      {(users) => (
        <Table caption="Users">
          <thead>
            <tr>
              <th className={th}>User</th>
              <th className={th}>Tenant</th>
              <th className={th}>Role</th>
              <th className={th}>Status</th>
              <th className={th}>Created</th>
              <th className={th}>
                <span className="sr-only">Actions</span>
              </th>
            </tr>
          </thead>
          <tbody>
            {users.map((user) => (
              <tr key={user.id}>
                <td className={td}>
                  <div className="font-medium wrap-anywhere">{user.email ?? "—"}</div>
                  {user.username && <div className="text-xs text-slate-600">@{user.username}</div>}
                  {user.is_platform_admin && <Badge tone="warning">platform admin</Badge>}
                </td>
                <td className={td}>
                  {user.tenant_id ? (
                    <button
                      type="button"
                      className="text-indigo-700 underline"
                      aria-label={`Open the tenant of ${who(user)}`}
                      onClick={() => onOpenTenant(user.tenant_id as string)}
                    >
                      <ShortId id={user.tenant_id} />
                    </button>
                  ) : (
                    <ShortId id={null} />
                  )}
                </td>
                <td className={td}>{user.role ?? "—"}</td>
                <td className={td}>
                  {user.is_active ? <Badge tone="success">Active</Badge> : <Badge tone="error">Deactivated</Badge>}
                </td>
                <td className={`${td} whitespace-nowrap`}>{formatWhen(user.created_at)}</td>
                <td className={td}>
                  {user.is_active && user.id !== me?.id && (
                    <Button
                      variant="danger"
                      aria-label={`Deactivate ${who(user)}`}
                      busy={deactivate.busy}
                      onClick={() => confirmDeactivate(user)}
                    >
                      Deactivate
                    </Button>
                  )}
                </td>
              </tr>
            ))}
          </tbody>
        </Table>
      )}
    </PagedCard>
  );
}
