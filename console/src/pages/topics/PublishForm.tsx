// Publish one message to a topic: a JSON value (checked before sending), an optional
// key, headers as name/value rows and an optional partition; shows where it was stored.
import { useRef, useState, type FormEvent } from "react";

import { api, unwrap } from "../../api/client";
import type { components } from "../../api/schema";
import { Alert, Button, Card, TextArea, TextField } from "../../components/ui";
import { useAction } from "../../hooks/useApi";
import { buildMessage, HEADERS_MAX, KEY_MAX, type HeaderRow, type MessageBody, type PublishErrors } from "./publish";
import { formatTime } from "../../lib/time";

type Published = components["schemas"]["PublishedMessage"];

const EXAMPLE = '{\n  "hello": "world"\n}';

export function PublishForm({
  topic,
  projectId,
  partitions,
  readOnly,
}: {
  topic: string;
  projectId: string | null;
  partitions?: number;
  /** Why this topic cannot be published to (app topics), if it cannot. */
  readOnly?: string;
}) {
  const [value, setValue] = useState(EXAMPLE);
  const [key, setKey] = useState("");
  const [headers, setHeaders] = useState<HeaderRow[]>([]);
  const [partition, setPartition] = useState("");
  const [errors, setErrors] = useState<PublishErrors>({});
  const [result, setResult] = useState<Published | null>(null);
  const nextId = useRef(1);
  const form = useRef<HTMLFormElement>(null);

  const publish = useAction(async (message: MessageBody) => {
    const out = await unwrap(
      api.POST("/api/v1/topics/{name}/publish", {
        params: { path: { name: topic }, query: projectId ? { project_id: projectId } : {} },
        body: { messages: [message] },
      }),
    );
    setResult(out.messages[0] ?? null);
  });

  async function submit(event: FormEvent) {
    event.preventDefault();
    setResult(null);
    const built = buildMessage({ value, key, headers, partition }, partitions);
    if (!built.ok) {
      setErrors(built.errors);
      publish.reset();
      return;
    }
    setErrors({});
    await publish.run(built.message);
  }

  const setRow = (id: number, patch: Partial<HeaderRow>) =>
    setHeaders((rows) => rows.map((row) => (row.id === id ? { ...row, ...patch } : row)));

  return (
    <Card title="Publish a message">
      {readOnly ? (
        <Alert tone="info">{readOnly}</Alert>
      ) : (
        <form ref={form} onSubmit={submit} noValidate className="flex flex-col gap-3">
          <TextArea
            label="Value (JSON)"
            rows={6}
            value={value}
            spellCheck={false}
            onChange={(e) => {
              setValue(e.target.value);
              if (errors.value) setErrors({ ...errors, value: undefined });
            }}
            onKeyDown={(e) => {
              if (e.key === "Enter" && (e.ctrlKey || e.metaKey)) form.current?.requestSubmit();
            }}
            error={errors.value ?? publish.fieldError("messages.0.value")}
            hint="Any JSON value: an object, an array, a string in quotes, a number… Ctrl+Enter publishes."
          />
          <div className="grid gap-3 sm:grid-cols-2">
            <TextField
              label="Key (optional)"
              value={key}
              maxLength={KEY_MAX + 10}
              onChange={(e) => setKey(e.target.value)}
              error={errors.key ?? publish.fieldError("messages.0.key")}
              hint="Messages with the same key keep their order."
            />
            <TextField
              label="Partition (optional)"
              inputMode="numeric"
              value={partition}
              onChange={(e) => setPartition(e.target.value)}
              error={errors.partition ?? publish.fieldError("messages.0.partition")}
              hint={
                partitions && partitions > 1
                  ? `0 to ${partitions - 1}; empty lets the key choose.`
                  : "This topic has one partition: 0."
              }
            />
          </div>
          <fieldset className="flex flex-col gap-2">
            <legend className="text-sm font-medium text-slate-700">Headers</legend>
            {headers.length === 0 && <p className="text-xs text-slate-500">No headers.</p>}
            {headers.map((row, index) => (
              <div key={row.id} className="flex flex-col gap-1">
                <div className="flex flex-wrap items-end gap-2">
                  <div className="min-w-32 flex-1">
                    <TextField
                      label={`Header ${index + 1} name`}
                      value={row.name}
                      onChange={(e) => setRow(row.id, { name: e.target.value })}
                    />
                  </div>
                  <div className="min-w-32 flex-1">
                    <TextField
                      label={`Header ${index + 1} value`}
                      value={row.value}
                      onChange={(e) => setRow(row.id, { value: e.target.value })}
                    />
                  </div>
                  <Button
                    variant="ghost"
                    aria-label={`Remove header ${index + 1}`}
                    onClick={() => setHeaders((rows) => rows.filter((r) => r.id !== row.id))}
                  >
                    Remove
                  </Button>
                </div>
                {errors.headers?.[row.id] && (
                  <p role="alert" className="text-xs text-red-700">
                    {errors.headers[row.id]}
                  </p>
                )}
              </div>
            ))}
            <div>
              <Button
                variant="secondary"
                disabled={headers.length >= HEADERS_MAX}
                onClick={() => setHeaders((rows) => [...rows, { id: nextId.current++, name: "", value: "" }])}
              >
                Add header
              </Button>
            </div>
          </fieldset>
          {publish.error && <Alert>{publish.error}</Alert>}
          {result && (
            <Alert tone="success">
              <span data-testid="publish-result">
                Published to partition {result.partition} at offset {result.offset}
              </span>{" "}
              ({formatTime(result.timestamp)}).
            </Alert>
          )}
          <div>
            <Button type="submit" busy={publish.busy}>
              Publish
            </Button>
          </div>
        </form>
      )}
    </Card>
  );
}
