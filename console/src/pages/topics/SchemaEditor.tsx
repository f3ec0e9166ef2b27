// A topic's JSON Schema: see the one in force, edit it, check a sample message against
// the draft before saving (saving checks it again and refuses to save a schema the
// sample fails), replace an incompatible schema only when asked to force it, remove it.
import { useState, type FormEvent } from "react";

import { api, unwrap } from "../../api/client";
import { ApiError, describe, toApiError } from "../../api/errors";
import { Alert, Badge, Button, Card, Spinner, TextArea } from "../../components/ui";
import { useLoad } from "../../hooks/useApi";
import { formatDateTime } from "../../lib/time";
import {
  describeFailures,
  parseSample,
  parseSchema,
  SAMPLE_TEMPLATE,
  SCHEMA_TEMPLATE,
  type SchemaCheck,
  type SchemaOut,
} from "./schemaEditor";

type Outcome =
  | { kind: "checked"; check: SchemaCheck }
  | { kind: "saved"; schema: SchemaOut }
  | { kind: "removed" }
  | { kind: "incompatible"; message: string }
  | { kind: "error"; message: string };

export function SchemaEditor({ topic, projectId }: { topic: string; projectId: string | null }) {
  const query = projectId ? { project_id: projectId } : {};
  const current = useLoad(async () => {
    const { data, response, error } = await api.GET("/api/v1/topics/{name}/schema", {
      params: { path: { name: topic }, query },
    });
    if (response.status === 404) return null; // no schema in force
    if (!response.ok) throw toApiError(response, error);
    return data ?? null;
  }, [topic, projectId]);
  const [schemaText, setSchemaText] = useState<string | null>(null);
  const [sampleText, setSampleText] = useState(SAMPLE_TEMPLATE);
  const [errors, setErrors] = useState<{ schema?: string; sample?: string }>({});
  const [outcome, setOutcome] = useState<Outcome | null>(null);
  const [busy, setBusy] = useState<"check" | "save" | "force" | "remove" | null>(null);

  const active = current.data;
  const shownSchema =
    schemaText ?? (active ? JSON.stringify(active.schema, null, 2) : current.loading ? "" : SCHEMA_TEMPLATE);

  function read() {
    const schema = parseSchema(shownSchema);
    const sample = parseSample(sampleText);
    setErrors({ ...(schema.ok ? {} : { schema: schema.error }), ...(sample.ok ? {} : { sample: sample.error }) });
    return schema.ok && sample.ok ? { schema: schema.value, sample: sample.value } : null;
  }

  async function check(schema: unknown, sample: unknown): Promise<SchemaCheck> {
    return unwrap(
      api.POST("/api/v1/topics/{name}/schema/check", {
        params: { path: { name: topic }, query },
        body: { schema: schema as SchemaOut["schema"], values: [sample] },
      }),
    );
  }

  async function run(kind: NonNullable<typeof busy>, work: () => Promise<void>) {
    setBusy(kind);
    try {
      await work();
    } catch (caught) {
      if (caught instanceof ApiError && caught.status === 409)
        setOutcome({ kind: "incompatible", message: caught.message });
      else setOutcome({ kind: "error", message: describe(caught) });
    } finally {
      setBusy(null);
    }
  }

  function onCheck() {
    const input = read();
    if (!input) return setOutcome(null);
    void run("check", async () => setOutcome({ kind: "checked", check: await check(input.schema, input.sample) }));
  }

  function save(force: boolean) {
    const input = read();
    if (!input) return setOutcome(null);
    void run(force ? "force" : "save", async () => {
      const checked = await check(input.schema, input.sample);
      if (!checked.valid) {
        setOutcome({ kind: "checked", check: checked });
        return;
      }
      const saved = await unwrap(
        api.PUT("/api/v1/topics/{name}/schema", {
          params: { path: { name: topic }, query: { ...query, ...(force ? { force: true } : {}) } },
          body: { schema: input.schema },
        }),
      );
      setOutcome({ kind: "saved", schema: saved });
      setSchemaText(null);
      await current.reload();
    });
  }

  function remove() {
    if (!window.confirm(`Stop checking messages published to '${topic}' against its schema?`)) return;
    void run("remove", async () => {
      await unwrap(api.DELETE("/api/v1/topics/{name}/schema", { params: { path: { name: topic }, query } }));
      setOutcome({ kind: "removed" });
      setSchemaText(null);
      await current.reload();
    });
  }

  return (
    <Card
      title="Schema"
      actions={
        active ? <Badge tone="success">version {active.version} in force</Badge> : current.data === null && <Badge>none</Badge>
      }
    >
      {current.error && <Alert>{current.error}</Alert>}
      {current.loading && current.data === undefined ? (
        <Spinner label="Loading the schema" />
      ) : (
        <form
          noValidate
          className="flex flex-col gap-3"
          aria-label="Schema editor"
          onSubmit={(event: FormEvent) => {
            event.preventDefault();
            save(false);
          }}
        >
          <p className="text-sm text-slate-600">
            {active
              ? `Publishes are checked against version ${active.version} (set ${formatDateTime(active.created_at)}${active.forced ? ", forced" : ""}).`
              : "No schema: any JSON value is accepted. Set one to refuse messages that do not match it."}
          </p>
          <TextArea
            label="JSON Schema (draft 2020-12)"
            rows={8}
            spellCheck={false}
            value={shownSchema}
            onChange={(e) => setSchemaText(e.target.value)}
            error={errors.schema}
          />
          <TextArea
            label="Sample message (JSON)"
            rows={3}
            spellCheck={false}
            value={sampleText}
            onChange={(e) => setSampleText(e.target.value)}
            error={errors.sample}
            hint="Checked against the schema above before it is saved."
          />
          <SchemaOutcome outcome={outcome} onForce={() => save(true)} forcing={busy === "force"} />
          <div className="flex flex-wrap gap-2">
            <Button variant="secondary" busy={busy === "check"} disabled={busy !== null} onClick={onCheck}>
              Check sample
            </Button>
            <Button type="submit" busy={busy === "save"} disabled={busy !== null}>
              Save schema
            </Button>
            {active && (
              <Button variant="danger" busy={busy === "remove"} disabled={busy !== null} onClick={remove}>
                Remove schema
              </Button>
            )}
          </div>
        </form>
      )}
    </Card>
  );
}

function SchemaOutcome({ outcome, onForce, forcing }: { outcome: Outcome | null; onForce(): void; forcing: boolean }) {
  if (!outcome) return null;
  switch (outcome.kind) {
    case "checked": {
      const { check } = outcome;
      return (
        <div className="flex flex-col gap-2" data-testid="schema-check">
          {check.valid ? (
            <Alert tone="success">The sample matches the schema.</Alert>
          ) : (
            <Alert>
              The sample does not match the schema, so it was not saved:
              <ul className="mt-1 list-disc pl-5">
                {describeFailures(check).map((line) => (
                  <li key={line}>{line}</li>
                ))}
              </ul>
            </Alert>
          )}
          {check.compatible === false && (
            <Alert tone="warning">
              It may refuse messages the schema in force accepts: saving it will need to be forced.
              {check.incompatibilities.length > 0 && (
                <ul className="mt-1 list-disc pl-5">
                  {check.incompatibilities.map((line) => (
                    <li key={line}>{line}</li>
                  ))}
                </ul>
              )}
            </Alert>
          )}
        </div>
      );
    }
    case "saved":
      return <Alert tone="success">Schema version {outcome.schema.version} is in force.</Alert>;
    case "removed":
      return <Alert tone="success">The schema was removed: publishes are no longer checked.</Alert>;
    case "incompatible":
      return (
        <Alert tone="warning">
          {outcome.message}
          <div className="mt-2">
            <Button variant="danger" busy={forcing} onClick={onForce}>
              Replace it anyway
            </Button>
          </div>
        </Alert>
      );
    case "error":
      return <Alert>{outcome.message}</Alert>;
  }
}
