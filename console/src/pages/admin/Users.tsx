// Admin → Users: every account, its tenant and role; deactivate one (after a confirm).
import { useState } from "react";

import { api, unwrap } from "../../api/client";
import type { User } from "../../api/session";
import { useAuth } from "../../auth/AuthProvider";
import { Alert, Badge, Button, Card, Empty, Spinner, Table, TextField, td, th } from "../../components/ui";
import { useAction, useLoad } from "../../hooks/useApi";
import { formatWhen, matches, Pager, PAGE_SIZE, ShortId } from "./shared";

function who(user: User): string {
  return user.email ?? user.username ?? user.id;
}

export function UserList({ onOpenTenant }: { onOpenTenant(id: string): void }) {
  const { user: me } = useAuth();
  const [offset, setOffset] = useState(0);
  const [filter, setFilter] = useState("");
  const [notice, setNotice] = useState<string | null>(null);
  const page = useLoad(
    () => unwrap(api.GET("/api/admin/users", { params: { query: { limit: PAGE_SIZE, offset } } })),
    [offset],
  );
  const deactivate = useAction(async (user: User) => {
    await unwrap(api.POST("/api/admin/users/{user_id}/deactivate", { params: { path: { user_id: user.id } } }));
    setNotice(`${who(user)} is deactivated.`);
    await page.reload();
  });
  const users = (page.data?.users ?? []).filter((u) => matches(filter, u.email, u.username, u.id, u.tenant_id));

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
    <Card
      title={page.data ? `Users (${page.data.total})` : "Users"}
      actions={
        <Button variant="secondary" busy={page.loading && !!page.data} onClick={() => void page.reload()}>
          Refresh
        </Button>
      }
    >
      <div className="mb-3 max-w-sm">
        <TextField
          label="Filter users"
          type="search"
          placeholder="Email, username or id"
          value={filter}
          onChange={(e) => setFilter(e.target.value)}
          hint={page.data && page.data.total > PAGE_SIZE ? "Filters the users of this page." : undefined}
        />
      </div>
      <div className="mb-3 flex flex-col gap-2">
        {page.error && <Alert>{page.error}</Alert>}
        {deactivate.error && <Alert>{deactivate.error}</Alert>}
        {notice && <Alert tone="success">{notice}</Alert>}
      </div>
      {page.loading && !page.data ? (
        <Spinner label="Loading users" />
      ) : users.length === 0 ? (
        <Empty>{filter ? "No user matches the filter." : "No users yet."}</Empty>
      ) : (
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
      <Pager label="Users" total={page.data?.total ?? 0} offset={offset} onChange={setOffset} />
    </Card>
  );
}
