// The math calculator (seed 004): one operation at a time, exact integers of any size,
// the server's message when an operation is undefined, and the user's history.
import { useState, type FormEvent } from "react";

import { api, unwrap } from "../../api/client";
import { Alert, Button, Card, Empty, Loading, PageHeader, Select, TextField } from "../../components/ui";
import { useAction, useLoad, type Loaded } from "../../hooks/useApi";
import {
  abbreviate,
  checkOperands,
  expression,
  formatValue,
  operandsBody,
  operation,
  OPERATIONS,
  parseExactJson,
  type Operand,
} from "./math";
import { formatDateTime } from "../../lib/time";

interface Calculation {
  id: string;
  operation: string;
  inputs: Record<string, unknown>;
  result: unknown;
  created_at: string;
}

interface HistoryPage {
  items: Calculation[];
  has_more: boolean;
}

interface Answer {
  operation: string;
  inputs: Record<string, unknown>;
  result: string;
}

const HISTORY_PAGE = 20;

const OPERAND_LABELS: Record<Operand, string> = { a: "a", b: "b", n: "n" };

function Result({ answer }: { answer: Answer }) {
  const [open, setOpen] = useState(false);
  const long = answer.result.length > 60;
  return (
    <div className="rounded-md bg-indigo-50 p-3 ring-1 ring-indigo-200" role="status" aria-live="polite">
      <p className="text-sm text-slate-600">{expression(answer.operation, answer.inputs)} =</p>
      <p className="break-all font-mono text-2xl font-semibold text-indigo-900" data-testid="math-result">
        {long && !open ? abbreviate(answer.result, 60) : answer.result}
      </p>
      {long && (
        <Button variant="ghost" className="mt-1" onClick={() => setOpen((o) => !o)} aria-expanded={open}>
          {open ? "Show less" : `Show all ${answer.result.length} characters`}
        </Button>
      )}
    </div>
  );
}

function History({
  history,
  onChanged,
}: {
  history: Loaded<HistoryPage>;
  onChanged: () => void;
}) {
  const remove = useAction(async (id: string) =>
    unwrap(api.DELETE("/api/v1/math/history/{entry_id}", { params: { path: { entry_id: id } } })),
  );
  const items = history.data?.items ?? [];
  return (
    <Card
      title="History"
      actions={
        <Button variant="secondary" busy={history.loading && !!history.data} onClick={() => void history.reload()}>
          Refresh
        </Button>
      }
    >
      {history.error && <Alert>{history.error}</Alert>}
      {remove.error && <Alert>{remove.error}</Alert>}
      {history.loading && !history.data ? (
        <Loading label="Loading history" />
      ) : items.length === 0 && !history.error ? (
        <Empty>No calculations yet.</Empty>
      ) : (
        <ul aria-label="Calculation history" className="divide-y divide-slate-100">
          {items.map((item) => {
            const text = `${expression(item.operation, item.inputs)} = ${abbreviate(formatValue(item.result))}`;
            return (
              <li key={item.id} className="flex flex-wrap items-center gap-2 py-2">
                <div className="min-w-0 flex-1">
                  <p className="break-all font-mono text-sm">{text}</p>
                  <p className="text-xs text-slate-400">{formatDateTime(item.created_at)}</p>
                </div>
                <Button
                  variant="ghost"
                  className="text-red-700"
                  aria-label={`Delete ${text}`}
                  disabled={remove.busy}
                  onClick={async () => {
                    if (!window.confirm(`Delete "${text}" from your history?`)) return;
                    if (await remove.run(item.id)) onChanged();
                  }}
                >
                  Delete
                </Button>
              </li>
            );
          })}
        </ul>
      )}
      {history.data?.has_more && (
        <p className="mt-2 text-xs text-slate-500">Showing your latest {HISTORY_PAGE} calculations.</p>
      )}
    </Card>
  );
}

export default function MathPage() {
  const [name, setName] = useState("add");
  const [values, setValues] = useState<Record<Operand, string>>({ a: "", b: "", n: "" });
  const [errors, setErrors] = useState<Partial<Record<Operand, string>>>({});
  const [answer, setAnswer] = useState<Answer | null>(null);
  const spec = operation(name);

  // Read as text: integer results can have thousands of digits, beyond JSON.parse's reach.
  const history = useLoad(async () => {
    const text = await unwrap(
      api.GET("/api/v1/math/history", { params: { query: { limit: HISTORY_PAGE } }, parseAs: "text" }),
    );
    return parseExactJson(text) as HistoryPage;
  }, []);

  const calculate = useAction(async () => {
    const text = await unwrap(
      api.POST("/api/v1/math/{operation}", {
        params: { path: { operation: spec.name } },
        body: operandsBody(spec, values),
        parseAs: "text",
      }),
    );
    const body = parseExactJson(text) as Record<string, unknown>;
    const inputs = Object.fromEntries(spec.operands.map((op) => [op, body[op]]));
    setAnswer({ operation: spec.name, inputs, result: formatValue(body.result) });
  });

  async function submit(event: FormEvent) {
    event.preventDefault();
    const problems = checkOperands(spec, values);
    setErrors(problems);
    if (Object.keys(problems).length) return;
    setAnswer(null);
    await calculate.run();
    void history.reload();
  }

  return (
    <div className="flex flex-col gap-4">
      <PageHeader title="Math" />
      <div className="grid gap-4 md:grid-cols-2">
        <Card title="Calculator">
          <form onSubmit={submit} noValidate className="flex flex-col gap-3">
            <Select
              label="Operation"
              value={name}
              onChange={(e) => {
                setName(e.target.value);
                setErrors({});
                calculate.reset();
              }}
            >
              {OPERATIONS.map((op) => (
                <option key={op.name} value={op.name}>
                  {op.label}
                </option>
              ))}
            </Select>
            <div className="grid gap-3 sm:grid-cols-2">
              {spec.operands.map((op) => (
                <TextField
                  key={op}
                  label={OPERAND_LABELS[op]}
                  inputMode={op === "n" ? "numeric" : "decimal"}
                  autoComplete="off"
                  value={values[op]}
                  onChange={(e) => setValues((v) => ({ ...v, [op]: e.target.value }))}
                  error={errors[op] ?? calculate.fieldError(op)}
                  hint={
                    op === "n"
                      ? `A whole number from 0 to ${spec.maxN?.toLocaleString("en-US")}.`
                      : "Any number: 42, -3.5, 1e6. Integers stay exact."
                  }
                />
              ))}
            </div>
            {calculate.error && <Alert>{calculate.error}</Alert>}
            <div>
              <Button type="submit" busy={calculate.busy}>
                Calculate
              </Button>
            </div>
          </form>
          {answer && (
            <div className="mt-4">
              <Result answer={answer} />
            </div>
          )}
        </Card>
        <History history={history} onChanged={() => void history.reload()} />
      </div>
    </div>
  );
}
