// Admin → one tenant: summary, today's usage per project, settings and limits, status,
// deletion.
import { useEffect, useRef, useState, type FormEvent, type ReactNode } from "react";

import { api, unwrap } from "../../api/client";
import { useAuth } from "../../auth/AuthProvider";
import { formatBytes, formatCount } from "../../components/charts/scale";
import { Alert, Badge, Button, Card, Empty, Spinner, Table, TextField, td, th } from "../../components/ui";
import { useAction, useLoad } from "../../hooks/useApi";
import {
  buildLimitsUpdate,
  bytesHint,
  checkPlan,
  checkTenantName,
  effectiveValue,
  fieldId,
  formatLimit,
  formFromTenant,
  QUOTA_FIELDS,
  RATE_FIELDS,
  type LimitField,
  type LimitsForm,
  type Tenant,
  type TenantUpdate,
} from "./limits";
import { formatWhen, ShortId } from "./shared";

export function TenantDetail({ tenantId, onBack }: { tenantId: string; onBack(): void }) {
  const tenant = useLoad(
    () => unwrap(api.GET("/api/admin/tenants/{tenant_id}", { params: { path: { tenant_id: tenantId } } })),
    [tenantId],
  );
  const heading = useRef<HTMLHeadingElement>(null);
  useEffect(() => heading.current?.focus(), [tenantId]);

  return (
    <div className="flex flex-col gap-4">
      <div className="flex flex-wrap items-center gap-3">
        <Button variant="secondary" onClick={onBack}>
          ← All tenants
        </Button>
        <h2 ref={heading} tabIndex={-1} className="text-lg font-semibold wrap-anywhere outline-none">
          {tenant.data ? `Tenant ${tenant.data.name}` : "Tenant"}
        </h2>
        {tenant.data &&
          (tenant.data.is_active ? <Badge tone="success">Active</Badge> : <Badge tone="error">Inactive</Badge>)}
      </div>
      {tenant.error && <Alert>{tenant.error}</Alert>}
      {tenant.loading && !tenant.data && <Spinner label="Loading tenant" />}
      {tenant.data && (
        <>
          <Summary tenant={tenant.data} />
          <Usage tenant={tenant.data} />
          <Settings tenant={tenant.data} onSaved={tenant.reload} />
          <Status tenant={tenant.data} onChanged={tenant.reload} onDeleted={onBack} />
        </>
      )}
    </div>
  );
}

function Summary({ tenant }: { tenant: Tenant }) {
  const rows: [string, ReactNode][] = [
    ["Id", <span className="font-mono text-xs break-all">{tenant.id}</span>],
    ["Plan", tenant.plan],
    ["Members", tenant.members],
    ["Created", formatWhen(tenant.created_at)],
    ["Updated", formatWhen(tenant.updated_at)],
  ];
  return (
    <Card title="Summary">
      <dl className="grid gap-x-4 gap-y-2 text-sm sm:grid-cols-[max-content_1fr]">
        {rows.map(([label, value]) => (
          <div key={label} className="contents">
            <dt className="font-medium text-slate-600">{label}</dt>
            <dd>{value}</dd>
          </div>
        ))}
      </dl>
    </Card>
  );
}

interface Counts {
  messages_in: number;
  bytes_in: number;
  messages_out: number;
  bytes_out: number;
}

/** The usage answer's projects, defensively read (the schema types it loosely). */
export function readUsage(body: Record<string, unknown>): { date: string; projects: [string, Counts][] } {
  const projects = body.projects && typeof body.projects === "object" ? body.projects : {};
  const number = (value: unknown) => (typeof value === "number" ? value : 0);
  return {
    date: typeof body.date === "string" ? body.date : "",
    projects: Object.entries(projects as Record<string, Record<string, unknown>>).map(([id, c]) => [
      id,
      {
        messages_in: number(c?.messages_in),
        bytes_in: number(c?.bytes_in),
        messages_out: number(c?.messages_out),
        bytes_out: number(c?.bytes_out),
      },
    ]),
  };
}

function Usage({ tenant }: { tenant: Tenant }) {
  const usage = useLoad(
    async () =>
      readUsage(
        await unwrap(api.GET("/api/admin/tenants/{tenant_id}/usage", { params: { path: { tenant_id: tenant.id } } })),
      ),
    [tenant.id],
  );
  const total = (usage.data?.projects ?? []).reduce<Counts>(
    (sum, [, c]) => ({
      messages_in: sum.messages_in + c.messages_in,
      bytes_in: sum.bytes_in + c.bytes_in,
      messages_out: sum.messages_out + c.messages_out,
      bytes_out: sum.bytes_out + c.bytes_out,
    }),
    { messages_in: 0, bytes_in: 0, messages_out: 0, bytes_out: 0 },
  );
  const cells = (c: Counts) => (
    <>
      <td className={td}>{formatCount(c.messages_in)}</td>
      <td className={td}>{formatCount(c.messages_out)}</td>
      <td className={td}>{formatBytes(c.bytes_in)}</td>
      <td className={td}>{formatBytes(c.bytes_out)}</td>
    </>
  );
  return (
    <Card
      title={usage.data?.date ? `Usage today (${usage.data.date}, UTC)` : "Usage today"}
      actions={
        <Button variant="secondary" busy={usage.loading && !!usage.data} onClick={() => void usage.reload()}>
          Refresh usage
        </Button>
      }
    >
      {usage.error && <Alert>{usage.error}</Alert>}
      {usage.loading && !usage.data ? (
        <Spinner label="Loading usage" />
      ) : !usage.data?.projects.length ? (
        <Empty>This tenant has no projects.</Empty>
      ) : (
        <Table caption="Usage today per project">
          <thead>
            <tr>
              <th className={th}>Project</th>
              <th className={th}>Messages in</th>
              <th className={th}>Messages out</th>
              <th className={th}>Bytes in</th>
              <th className={th}>Bytes out</th>
            </tr>
          </thead>
          <tbody>
            {usage.data.projects.map(([id, counts]) => (
              <tr key={id}>
                <td className={td}>
                  <ShortId id={id} />
                </td>
                {cells(counts)}
              </tr>
            ))}
            {usage.data.projects.length > 1 && (
              <tr className="font-medium">
                <td className={td}>All projects</td>
                {cells(total)}
              </tr>
            )}
          </tbody>
        </Table>
      )}
      <p className="mt-2 text-xs text-slate-500">
        Tenant quota in force:{" "}
        {formatLimit(tenant.effective.quotas.tenant_messages_per_day, "messages")} and{" "}
        {formatLimit(tenant.effective.quotas.tenant_bytes_per_day, "bytes")} per day.
      </p>
    </Card>
  );
}

function LimitInput({
  field,
  tenant,
  value,
  error,
  onChange,
}: {
  field: LimitField;
  tenant: Tenant;
  value: string;
  error: string | undefined;
  onChange(value: string): void;
}) {
  const effective = formatLimit(effectiveValue(tenant, field), field.unit);
  const extra = field.unit === "bytes" ? bytesHint(value) : undefined;
  return (
    <TextField
      label={field.label}
      inputMode="numeric"
      placeholder="plan default"
      value={value}
      onChange={(e) => onChange(e.target.value)}
      error={error}
      hint={`${extra ? `${extra}. ` : ""}In force: ${effective}${value.trim() ? "" : " (plan default)"}.`}
    />
  );
}

function Settings({ tenant: loaded, onSaved }: { tenant: Tenant; onSaved(): Promise<void> }) {
  // The tenant as last saved here (the PATCH answer), so the form starts from it again.
  const [tenant, setTenant] = useState(loaded);
  const initial = formFromTenant(tenant);
  const [form, setForm] = useState<LimitsForm>(initial);
  const [name, setName] = useState(tenant.name);
  const [plan, setPlan] = useState(tenant.plan);
  const [errors, setErrors] = useState<Record<string, string | undefined>>({});
  const [notice, setNotice] = useState<string | null>(null);
  const save = useAction(async (body: TenantUpdate) => {
    const saved = await unwrap(
      api.PATCH("/api/admin/tenants/{tenant_id}", { params: { path: { tenant_id: tenant.id } }, body }),
    );
    setTenant(saved);
    setForm(formFromTenant(saved));
    setName(saved.name);
    setPlan(saved.plan);
  });

  async function submit(event: FormEvent) {
    event.preventDefault();
    setNotice(null);
    const limits = buildLimitsUpdate(form, initial);
    const next: Record<string, string | undefined> = {
      name: checkTenantName(name),
      plan: checkPlan(plan),
      ...(limits.ok ? {} : limits.errors),
    };
    setErrors(next);
    if (Object.values(next).some(Boolean) || !limits.ok) return;
    const body: TenantUpdate = { ...limits.body };
    if (name.trim() !== tenant.name) body.name = name.trim();
    if (plan !== tenant.plan) body.plan = plan;
    if (!Object.keys(body).length) {
      setNotice("Nothing changed.");
      return;
    }
    if (await save.run(body)) {
      setNotice("Saved. The new limits apply from the tenant's next request.");
      await onSaved();
    }
  }

  const set = (id: string) => (value: string) => setForm((f) => ({ ...f, [id]: value }));
  const serverError = (field: LimitField) => save.fieldError(`${field.group}.${field.key}`);
  const input = (field: LimitField) => (
    <LimitInput
      key={fieldId(field)}
      field={field}
      tenant={tenant}
      value={form[fieldId(field)] ?? ""}
      error={errors[fieldId(field)] ?? serverError(field)}
      onChange={set(fieldId(field))}
    />
  );

  return (
    <Card title="Settings and limits">
      <form onSubmit={submit} noValidate className="flex flex-col gap-4" aria-label="Tenant settings and limits">
        {save.error && <Alert>{save.error}</Alert>}
        {notice && <Alert tone={notice.startsWith("Saved") ? "success" : "info"}>{notice}</Alert>}
        <div className="grid gap-3 md:grid-cols-2">
          <TextField
            label="Name"
            value={name}
            onChange={(e) => setName(e.target.value)}
            error={errors.name ?? save.fieldError("name")}
          />
          <TextField
            label="Plan"
            value={plan}
            onChange={(e) => setPlan(e.target.value)}
            error={errors.plan ?? save.fieldError("plan")}
          />
        </div>
        <fieldset className="flex flex-col gap-2">
          <legend className="mb-2 text-sm font-semibold">Rate limits (API requests)</legend>
          <div className="grid gap-3 md:grid-cols-3">{RATE_FIELDS.map(input)}</div>
        </fieldset>
        <fieldset className="flex flex-col gap-2">
          <legend className="mb-2 text-sm font-semibold">Daily quotas and streams</legend>
          <div className="grid gap-3 md:grid-cols-2">{QUOTA_FIELDS.map(input)}</div>
        </fieldset>
        <p className="text-xs text-slate-500">
          Whole numbers of 0 or more. Leave a field blank to use the plan's default.
        </p>
        <div className="flex flex-wrap gap-2">
          <Button type="submit" busy={save.busy}>
            Save changes
          </Button>
          <Button
            variant="secondary"
            onClick={() => {
              setForm(initial);
              setName(tenant.name);
              setPlan(tenant.plan);
              setErrors({});
              setNotice(null);
              save.reset();
            }}
          >
            Undo edits
          </Button>
        </div>
      </form>
    </Card>
  );
}

function Status({
  tenant,
  onChanged,
  onDeleted,
}: {
  tenant: Tenant;
  onChanged(): Promise<void>;
  onDeleted(): void;
}) {
  const { user } = useAuth();
  const own = user?.tenant_id === tenant.id;
  const [confirmName, setConfirmName] = useState("");
  const [confirmError, setConfirmError] = useState<string>();
  const toggle = useAction(async (is_active: boolean) => {
    await unwrap(
      api.PATCH("/api/admin/tenants/{tenant_id}", { params: { path: { tenant_id: tenant.id } }, body: { is_active } }),
    );
    await onChanged();
  });
  const remove = useAction(async () => {
    await unwrap(api.DELETE("/api/admin/tenants/{tenant_id}", { params: { path: { tenant_id: tenant.id } } }));
    onDeleted();
  });

  function setActive(active: boolean) {
    if (
      !active &&
      !window.confirm(`Deactivate tenant "${tenant.name}"? Its members and API keys stop working until it is activated again.`)
    ) {
      return;
    }
    void toggle.run(active);
  }

  async function submitDelete(event: FormEvent) {
    event.preventDefault();
    if (confirmName.trim() !== tenant.name) {
      setConfirmError("Type the tenant's name exactly to confirm.");
      return;
    }
    setConfirmError(undefined);
    await remove.run();
  }

  return (
    <Card title="Status">
      <div className="flex flex-col gap-4">
        {toggle.error && <Alert>{toggle.error}</Alert>}
        <p className="text-sm text-slate-700">
          {tenant.is_active
            ? "Active: its members and keys can use the API."
            : "Inactive: its members' tokens and its API keys are refused."}
        </p>
        {own && <Alert tone="info">This is the tenant you act in; you cannot deactivate or delete it here.</Alert>}
        <div>
          {tenant.is_active ? (
            <Button variant="danger" busy={toggle.busy} disabled={own} onClick={() => setActive(false)}>
              Deactivate tenant
            </Button>
          ) : (
            <Button busy={toggle.busy} onClick={() => setActive(true)}>
              Activate tenant
            </Button>
          )}
        </div>
        {!own && (
          <form onSubmit={submitDelete} noValidate className="flex flex-col gap-2 border-t border-slate-200 pt-4">
            <h3 className="text-sm font-semibold text-red-800">Delete tenant</h3>
            <p className="text-sm text-slate-700">
              Deletes the tenant with its projects, topics, messages and API keys. This cannot be undone.
            </p>
            {remove.error && <Alert>{remove.error}</Alert>}
            <div className="max-w-sm">
              <TextField
                label="Type the tenant's name to confirm"
                value={confirmName}
                onChange={(e) => setConfirmName(e.target.value)}
                error={confirmError}
                autoComplete="off"
              />
            </div>
            <div>
              <Button type="submit" variant="danger" busy={remove.busy}>
                Delete tenant
              </Button>
            </div>
          </form>
        )}
      </div>
    </Card>
  );
}
