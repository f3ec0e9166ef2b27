// The recommender playground (seed 003): upload catalogue items, record interactions of
// your own users with them, and ask for recommendations, ranked with scores.
import { useState, type FormEvent } from "react";

import { api, unwrap } from "../../api/client";
import type { components } from "../../api/schema";
import { Alert, Badge, Button, Card, Empty, PageHeader, Select, TextArea, TextField } from "../../components/ui";
import { useAction } from "../../hooks/useApi";
import {
  buildFilters,
  buildInteraction,
  checkCount,
  checkIdentifier,
  INTERACTION_TYPES,
  MAX_COUNT,
  MAX_ITEMS,
  parseItems,
  sampleItemsText,
  TAGS_MAX,
  WEIGHT,
  type InteractionType,
} from "./recommend";

type Schemas = components["schemas"];
type UploadResult = Schemas["ItemsUploadOut"];
type Recommendations = Schemas["RecommendationResponse"];

function UploadItems({ onUploaded }: { onUploaded: (ids: string[]) => void }) {
  const [text, setText] = useState("");
  const [error, setError] = useState<string>();
  const [result, setResult] = useState<UploadResult | null>(null);
  const upload = useAction(async (items: Schemas["ItemIn"][]) => {
    setResult(await unwrap(api.POST("/api/v1/items", { body: { items } })));
  });

  async function submit(event: FormEvent) {
    event.preventDefault();
    setResult(null);
    const parsed = parseItems(text);
    setError(parsed.ok ? undefined : parsed.error);
    if (!parsed.ok) return;
    if (await upload.run(parsed.items)) onUploaded(parsed.items.map((item) => item.item_id.trim()));
  }

  return (
    <Card
      title="1. Upload items"
      actions={
        <Button
          variant="secondary"
          onClick={() => {
            setText(sampleItemsText());
            setError(undefined);
            setResult(null);
            upload.reset();
          }}
        >
          Load sample items
        </Button>
      }
    >
      <form onSubmit={submit} noValidate className="flex flex-col gap-3">
        <TextArea
          label="Items (JSON)"
          rows={10}
          spellCheck={false}
          value={text}
          onChange={(e) => setText(e.target.value)}
          error={error}
          hint={
            <>
              A JSON array of 1 to {MAX_ITEMS} items: <code>item_id</code> and <code>title</code> required;{" "}
              <code>description</code>, <code>category</code> (a-z, 0-9, -), <code>tags</code> (up to {TAGS_MAX}),{" "}
              <code>metadata</code> optional. An existing <code>item_id</code> is replaced.
            </>
          }
        />
        {upload.error && <Alert>{upload.error}</Alert>}
        {result && (
          <Alert tone="success">
            Uploaded {result.accepted} item{result.accepted === 1 ? "" : "s"}: {result.created} new,{" "}
            {result.updated} replaced.
          </Alert>
        )}
        <div>
          <Button type="submit" busy={upload.busy}>
            Upload items
          </Button>
        </div>
      </form>
    </Card>
  );
}

function RecordInteraction({ itemIds, userId }: { itemIds: string[]; userId: string }) {
  const [form, setForm] = useState({
    userId,
    itemId: "",
    type: "like" as InteractionType,
    weight: "",
    value: "",
  });
  const [errors, setErrors] = useState<Record<string, string>>({});
  const [recorded, setRecorded] = useState<string | null>(null);
  const record = useAction(async (body: Schemas["InteractionIn"]) => {
    await unwrap(api.POST("/api/v1/interactions", { body: { interactions: [body] } }));
    setRecorded(`${body.user_id} ${body.interaction_type} ${body.item_id}`);
  });
  const set = (field: keyof typeof form) => (value: string) => setForm((f) => ({ ...f, [field]: value }));

  async function submit(event: FormEvent) {
    event.preventDefault();
    setRecorded(null);
    const built = buildInteraction(form);
    setErrors(built.ok ? {} : built.errors);
    if (built.ok) await record.run(built.body);
  }

  const fieldError = (field: string) =>
    errors[field] ?? record.fieldError(`interactions.0.${field}`) ?? record.fieldError(field);
  return (
    <Card title="2. Record an interaction">
      <form onSubmit={submit} noValidate className="flex flex-col gap-3">
        <div className="grid gap-3 sm:grid-cols-2">
          <TextField
            label="User id"
            value={form.userId}
            onChange={(e) => set("userId")(e.target.value)}
            error={fieldError("user_id")}
            hint="Any id of one of your own users."
          />
          <TextField
            label="Item id"
            list="recommender-item-ids"
            value={form.itemId}
            onChange={(e) => set("itemId")(e.target.value)}
            error={fieldError("item_id")}
          />
          <datalist id="recommender-item-ids">
            {itemIds.map((id) => (
              <option key={id} value={id} />
            ))}
          </datalist>
          <Select
            label="Interaction"
            value={form.type}
            onChange={(e) => set("type")(e.target.value)}
            error={fieldError("interaction_type")}
          >
            {INTERACTION_TYPES.map(({ type, weight }) => (
              <option key={type} value={type}>
                {type.replace(/_/g, " ")} (weight {weight})
              </option>
            ))}
          </Select>
          {form.type === "rating" && (
            <TextField
              label="Rating value"
              inputMode="decimal"
              value={form.value}
              onChange={(e) => set("value")(e.target.value)}
              error={fieldError("value")}
              hint="From 0 to 5."
            />
          )}
          <TextField
            label="Weight (optional)"
            inputMode="decimal"
            value={form.weight}
            onChange={(e) => set("weight")(e.target.value)}
            error={fieldError("weight")}
            hint={`From ${WEIGHT.minimum} to ${WEIGHT.maximum}; overrides the type's weight.`}
          />
        </div>
        {record.error && <Alert>{record.error}</Alert>}
        {recorded && <Alert tone="success">Recorded: {recorded}.</Alert>}
        <div>
          <Button type="submit" busy={record.busy}>
            Record interaction
          </Button>
        </div>
      </form>
    </Card>
  );
}

function ScoreBar({ score }: { score: number }) {
  const width = Math.max(0, Math.min(1, score)) * 100;
  return (
    <svg viewBox="0 0 100 6" className="h-1.5 w-24" aria-hidden="true" preserveAspectRatio="none">
      <rect width="100" height="6" rx="3" className="fill-slate-200" />
      <rect width={width} height="6" rx="3" className="fill-indigo-500" />
    </svg>
  );
}

function AskRecommendations({ userId }: { userId: string }) {
  const [form, setForm] = useState({ userId, count: "5", categories: "", tags: "", exclude: "", minScore: "" });
  const [errors, setErrors] = useState<Record<string, string>>({});
  const [answer, setAnswer] = useState<Recommendations | null>(null);
  const ask = useAction(async (body: Schemas["RecommendationRequest"]) => {
    setAnswer(await unwrap(api.POST("/api/v1/recommendations", { body })));
  });
  const set = (field: keyof typeof form) => (value: string) => setForm((f) => ({ ...f, [field]: value }));

  async function submit(event: FormEvent) {
    event.preventDefault();
    const problems: Record<string, string> = {};
    const user = checkIdentifier(form.userId, "user id");
    if (user) problems.user_id = user;
    const count = checkCount(form.count);
    if (count) problems.count = count;
    const filters = buildFilters(form);
    if (!filters.ok) Object.assign(problems, filters.errors);
    setErrors(problems);
    if (Object.keys(problems).length || !filters.ok) return;
    await ask.run({ user_id: form.userId.trim(), count: Number(form.count), filters: filters.filters });
  }

  const fieldError = (field: string) => errors[field] ?? ask.fieldError(field);
  return (
    <Card title="3. Get recommendations">
      <form onSubmit={submit} noValidate className="flex flex-col gap-3">
        <div className="grid gap-3 sm:grid-cols-2">
          <TextField
            label="For user id"
            value={form.userId}
            onChange={(e) => set("userId")(e.target.value)}
            error={fieldError("user_id")}
          />
          <TextField
            label="How many"
            inputMode="numeric"
            value={form.count}
            onChange={(e) => set("count")(e.target.value)}
            error={fieldError("count")}
            hint={`1 to ${MAX_COUNT}.`}
          />
        </div>
        <details className="rounded-md ring-1 ring-slate-200">
          <summary className="cursor-pointer px-3 py-2 text-sm font-medium text-slate-700">
            Filters (optional)
          </summary>
          <div className="grid gap-3 p-3 sm:grid-cols-2">
            <TextField
              label="Categories"
              value={form.categories}
              onChange={(e) => set("categories")(e.target.value)}
              error={fieldError("categories") ?? fieldError("filters.categories")}
              hint="Comma-separated, e.g. books, movies."
            />
            <TextField
              label="Tags"
              value={form.tags}
              onChange={(e) => set("tags")(e.target.value)}
              error={fieldError("tags") ?? fieldError("filters.tags")}
              hint="Any of these, comma-separated."
            />
            <TextField
              label="Exclude items"
              value={form.exclude}
              onChange={(e) => set("exclude")(e.target.value)}
              error={fieldError("exclude") ?? fieldError("filters.exclude_items")}
              hint="Item ids, comma-separated."
            />
            <TextField
              label="Minimum score"
              inputMode="decimal"
              value={form.minScore}
              onChange={(e) => set("minScore")(e.target.value)}
              error={fieldError("min_score") ?? fieldError("filters.min_score")}
              hint="From 0 to 1."
            />
          </div>
        </details>
        {ask.error && <Alert>{ask.error}</Alert>}
        <div>
          <Button type="submit" busy={ask.busy}>
            Get recommendations
          </Button>
        </div>
      </form>
      {answer && (
        <div className="mt-4 flex flex-col gap-2">
          <p className="flex flex-wrap items-center gap-2 text-xs text-slate-500">
            <Badge tone={answer.metadata.strategy === "personalized" ? "success" : "info"}>
              {answer.metadata.strategy}
            </Badge>
            <span>
              {answer.metadata.catalog_size} items in the catalogue · {answer.metadata.latency_ms.toFixed(1)} ms ·
              model {answer.metadata.model_version}
            </span>
          </p>
          {answer.recommendations.length === 0 ? (
            <Empty>No recommendations: upload items first, or loosen the filters.</Empty>
          ) : (
            <ol aria-label="Recommendations" className="divide-y divide-slate-100">
              {answer.recommendations.map((item, index) => (
                <li key={item.item_id} className="flex flex-wrap items-center gap-3 py-2">
                  <span className="w-6 text-right font-mono text-sm text-slate-400">{index + 1}.</span>
                  <div className="min-w-0 flex-1">
                    <p className="break-words font-medium">{item.title}</p>
                    <p className="break-all text-xs text-slate-500">
                      {item.item_id}
                      {item.category && ` · ${item.category}`}
                      {item.tags.length > 0 && ` · ${item.tags.join(", ")}`}
                    </p>
                  </div>
                  <div className="flex items-center gap-2">
                    <ScoreBar score={item.score} />
                    <span className="w-12 font-mono text-sm" aria-label={`score ${item.score.toFixed(3)}`}>
                      {item.score.toFixed(3)}
                    </span>
                  </div>
                </li>
              ))}
            </ol>
          )}
        </div>
      )}
    </Card>
  );
}

export default function RecommenderPage() {
  const [itemIds, setItemIds] = useState<string[]>([]);
  const userId = "user-1";
  return (
    <div className="flex flex-col gap-4">
      <PageHeader title="Recommender" />
      <p className="text-sm text-slate-600">
        A playground for your tenant's recommender: upload a catalogue, record what your users do with
        its items, then ask what to show each of them. Users here are your own users' ids, not topichub
        accounts.
      </p>
      <div className="grid gap-4 lg:grid-cols-2">
        <UploadItems onUploaded={(ids) => setItemIds((old) => [...new Set([...old, ...ids])])} />
        <div className="flex flex-col gap-4">
          <RecordInteraction itemIds={itemIds} userId={userId} />
          <AskRecommendations userId={userId} />
        </div>
      </div>
    </div>
  );
}
