// Admin → Tenants: every tenant with its plan, status and main limits; create one; open
// one to see its usage and edit its limits (TenantDetail).
import { useRef, useState } from "react";

import { api, unwrap } from "../../api/client";
import { CreateForm } from "../../components/CreateForm";
import { matches, PagedCard, usePaged } from "../../components/PagedCard";
import { Badge, Button, Table, TextField, td, th } from "../../components/ui";
import { useAction } from "../../hooks/useApi";
import { checkEmail } from "../../lib/validate";
import { checkPlan, checkTenantName, formatLimit, type Tenant } from "./limits";
import { formatWhen, ShortId } from "./shared";

export function TenantList({ onOpen }: { onOpen(id: string): void }) {
  const paged = usePaged(async (limit, offset) => {
    const page = await unwrap(api.GET("/api/admin/tenants", { params: { query: { limit, offset } } }));
    return { total: page.total, items: page.tenants };
  });

  return (
    <div className="flex flex-col gap-4">
      <PagedCard
        title="Tenants"
        paged={paged}
        filter={{
          label: "Filter tenants",
          placeholder: "Name, id or plan",
          matches: (text, t) => matches(text, t.name, t.id, t.plan),
        }}
        empty="No tenants yet."
      >
        {(tenants) => <TenantTable tenants={tenants} onOpen={onOpen} />}
      </PagedCard>
      <CreateTenant onCreated={onOpen} />
    </div>
  );
}

function TenantTable({ tenants, onOpen }: { tenants: Tenant[]; onOpen(id: string): void }) {
  return (
    <Table caption="Tenants">
      <thead>
        <tr>
          <th className={th}>Name</th>
          <th className={th}>Plan</th>
          <th className={th}>Status</th>
          <th className={th}>Members</th>
          <th className={th}>Requests / min</th>
          <th className={th}>Messages / user / day</th>
          <th className={th}>Created</th>
          <th className={th}>
            <span className="sr-only">Actions</span>
          </th>
        </tr>
      </thead>
      <tbody>
        {tenants.map((tenant) => (
          <tr key={tenant.id}>
            <td className={td}>
              <div className="font-medium wrap-anywhere">{tenant.name}</div>
              <ShortId id={tenant.id} />
            </td>
            <td className={td}>{tenant.plan}</td>
            <td className={td}>
              {tenant.is_active ? <Badge tone="success">Active</Badge> : <Badge tone="error">Inactive</Badge>}
            </td>
            <td className={td}>{tenant.members}</td>
            <td className={td}>
              {formatLimit(tenant.effective.rate_limits.per_minute, "requests")}
              {tenant.rate_limits?.per_minute !== undefined && <Custom />}
            </td>
            <td className={td}>
              {formatLimit(tenant.effective.quotas.messages_per_day, "messages")}
              {tenant.quotas?.messages_per_day !== undefined && <Custom />}
            </td>
            <td className={`${td} whitespace-nowrap`}>{formatWhen(tenant.created_at)}</td>
            <td className={td}>
              <Button variant="secondary" aria-label={`Manage ${tenant.name}`} onClick={() => onOpen(tenant.id)}>
                Manage
              </Button>
            </td>
          </tr>
        ))}
      </tbody>
    </Table>
  );
}

function Custom() {
  return (
    <span className="ml-1">
      <Badge tone="info">custom</Badge>
    </span>
  );
}

function CreateTenant({ onCreated }: { onCreated(id: string): void }) {
  const [name, setName] = useState("");
  const [plan, setPlan] = useState("free");
  const [owner, setOwner] = useState("");
  const [errors, setErrors] = useState<Record<string, string | undefined>>({});
  const created = useRef<string | null>(null);
  const create = useAction(async () => {
    const tenant = await unwrap(
      api.POST("/api/admin/tenants", {
        body: { name: name.trim(), plan, owner_email: owner.trim() || null },
      }),
    );
    created.current = tenant.id;
  });

  function check() {
    const next = {
      name: checkTenantName(name),
      plan: checkPlan(plan),
      owner_email: owner.trim() ? checkEmail(owner) : undefined,
    };
    setErrors(next);
    return !Object.values(next).some(Boolean);
  }

  return (
    <CreateForm
      title="Create a tenant"
      submitLabel="Create tenant"
      action={create}
      check={check}
      onCreated={() => created.current && onCreated(created.current)}
    >
      <div className="grid gap-3 md:grid-cols-3">
        <TextField
          label="Tenant name"
          value={name}
          onChange={(e) => setName(e.target.value)}
          error={errors.name ?? create.fieldError("name")}
        />
        <TextField
          label="Plan"
          value={plan}
          onChange={(e) => setPlan(e.target.value)}
          error={errors.plan ?? create.fieldError("plan")}
          hint="A label; the limits come from the settings and the overrides."
        />
        <TextField
          label="Owner email (optional)"
          type="email"
          value={owner}
          onChange={(e) => setOwner(e.target.value)}
          error={errors.owner_email ?? create.fieldError("owner_email")}
          hint="An existing user who becomes the tenant's owner."
        />
      </div>
    </CreateForm>
  );
}
