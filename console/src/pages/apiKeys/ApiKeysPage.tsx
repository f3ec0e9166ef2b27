// API keys: create one (its secret is shown once, with a copy button), list them with
// their permission, project and last use, and revoke them.
import { useEffect, useRef, useState } from "react";

import { api, unwrap } from "../../api/client";
import type { components } from "../../api/schema";
import { CreateForm } from "../../components/CreateForm";
import { ListCard } from "../../components/ListCard";
import { Alert, Badge, Button, CopyButton, PageHeader, Select, Table, TextField, td, th } from "../../components/ui";
import { useAction, useLoad } from "../../hooks/useApi";
import { useProject } from "../../hooks/useProject";
import { checkKeyName, KEY_EXPIRY_DAYS_MAX, permissionLevel, permissionsFor, type Permission } from "./apiKeys";
import { formatDateTime } from "../../lib/time";
import { parseWhole } from "../../lib/validate";

type Key = components["schemas"]["ApiKeyOut"];
type Created = components["schemas"]["ApiKeyCreated"];
type Project = components["schemas"]["ProjectOut"];

const LEVELS: { value: Permission; label: string }[] = [
  { value: "read", label: "read — list topics, stream, see usage" },
  { value: "write", label: "write — read, and publish" },
  { value: "admin", label: "admin — write, and manage topics and keys" },
];

function when(value: string | null): string {
  return value ? formatDateTime(value) : "never";
}

function keyState(key: Key): { text: string; tone: "success" | "error" | "warning" } {
  if (key.revoked_at) return { text: "revoked", tone: "error" };
  if (key.expires_at && new Date(key.expires_at).getTime() <= Date.now()) return { text: "expired", tone: "warning" };
  if (!key.is_active) return { text: "inactive", tone: "warning" };
  return { text: "active", tone: "success" };
}

function CreateKey({ projects, onCreated }: { projects: Project[]; onCreated(key: Created): void }) {
  const { projectId } = useProject();
  const [name, setName] = useState("");
  const [level, setLevel] = useState<Permission>("write");
  // The project in use in the header is the natural default.
  const [project, setProject] = useState(projectId ?? "");
  const [expires, setExpires] = useState("");
  const [errors, setErrors] = useState<{ name?: string; expires?: string }>({});
  const create = useAction(async () => {
    const days = parseWhole(expires, { min: 1, max: KEY_EXPIRY_DAYS_MAX, what: "the days" });
    const body: components["schemas"]["ApiKeyCreate"] = {
      name: name.trim(),
      permissions: permissionsFor(level),
      project_id: project || null,
      expires_in_days: days.ok ? days.value : null,
    };
    onCreated(await unwrap(api.POST("/api/v1/api-keys", { body })));
  });

  function check(): boolean {
    const problems: { name?: string; expires?: string } = {};
    const nameProblem = checkKeyName(name);
    if (nameProblem) problems.name = nameProblem;
    const days = parseWhole(expires, { min: 1, max: KEY_EXPIRY_DAYS_MAX, what: "the days" });
    if (!days.ok) problems.expires = days.error;
    setErrors(problems);
    return !problems.name && days.ok;
  }

  return (
    <CreateForm
      title="New API key"
      submitLabel="Create key"
      action={create}
      check={check}
      onCreated={() => {
        setName("");
        setExpires("");
      }}
    >
      <div className="grid gap-3 md:grid-cols-2">
        <TextField
          label="Key name"
          value={name}
          onChange={(e) => setName(e.target.value)}
          error={errors.name ?? create.fieldError("name")}
          hint="What uses it, e.g. “billing service”."
        />
        <Select
          label="Permission"
          value={level}
          onChange={(e) => setLevel(e.target.value as Permission)}
          error={create.fieldError("permissions")}
        >
          {LEVELS.map((l) => (
            <option key={l.value} value={l.value}>
              {l.label}
            </option>
          ))}
        </Select>
        <Select
          label="Project"
          value={project}
          onChange={(e) => setProject(e.target.value)}
          error={create.fieldError("project_id")}
          hint="A key can only reach the topics of its project."
        >
          <option value="">Default project</option>
          {projects
            .filter((p) => !p.is_default)
            .map((p) => (
              <option key={p.id} value={p.id}>
                {p.name}
              </option>
            ))}
        </Select>
        <TextField
          label="Expires after days (optional)"
          inputMode="numeric"
          value={expires}
          onChange={(e) => setExpires(e.target.value)}
          error={errors.expires ?? create.fieldError("expires_in_days")}
          hint="Empty: the key never expires."
        />
      </div>
    </CreateForm>
  );
}

function Secret({ created, onDismiss }: { created: Created; onDismiss(): void }) {
  const panel = useRef<HTMLElement>(null);
  useEffect(() => panel.current?.focus(), [created.id]);
  return (
    <section
      ref={panel}
      tabIndex={-1}
      aria-labelledby="new-key-title"
      className="flex flex-col gap-3 rounded-lg bg-emerald-50 p-4 ring-1 ring-emerald-200"
      data-testid="new-key"
    >
      <h2 id="new-key-title" className="text-base font-semibold text-emerald-900">
        API key “{created.name}” created
      </h2>
      <p className="text-sm font-medium text-emerald-900">
        Copy the secret now: you will not see it again. Only a hash of it is stored.
      </p>
      <div className="flex flex-wrap items-center gap-2">
        <code
          className="min-w-0 flex-1 break-all rounded bg-white px-2 py-2 font-mono text-sm ring-1 ring-emerald-200"
          data-testid="new-key-secret"
          aria-label="API key secret"
        >
          {created.key}
        </code>
        <CopyButton text={created.key} label="Copy secret" />
      </div>
      <p className="text-xs text-emerald-900">
        Send it as <code>X-API-Key: …</code> or <code>Authorization: Bearer …</code>.
      </p>
      <div>
        <Button variant="secondary" onClick={onDismiss}>
          I have saved it, hide the secret
        </Button>
      </div>
    </section>
  );
}

function KeyRow({ apiKey, project, onChanged }: { apiKey: Key; project: string; onChanged(): void }) {
  const revoke = useAction(async () =>
    unwrap(api.DELETE("/api/v1/api-keys/{key_id}", { params: { path: { key_id: apiKey.id } } })),
  );
  const state = keyState(apiKey);

  async function onRevoke() {
    if (!window.confirm(`Revoke the API key '${apiKey.name}'? Anything using it stops working at once.`)) return;
    if (await revoke.run()) onChanged();
  }

  return (
    <tr>
      <td className={td}>
        <div className="flex flex-wrap items-center gap-2">
          <span className="font-medium">{apiKey.name}</span>
          <Badge tone={state.tone}>{state.text}</Badge>
        </div>
        <code className="text-xs text-slate-500">{apiKey.prefix}…</code>
        {revoke.error && (
          <div className="mt-2">
            <Alert>{revoke.error}</Alert>
          </div>
        )}
      </td>
      <td className={td}>{permissionLevel(apiKey.permissions)}</td>
      <td className={td}>{project}</td>
      <td className={`${td} hidden whitespace-nowrap md:table-cell`}>{when(apiKey.created_at)}</td>
      <td className={`${td} whitespace-nowrap`}>{when(apiKey.last_used_at)}</td>
      <td className={td}>
        {!apiKey.revoked_at && (
          <Button variant="danger" aria-label={`Revoke ${apiKey.name}`} busy={revoke.busy} onClick={onRevoke}>
            Revoke
          </Button>
        )}
      </td>
    </tr>
  );
}

export default function ApiKeysPage() {
  const { version } = useProject();
  const keys = useLoad(() => unwrap(api.GET("/api/v1/api-keys")), []);
  const projects = useLoad(() => unwrap(api.GET("/api/v1/projects")), [version]);
  const [created, setCreated] = useState<Created | null>(null);
  const projectList = projects.data ?? [];
  const projectName = (id: string) => projectList.find((p) => p.id === id)?.name ?? "—";
  const list = keys.data ?? [];

  return (
    <div className="flex flex-col gap-4">
      <PageHeader title="API keys" />
      {created && <Secret created={created} onDismiss={() => setCreated(null)} />}
      <CreateKey
        projects={projectList}
        onCreated={(key) => {
          setCreated(key);
          void keys.reload();
        }}
      />
      <ListCard
        title="Your keys"
        load={keys}
        rows={list}
        loadingLabel="Loading API keys"
        empty="No API keys yet."
      >
        {(rows) => (
          <Table caption="API keys">
            <thead>
              <tr>
                <th className={th} scope="col">Name</th>
                <th className={th} scope="col">Permission</th>
                <th className={th} scope="col">Project</th>
                <th className={`${th} hidden md:table-cell`} scope="col">Created</th>
                <th className={th} scope="col">Last used</th>
                <th className={`${th} relative`} scope="col">
                  <span className="sr-only">Actions</span>
                </th>
              </tr>
            </thead>
            <tbody>
              {rows.map((key) => (
                <KeyRow key={key.id} apiKey={key} project={projectName(key.project_id)} onChanged={() => void keys.reload()} />
              ))}
            </tbody>
          </Table>
        )}
      </ListCard>
    </div>
  );
}
